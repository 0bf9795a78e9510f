//! Keys as data: every binding has a command and a description, so `?` help is generated
//! from the same table that dispatches keys. Users rebind keys in `[keys]` of config.toml.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::action::{Key, KeyCode};
use crate::config::KeySpec;

/// What a key does in normal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Quit,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    CommandMode,
    Filter,
    Help,
    Refresh,
    Freeze,
    SortNext,
    SortReverse,
    Overview,
    Topics,
    Groups,
    Brokers,
    TailSelected,
    ResetSelected,
    Pause,
    Follow,
    Detail,
    Windows,
    NextTab,
}

impl Command {
    pub const ALL: &'static [Command] = &[
        Command::Quit,
        Command::Back,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::Open,
        Command::CommandMode,
        Command::Filter,
        Command::Help,
        Command::Refresh,
        Command::Freeze,
        Command::SortNext,
        Command::SortReverse,
        Command::Overview,
        Command::Topics,
        Command::Groups,
        Command::Brokers,
        Command::TailSelected,
        Command::ResetSelected,
        Command::Pause,
        Command::Follow,
        Command::Detail,
        Command::Windows,
        Command::NextTab,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Back => "back",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Open => "open",
            Command::CommandMode => "command_mode",
            Command::Filter => "filter",
            Command::Help => "help",
            Command::Refresh => "refresh",
            Command::Freeze => "freeze",
            Command::SortNext => "sort_next",
            Command::SortReverse => "sort_reverse",
            Command::Overview => "overview",
            Command::Topics => "topics",
            Command::Groups => "groups",
            Command::Brokers => "brokers",
            Command::TailSelected => "tail_selected",
            Command::ResetSelected => "reset_selected",
            Command::Pause => "pause",
            Command::Follow => "follow",
            Command::Detail => "detail",
            Command::Windows => "windows",
            Command::NextTab => "next_tab",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Command::Quit => "quit kscope",
            Command::Back => "back / close",
            Command::Up => "move up",
            Command::Down => "move down",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "first row",
            Command::Bottom => "last row",
            Command::Open => "open the selected row",
            Command::CommandMode => "command mode (:topics, :tail T, ...)",
            Command::Filter => "filter rows (!text inverts)",
            Command::Help => "this help",
            Command::Refresh => "refresh now",
            Command::Freeze => "freeze / unfreeze live panels",
            Command::SortNext => "sort by the next column",
            Command::SortReverse => "reverse the sort",
            Command::Overview => "overview",
            Command::Topics => "topics",
            Command::Groups => "consumer groups",
            Command::Brokers => "brokers",
            Command::TailSelected => "tail the selected topic",
            Command::ResetSelected => "reset offsets of the selected group",
            Command::Pause => "pause / resume the tail",
            Command::Follow => "follow the newest record",
            Command::Detail => "record detail pane",
            Command::Windows => "event-time windows, late records, sessions, top keys",
            Command::NextTab => "next tab / detail view",
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Commands that change the cluster: hidden and refused when read-only.
    pub fn mutates(self) -> bool {
        matches!(self, Command::ResetSelected)
    }
}

/// Key -> command, plus the keys shown for each command in help and hints.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Key, Command>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Command::*;
        let plain = Key::plain;
        let c = Key::char;
        let defaults = [
            (c('q'), Quit),
            (Key::ctrl('c'), Quit),
            (plain(KeyCode::Esc), Back),
            (c('k'), Up),
            (plain(KeyCode::Up), Up),
            (c('j'), Down),
            (plain(KeyCode::Down), Down),
            (plain(KeyCode::PageUp), PageUp),
            (Key::ctrl('b'), PageUp),
            (plain(KeyCode::PageDown), PageDown),
            (Key::ctrl('f'), PageDown),
            (c('g'), Top),
            (plain(KeyCode::Home), Top),
            (c('G'), Bottom),
            (plain(KeyCode::End), Bottom),
            (plain(KeyCode::Enter), Open),
            (c(':'), CommandMode),
            (c('/'), Filter),
            (c('?'), Help),
            (Key::ctrl('r'), Refresh),
            (c('f'), Freeze),
            (c('s'), SortNext),
            (c('S'), SortReverse),
            (c('1'), Overview),
            (c('2'), Topics),
            (c('3'), Groups),
            (c('4'), Brokers),
            (c('t'), TailSelected),
            (c('R'), ResetSelected),
            (c(' '), Pause),
            (c('F'), Follow),
            (c('d'), Detail),
            (c('w'), Windows),
            (plain(KeyCode::Tab), NextTab),
        ];
        Keymap {
            bindings: defaults.into_iter().collect(),
        }
    }
}

