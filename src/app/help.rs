//! The help popup's text, generated from the command table, the keymap and the layers' keys
//! (app/commands.rs), wrapped to the popup's width here so the core knows how many lines it
//! has: `j`/`k`, `pgup`/`pgdn`, `g`/`G` scroll it and stop at its end, and the popup says how
//! many lines are above and below.

use super::commands::{self, Input, Layer, COMMANDS};
use super::keymap;
use super::state::{Mode, State};

/// How a line of help is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpStyle {
    /// A section's title.
    Header,
    /// Keys (in `keys`) and what they do.
    Key,
    /// A remark after the lists.
    Note,
    Blank,
}

/// One line of the help popup, already wrapped: `keys` is the key column (blank on a wrapped
/// text's later lines), `text` the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    pub style: HelpStyle,
    pub keys: String,
    pub text: String,
}

impl HelpLine {
    fn new(style: HelpStyle, text: impl Into<String>) -> HelpLine {
        HelpLine {
            style,
            keys: String::new(),
            text: text.into(),
        }
    }
}

/// Widest popup.
const POPUP_WIDTH: u16 = 84;
/// The body's share of the screen: the header bar, status line and key hints take 3 lines.
const BODY_CHROME: u16 = 3;
/// Narrowest text column beside the keys, so a text is not wrapped a word a line.
const MIN_TEXT: usize = 20;

/// The popup's size in cells (borders included) on a terminal of `size`, inside its body.
pub fn popup_size(size: (u16, u16)) -> (u16, u16) {
    let body = size.1.saturating_sub(BODY_CHROME).max(3);
    let width = POPUP_WIDTH.min(size.0);
    let height = body.saturating_sub(2).max(10).min(body);
    (width, height)
}

/// Lines of text the popup shows at once.
pub fn page(state: &State) -> usize {
    usize::from(popup_size(state.size).1.saturating_sub(2)).max(1)
}

/// The text's width inside the popup's borders.
fn text_width(state: &State) -> usize {
    usize::from(popup_size(state.size).0.saturating_sub(2)).max(1)
}

/// `text` in lines of at most `width` characters, broken between words (a word longer than
/// the width is broken inside).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let (have, need) = (line.chars().count(), word.chars().count());
            let sep = usize::from(have > 0);
            if have + sep + need <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if have > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // Longer than a whole line: its first `width` characters, then the rest.
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
    }
    lines.push(line);
    lines
}

/// A key row: keys in a column `width` wide (with a space after keys that fill it), the text
/// beside, wrapped under itself.
fn key_rows(out: &mut Vec<HelpLine>, keys: &str, width: usize, text: &str, total: usize) {
    let keys = if keys.chars().count() >= width {
        format!("  {keys} ")
    } else {
        format!("  {keys:<width$}")
    };
    let indent = keys.chars().count();
    let room = total.saturating_sub(indent).max(MIN_TEXT);
    for (i, part) in wrap(text, room).into_iter().enumerate() {
        out.push(HelpLine {
            style: HelpStyle::Key,
            keys: if i == 0 {
                keys.clone()
            } else {
                " ".repeat(indent)
            },
            text: part,
        });
    }
}

/// Every line of help for this keymap and context, wrapped to the popup's width.
pub fn lines(state: &State) -> Vec<HelpLine> {
    let width = text_width(state);
    let mut out = vec![HelpLine::new(HelpStyle::Header, "Keys")];
    for spec in COMMANDS {
        if state.read_only && spec.mutates {
            continue;
        }
        let keys: Vec<String> = state
            .keymap
            .keys_for(spec.command)
            .into_iter()
            .map(keymap::key_label)
            .collect();
        if keys.is_empty() {
            continue;
        }
        key_rows(&mut out, &keys.join(" "), 18, spec.help, width);
    }
    out.push(HelpLine::new(HelpStyle::Blank, ""));
    out.push(HelpLine::new(HelpStyle::Header, "Commands (after :)"));
    for (_, line) in commands::lines() {
        key_rows(&mut out, &line.words.join(" "), 24, line.help, width);
    }
    for layer in Layer::ALL {
        out.push(HelpLine::new(HelpStyle::Blank, ""));
        out.push(HelpLine::new(HelpStyle::Header, layer.title()));
        for (keys, row) in state.keymap.layer_help(*layer) {
            key_rows(&mut out, &keys, 18, row.help, width);
        }
    }
    out.push(HelpLine::new(HelpStyle::Blank, ""));
    let note = "Filters: text matches names (records: key or value); !text inverts; in a tail, \
                key=..., value~REGEX and header.NAME=... work as in kscope tail.";
    for part in wrap(note, width) {
        out.push(HelpLine::new(HelpStyle::Note, part));
    }
    out
}

/// The furthest the help can scroll: its last line at the popup's bottom.
pub fn max_scroll(state: &State) -> usize {
    lines(state).len().saturating_sub(page(state))
}

/// A key while help is open: scrolls it (within its lines), quits, or closes it.
pub fn on_key(state: &mut State, input: Option<Input>, scroll: usize) -> bool {
    let (page, max) = (page(state), max_scroll(state));
    let scroll = scroll.min(max);
    let to = match input {
        Some(Input::Down) => scroll + 1,
        Some(Input::Up) => scroll.saturating_sub(1),
        Some(Input::PageDown) => scroll + page,
        Some(Input::PageUp) => scroll.saturating_sub(page),
        Some(Input::Top) => 0,
        Some(Input::Bottom) => max,
        Some(Input::Quit) => return false,
        _ => {
            state.mode = Mode::Normal;
            return true;
        }
    };
    state.mode = Mode::Help {
        scroll: to.min(max),
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words_and_breaks_only_words_longer_than_a_line() {
        assert_eq!(wrap("scroll a page down", 8), ["scroll a", "page", "down"]);
        assert_eq!(wrap("abcdefghij kl", 4), ["abcd", "efgh", "ij", "kl"]);
        assert_eq!(wrap("fits", 10), ["fits"]);
    }

    #[test]
    fn key_rows_keep_their_text_column() {
        let mut out = Vec::new();
        key_rows(&mut out, "enter", 8, "apply the plan now and later", 30);
        let shown: Vec<String> = out
            .iter()
            .map(|l| format!("{}{}", l.keys, l.text))
            .collect();
        assert_eq!(
            shown,
            ["  enter   apply the plan now", "          and later"]
        );
        // Keys as wide as their column keep a space before the text.
        out.clear();
        key_rows(&mut out, "ctrl-c q", 8, "quit", 30);
        assert_eq!(format!("{}{}", out[0].keys, out[0].text), "  ctrl-c q quit");
    }
}
