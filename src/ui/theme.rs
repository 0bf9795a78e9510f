//! Themes: colours named by meaning, in TOML. The built-ins in `themes/` are compiled in; a
//! user theme in `<config dir>/themes/NAME.toml` layers over them (and may name a `parent`).
//! With `NO_COLOR` set, every colour is dropped and emphasis falls back to bold and reverse.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::Severity;

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("production", include_str!("../../themes/production.toml")),
];

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// Every role a theme may set.
const ROLES: &[&str] = &[
    "fg",
    "bg",
    "muted",
    "accent",
    "title",
    "border",
    "border_focused",
    "header",
    "selection_fg",
    "selection_bg",
    "severity_ok",
    "severity_warn",
    "severity_crit",
    "stale",
    "key",
    "status_fg",
    "bar_fg",
    "bar_bg",
    "badge",
    "sparkline",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[allow(dead_code)]
    name: Option<String>,
    parent: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

/// Resolved colours, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub muted: Color,
    pub accent: Color,
    pub title: Color,
    pub border: Color,
    pub border_focused: Color,
    pub header: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    pub severity_ok: Color,
    pub severity_warn: Color,
    pub severity_crit: Color,
    pub stale: Color,
    pub key: Color,
    pub status_fg: Color,
    pub bar_fg: Color,
    pub bar_bg: Color,
    pub badge: Color,
    pub sparkline: Color,
    /// No colours at all (NO_COLOR): styles use modifiers only.
    pub monochrome: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("default")
            .unwrap_or_else(|_| Theme::from_colors("default", &BTreeMap::new()))
    }
}

pub fn parse_color(s: &str) -> std::result::Result<Color, String> {
    let t = s.trim().to_ascii_lowercase();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 {
            if let Ok(v) = u32::from_str_radix(hex, 16) {
                return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
            }
        }
        return Err(format!("invalid colour '{s}': expected #rrggbb"));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    Ok(match t.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => {
            return Err(format!(
                "invalid colour '{s}': expected a name, #rrggbb or 0-255"
            ))
        }
    })
}

impl Theme {
    fn from_colors(name: &str, c: &BTreeMap<String, Color>) -> Theme {
        let get = |k: &str| c.get(k).copied().unwrap_or(Color::Reset);
        Theme {
            name: name.to_string(),
            fg: get("fg"),
            bg: get("bg"),
            muted: get("muted"),
            accent: get("accent"),
            title: get("title"),
            border: get("border"),
            border_focused: get("border_focused"),
            header: get("header"),
            selection_fg: get("selection_fg"),
            selection_bg: get("selection_bg"),
            severity_ok: get("severity_ok"),
            severity_warn: get("severity_warn"),
            severity_crit: get("severity_crit"),
            stale: get("stale"),
            key: get("key"),
            status_fg: get("status_fg"),
            bar_fg: get("bar_fg"),
            bar_bg: get("bar_bg"),
            badge: get("badge"),
            sparkline: get("sparkline"),
            monochrome: false,
        }
    }

    pub fn builtin(name: &str) -> Result<Theme> {
        Theme::load(name, None)
    }

