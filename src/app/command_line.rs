//! `:`: the command line. Its words, aliases, arguments and help come from the command table;
//! completion offers command words, then the names on screen that fit the argument (topics,
//! groups, contexts, start positions).

use super::action::{Effect, Key};
use super::commands::{self, Arg, Input, Layer};
use super::state::{Level, Mode, State};

/// Starts a command line.
pub fn open(state: &mut State) {
    state.mode = Mode::Command {
        input: String::new(),
    };
}

/// A key on the command line.
pub fn on_key(state: &mut State, key: Key, mut input: String, fx: &mut Vec<Effect>) {
    match state.keymap.input(Layer::Line, key) {
        Some(Input::Cancel) => state.mode = Mode::Normal,
        Some(Input::Accept) => {
            state.mode = Mode::Normal;
            run(state, input.trim(), fx);
        }
        Some(Input::Complete) => {
            if let Some(done) = complete(state, &input) {
                input = done;
            }
            state.mode = Mode::Command { input };
        }
        Some(Input::Clear) => {
            state.mode = Mode::Command {
                input: String::new(),
            }
        }
        Some(Input::Erase) => {
            if input.pop().is_none() {
                state.mode = Mode::Normal;
            } else {
                state.mode = Mode::Command { input };
            }
        }
        _ => {
            if let Some(c) = key.typed() {
                input.push(c);
                state.mode = Mode::Command { input };
            }
        }
    }
}

/// Runs a `:` line: the command its first word names, with the rest as its argument.
pub fn run(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else { return };
    let args: Vec<&str> = words.collect();
    let Some((spec, l)) = commands::by_word(word) else {
        super::flash(
            state,
            Level::Warn,
            format!("unknown command ':{word}' (try :help)"),
        );
        return;
    };
    let name = l.words[0];
    match (l.arg, args.is_empty()) {
        (Arg::None, _) => super::run_command(state, spec.command, &[], fx),
        (_, true) => super::flash(state, Level::Warn, format!(":{name} needs an argument")),
        (_, false) => super::run_command(state, spec.command, &args, fx),
    }
}

/// Completes the command word, or its argument from the names on screen (topics, groups,
/// contexts). Returns the completed input.
pub fn complete(state: &State, input: &str) -> Option<String> {
    let (word, arg) = match input.split_once(' ') {
        Some((w, a)) => (w, Some(a)),
        None => (input, None),
    };
    match arg {
        None => {
            let lines = commands::lines();
            let matches: Vec<&str> = lines
                .iter()
                .map(|(_, l)| l.words[0])
                .filter(|n| n.starts_with(word))
                .collect();
            common_prefix(&matches).map(|p| {
                if matches.len() == 1 {
                    format!("{p} ")
                } else {
                    p
                }
            })
        }
        Some(arg) => {
            let candidates = candidates(state, commands::by_word(word)?.1.arg);
            let matches: Vec<&str> = candidates
                .iter()
                .map(String::as_str)
                .filter(|c| c.starts_with(arg))
                .collect();
            common_prefix(&matches).map(|p| format!("{word} {p}"))
        }
    }
}

/// What an argument of this kind can be, from what is on screen.
fn candidates(state: &State, arg: Arg) -> Vec<String> {
    match arg {
        Arg::Topic | Arg::TopicAndPosition => state
            .topics
            .data
            .iter()
            .flatten()
            .map(|t| t.name.clone())
            .collect(),
        Arg::Group => state
            .groups
            .data
            .iter()
            .flatten()
            .map(|g| g.group.clone())
            .chain(state.group.data.iter().map(|g| g.group.clone()))
            .collect(),
        Arg::Context => state.contexts.clone(),
        Arg::Position => ["beginning", "end", "-100", "@-15m"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Arg::None => Vec::new(),
    }
}

/// Most argument candidates listed under the command line.
const MAX_SHOWN: usize = 12;

/// Suggestions shown under the command line: the commands that fit, or every argument that
/// fits what is typed (so an ambiguous tab shows the candidates).
pub fn suggestions(state: &State, input: &str) -> Vec<String> {
    match input.split_once(' ') {
        None => commands::lines()
            .iter()
            .filter(|(_, l)| l.words.iter().any(|w| w.starts_with(input)))
            .map(|(_, l)| format!("{}  {}", l.words[0], l.help))
            .collect(),
        Some((word, arg)) => {
            let Some((_, line)) = commands::by_word(word) else {
                return Vec::new();
            };
            let mut fits: Vec<String> = candidates(state, line.arg)
                .into_iter()
                .filter(|c| c.starts_with(arg))
                .collect();
            fits.sort_unstable();
            fits.dedup();
            let more = fits.len().saturating_sub(MAX_SHOWN);
            let mut out: Vec<String> = fits
                .into_iter()
                .take(MAX_SHOWN)
                .map(|c| format!("{word} {c}"))
                .collect();
            if more > 0 {
                out.push(format!("… {more} more"));
            }
            out
        }
    }
}

fn common_prefix(words: &[&str]) -> Option<String> {
    let first = words.first()?;
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .count()
            .min(len);
    }
    Some(first.chars().take(len).collect())
}
