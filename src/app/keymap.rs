//! Keys as data: the default keys of every command and layer come from the command table
//! (app/commands.rs), so `?` help is generated from the same bindings that dispatch keys.
//! Users rebind normal-mode keys in `[keys]` of config.toml.

use std::collections::BTreeMap;

use super::action::{Key, KeyCode};
use super::commands::{Command, Input, InputKey, Layer, COMMANDS, INPUT_KEYS};
use crate::config::KeySpec;

/// Key -> command in normal mode, key -> input in the other layers, and the keys shown for
/// each in help and hints.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Key, Command>,
    inputs: BTreeMap<(Layer, Key), Input>,
}

impl Default for Keymap {
    fn default() -> Self {
        // The table's keys are checked by a test; one that did not parse would be left out.
        let parsed = |keys: &'static [&'static str]| keys.iter().filter_map(|k| parse_key(k).ok());
        let bindings = COMMANDS
            .iter()
            .filter(|s| s.bindable())
            .flat_map(|s| parsed(s.keys).map(move |k| (k, s.command)))
            .collect();
        let inputs = INPUT_KEYS
            .iter()
            .flat_map(|i| parsed(i.keys).map(move |k| ((i.layer, k), i.input)))
            .collect();
        Keymap { bindings, inputs }
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
                    Command::bindable_names().join(", ")
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

    /// What `key` does in `layer`, if the layer binds it.
    pub fn input(&self, layer: Layer, key: Key) -> Option<Input> {
        self.inputs.get(&(layer, key)).copied()
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

    /// The rows of a layer with their keys as text, for help.
    pub fn layer_help(&self, layer: Layer) -> Vec<(String, &'static InputKey)> {
        INPUT_KEYS
            .iter()
            .filter(|i| i.layer == layer)
            .map(|i| {
                let keys: Vec<String> = i
                    .keys
                    .iter()
                    .filter_map(|k| parse_key(k).ok())
                    .map(key_label)
                    .collect();
                let shown = if keys.is_empty() {
                    i.label.to_string()
                } else {
                    keys.join(" ")
                };
                (shown, i)
            })
            .collect()
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
        assert_eq!(m.resolve(Key::char('z')), None);
        assert_eq!(m.resolve(Key::char('x')), Some(Command::DeleteAcl));
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