    /// Loads theme `name`: a user file in `user_dir` first, then the built-ins; parents are
    /// resolved the same way.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme> {
        // Layers from the named theme down to the built-in default; later layers are weaker.
        let mut chain: Vec<(String, RawTheme)> = Vec::new();
        let mut next = Some((name.to_string(), true));
        while let Some((n, may_be_user)) = next.take() {
            if chain.len() > 8 {
                return Err(Error::config(format!(
                    "theme '{name}': its parents form a loop"
                )));
            }
            let user = if may_be_user {
                read_user_theme(&n, user_dir)?
            } else {
                None
            };
            let raw = match user {
                Some(raw) => {
                    // A user theme without a parent layers over the built-in of its name.
                    next = Some(match &raw.parent {
                        Some(p) => (p.clone(), true),
                        None if builtin_text(&n).is_some() => (n.clone(), false),
                        None => ("default".to_string(), false),
                    });
                    raw
                }
                None => {
                    let raw = parse_raw(&n, builtin_text(&n).ok_or_else(|| unknown_theme(&n))?)?;
                    next = match &raw.parent {
                        Some(p) => Some((p.clone(), true)),
                        None if n != "default" => Some(("default".to_string(), false)),
                        None => None,
                    };
                    raw
                }
            };
            chain.push((n, raw));
        }
        let mut colors = BTreeMap::new();
        for (n, raw) in chain.iter().rev() {
            for (role, value) in &raw.colors {
                if !ROLES.contains(&role.as_str()) {
                    return Err(Error::config(format!(
                        "theme '{n}': unknown colour role '{role}'; roles: {}",
                        ROLES.join(", ")
                    )));
                }
                let c = parse_color(value)
                    .map_err(|e| Error::config(format!("theme '{n}', {role}: {e}")))?;
                colors.insert(role.clone(), c);
            }
        }
        Ok(Theme::from_colors(name, &colors))
    }

    /// Drops every colour (NO_COLOR).
    pub fn monochrome(mut self) -> Theme {
        let name = self.name.clone();
        self = Theme::from_colors(&name, &BTreeMap::new());
        self.monochrome = true;
        self
    }

    pub fn base(&self) -> Style {
        Style::new().fg(self.fg).bg(self.bg)
    }

    pub fn muted(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new().fg(self.muted)
        }
    }

    pub fn selection(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.selection_fg).bg(self.selection_bg)
        }
    }

    pub fn header(&self) -> Style {
        Style::new().fg(self.header).add_modifier(Modifier::BOLD)
    }

    pub fn title(&self) -> Style {
        Style::new().fg(self.title).add_modifier(Modifier::BOLD)
    }

    pub fn bar(&self) -> Style {
        if self.monochrome {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.bar_fg).bg(self.bar_bg)
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        let style = match s {
            Severity::Ok | Severity::Info => Style::new().fg(self.severity_ok),
            Severity::Warn => Style::new().fg(self.severity_warn),
            Severity::Crit => Style::new()
                .fg(self.severity_crit)
                .add_modifier(Modifier::BOLD),
        };
        if self.monochrome && s == Severity::Crit {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else if self.monochrome && s == Severity::Warn {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            style
        }
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn parse_raw(name: &str, text: &str) -> Result<RawTheme> {
    toml::from_str(text)
        .map_err(|e| Error::config(format!("theme '{name}': {}", e.message().trim())))
}

fn unknown_theme(name: &str) -> Error {
    Error::config(format!(
        "unknown theme '{name}'; built-in themes: {}",
        builtin_names().join(", ")
    ))
}

fn read_user_theme(name: &str, user_dir: Option<&Path>) -> Result<Option<RawTheme>> {
    let Some(dir) = user_dir else { return Ok(None) };
    let path = dir.join(format!("{name}.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map(Some).map_err(|e| {
            Error::config(format!(
                "invalid theme file {}: {}",
                path.display(),
                e.message().trim()
            ))
        }),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_and_differ() {
        let names = builtin_names();
        assert!(names.len() >= 4);
        let themes: Vec<Theme> = names.iter().map(|n| Theme::builtin(n).unwrap()).collect();
        assert_eq!(themes[0].selection_bg, Color::Cyan);
        // production inherits from default but changes the bar.
        let prod = Theme::builtin("production").unwrap();
        assert_eq!(prod.bar_bg, Color::Red);
        assert_eq!(prod.severity_warn, themes[0].severity_warn);
    }

    #[test]
    fn user_theme_layers_over_builtin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "parent = \"light\"\n[colors]\naccent = \"#ff8800\"\n",
        )
        .unwrap();
        let t = Theme::load("mine", Some(dir.path())).unwrap();
        assert_eq!(t.accent, Color::Rgb(0xff, 0x88, 0));
        assert_eq!(t.bar_bg, Color::Blue, "inherited from light");
        std::fs::write(
            dir.path().join("bad.toml"),
            "[colors]\nsparkles = \"red\"\n",
        )
        .unwrap();
        assert!(Theme::load("bad", Some(dir.path()))
            .unwrap_err()
            .to_string()
            .contains("'sparkles'"));
        std::fs::write(
            dir.path().join("worse.toml"),
            "[colors]\naccent = \"blurple\"\n",
        )
        .unwrap();
        assert!(Theme::load("worse", Some(dir.path()))
            .unwrap_err()
            .to_string()
            .contains("'blurple'"));
        assert!(Theme::load("nope", None)
            .unwrap_err()
            .to_string()
            .contains("unknown theme 'nope'"));
    }

    #[test]
    fn no_color_has_no_colors() {
        let t = Theme::builtin("production").unwrap().monochrome();
        assert_eq!(t.bar_bg, Color::Reset);
        assert!(t.selection().add_modifier.contains(Modifier::REVERSED));
    }
}