impl Keymap {
    /// The defaults with user overrides: command name -> key (or list of keys).
    /// A user binding replaces every default key of that command.
    pub fn with_overrides(overrides: &BTreeMap<String, KeySpec>) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        for (name, spec) in overrides {
            let command = Command::from_name(name).ok_or_else(|| {
                format!(
                    "unknown command '{name}' in [keys]; known: {}",
                    Command::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            map.bindings.retain(|_, c| *c != command);
            for key in spec.keys() {
                let key = parse_key(key).map_err(|e| format!("[keys] {name}: {e}"))?;
                map.bindings.insert(key, command);
            }
        }
        Ok(map)
    }

    pub fn resolve(&self, key: Key) -> Option<Command> {
        self.bindings.get(&key).copied()
    }

    /// The keys bound to a command, for help and hints.
    pub fn keys_for(&self, command: Command) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, c)| **c == command)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The key of a command as text, e.g. "?" or "ctrl-r"; plain keys before modified ones.
    pub fn label(&self, command: Command) -> String {
        let mut keys = self.keys_for(command);
        keys.sort_by_key(|k| (k.ctrl || k.alt, !matches!(k.code, KeyCode::Char(_))));
        keys.first()
            .map(|k| key_label(*k))
            .unwrap_or_else(|| "-".to_string())
    }
}

/// Parses "q", "ctrl-r", "alt-x", "enter", "esc", "f5", "pgdown", "space".
pub fn parse_key(s: &str) -> Result<Key, String> {
    let mut ctrl = false;
    let mut alt = false;
    let mut rest = s;
    loop {
        if let Some(r) = rest
            .strip_prefix("ctrl-")
            .or_else(|| rest.strip_prefix("C-"))
        {
            ctrl = true;
            rest = r;
        } else if let Some(r) = rest
            .strip_prefix("alt-")
            .or_else(|| rest.strip_prefix("M-"))
        {
            alt = true;
            rest = r;
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdown" | "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ => {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "invalid key '{s}' (e.g. q, G, ctrl-r, alt-x, enter, esc, tab, f5, pgdown, space)"
                    ))
                }
            }
        }
    };
    Ok(Key { code, ctrl, alt })
}

pub fn key_label(k: Key) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "backtab".into(),
        KeyCode::Backspace => "backspace".into(),
        KeyCode::Delete => "del".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::F(n) => format!("f{n}"),
    };
    match (k.ctrl, k.alt) {
        (true, _) => format!("ctrl-{base}"),
        (_, true) => format!("alt-{base}"),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve() {
        let m = Keymap::default();
        assert_eq!(m.resolve(Key::char('q')), Some(Command::Quit));
        assert_eq!(m.resolve(Key::ctrl('c')), Some(Command::Quit));
        assert_eq!(m.resolve(Key::char('x')), None);
        assert_eq!(m.label(Command::Refresh), "ctrl-r");
    }

    #[test]
    fn overrides_replace_the_defaults_of_a_command() {
        let mut o = BTreeMap::new();
        o.insert("refresh".to_string(), KeySpec::One("r".into()));
        o.insert(
            "quit".to_string(),
            KeySpec::Many(vec!["Q".into(), "ctrl-c".into()]),
        );
        let m = Keymap::with_overrides(&o).unwrap();
        assert_eq!(m.resolve(Key::char('r')), Some(Command::Refresh));
        assert_eq!(m.resolve(Key::ctrl('r')), None);
        assert_eq!(m.resolve(Key::char('q')), None);
        assert_eq!(m.resolve(Key::char('Q')), Some(Command::Quit));
    }

    #[test]
    fn bad_keys_and_commands_are_named() {
        let mut o = BTreeMap::new();
        o.insert("fly".to_string(), KeySpec::One("x".into()));
        assert!(Keymap::with_overrides(&o).unwrap_err().contains("'fly'"));
        assert!(parse_key("ctrl-").is_err());
        assert!(parse_key("hyper-x").unwrap_err().contains("'hyper-x'"));
        assert_eq!(parse_key("f5").unwrap(), Key::plain(KeyCode::F(5)));
        assert_eq!(parse_key("space").unwrap(), Key::char(' '));
    }
}
