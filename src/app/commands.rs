//! Every command of the console, once: its name in `[keys]`, its default keys, what help says
//! about it, its word in the footer, its `:` words and argument, and whether it changes the
//! cluster. The keymap, `:` parsing and completion, the help screen and the footer hints all
//! read this table, and the read-only refusal is decided here (see [`refusal`]).
//!
//! The keys of the modes that take text or scroll (the command line, the filter, the reset
//! flow, help) are in [`INPUT_KEYS`], one table for all of them, so help lists them too.

/// What a key runs in normal mode, or what a `:` line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// `:topic NAME`
    ShowTopic,
    /// `:tail TOPIC [FROM]`
    Tail,
    /// `:from POSITION` in a running tail.
    TailFrom,
    Groups,
    /// `:group NAME`
    ShowGroup,
    Brokers,
    /// `:acls`
    Acls,
    /// Delete the group on screen (no members; typed confirmation).
    DeleteGroupSelected,
    /// Delete the group's offsets of the selected row's topic.
    DeleteOffsetsSelected,
    /// Edit the configs of the topic (or broker) on screen (plan, then apply; undo file).
    EditConfig,
    /// Add partitions to the topic on screen (typed confirmation).
    AddPartitions,
    /// Delete the topic's records before a point (typed confirmation).
    TruncateTopic,
    /// A preferred leader election of every topic (typed confirmation).
    ElectLeaders,
    /// Create ACLs (on the `:acls` screen; a plan first, undo file).
    CreateAcl,
    /// Delete the ACLs a filter selects, the selected one first (typed confirmation).
    DeleteAcl,
    /// `:reset GROUP`
    Reset,
    /// `:ctx NAME`
    SwitchContext,
    TailSelected,
    ResetSelected,
    Pause,
    Follow,
    Detail,
    Windows,
    NextTab,
    /// `a` on an alert of the overview.
    Silence,
    /// The Schema Registry's subjects.
    Subjects,
}

/// What a `:` command takes after its word; completion offers names of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    Topic,
    /// A topic, then optionally where to start (`:tail orders -100`).
    TopicAndPosition,
    Position,
    Group,
    Context,
}

/// How a command is typed after `:`.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// The command's word first, then its aliases.
    pub words: &'static [&'static str],
    /// What help and the suggestions say.
    pub help: &'static str,
    pub arg: Arg,
    /// Where it is listed after `:` (help and suggestions), first to last.
    pub place: u8,
}

/// One command of the console.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub command: Command,
    /// Its name in `[keys]` of config.toml.
    pub name: &'static str,
    /// Its keys in normal mode, as `[keys]` writes them; a `[keys]` entry replaces them.
    pub keys: &'static [&'static str],
    /// What help says next to its keys.
    pub help: &'static str,
    /// Its word in the footer.
    pub hint: &'static str,
    /// How it is typed after `:`, if it can be.
    pub line: Option<Line>,
    /// It changes the cluster: hidden and refused when the context is read-only.
    pub mutates: bool,
}

impl Spec {
    /// Whether a key can run it: commands that need an argument are only typed after `:`.
    pub fn bindable(&self) -> bool {
        self.line.is_none_or(|l| l.arg == Arg::None)
    }
}

const fn key(
    command: Command,
    name: &'static str,
    keys: &'static [&'static str],
    help: &'static str,
    hint: &'static str,
) -> Spec {
    Spec {
        command,
        name,
        keys,
        help,
        hint,
        line: None,
        mutates: false,
    }
}

const fn with_line(
    mut spec: Spec,
    place: u8,
    words: &'static [&'static str],
    help: &'static str,
) -> Spec {
    spec.line = Some(Line {
        words,
        help,
        arg: Arg::None,
        place,
    });
    spec
}

const fn typed(
    command: Command,
    place: u8,
    words: &'static [&'static str],
    arg: Arg,
    help: &'static str,
) -> Spec {
    Spec {
        command,
        name: words[0],
        keys: &[],
        help,
        hint: words[0],
        line: Some(Line {
            words,
            help,
            arg,
            place,
        }),
        mutates: false,
    }
}

const fn mutating(mut spec: Spec) -> Spec {
    spec.mutates = true;
    spec
}

use Command as C;

/// The console's commands, in the order help lists their keys. `key(command, [keys] name,
/// default keys, help, footer word)`; `with_line(.., place, words, help)` adds its `:` form;
/// `typed(command, place, words, argument, help)` is a command only typed after `:`.
#[rustfmt::skip]
pub const COMMANDS: &[Spec] = &[
    with_line(key(C::Quit, "quit", &["q", "ctrl-c"], "quit kscope", "quit"),
        15, &["quit", "q", "q!", "exit"], "quit"),
    key(C::Back, "back", &["esc"], "back / close", "back"),
    key(C::Up, "up", &["k", "up"], "move up", "up"),
    key(C::Down, "down", &["j", "down"], "move down", "down"),
    key(C::PageUp, "page_up", &["pgup", "ctrl-b"], "page up", "page_up"),
    key(C::PageDown, "page_down", &["pgdown", "ctrl-f"], "page down", "page_down"),
    key(C::Top, "top", &["g", "home"], "first row", "top"),
    key(C::Bottom, "bottom", &["G", "end"], "last row", "bottom"),
    key(C::Open, "open", &["enter"], "open the selected row", "open"),
    key(C::CommandMode, "command_mode", &[":"], "command mode (:topics, :tail T, ...)", "cmd"),
    key(C::Filter, "filter", &["/"], "filter rows (!text inverts)", "filter"),
    with_line(key(C::Help, "help", &["?"], "this help", "help"),
        14, &["help", "h", "?"], "keys and commands"),
    with_line(key(C::Refresh, "refresh", &["ctrl-r"], "refresh now", "refresh"),
        12, &["refresh", "r"], "refresh now"),
    with_line(key(C::Freeze, "freeze", &["f"], "freeze / unfreeze live panels", "freeze"),
        13, &["freeze"], "freeze / unfreeze live panels"),
    key(C::SortNext, "sort_next", &["s"], "sort by the next column", "sort"),
    key(C::SortReverse, "sort_reverse", &["S"], "reverse the sort", "sort_reverse"),
    with_line(key(C::Overview, "overview", &["1"], "overview", "overview"),
        0, &["overview", "o", "home"], "cluster overview"),
    with_line(key(C::Topics, "topics", &["2"], "topics", "topics"),
        1, &["topics", "tp", "t"], "topics"),
    typed(C::ShowTopic, 2, &["topic"], Arg::Topic, "topic NAME: one topic"),
    typed(C::Tail, 3, &["tail"], Arg::TopicAndPosition, "tail TOPIC [FROM]: live records"),
    typed(C::TailFrom, 4, &["from"], Arg::Position,
        "from POSITION: restart the tail (beginning, end, -N, OFFSET, @TIME, @-15m)"),
    with_line(key(C::Groups, "groups", &["3"], "consumer groups", "groups"),
        5, &["groups", "g", "cg", "consumergroups"], "consumer groups"),
    typed(C::ShowGroup, 6, &["group"], Arg::Group, "group NAME: one consumer group"),
    with_line(key(C::Brokers, "brokers", &["4"], "brokers", "brokers"),
        7, &["brokers", "b", "nodes"], "brokers"),
    with_line(key(C::Subjects, "subjects", &["5"], "schema registry subjects", "subjects"),
        8, &["subjects", "schemas", "sr"], "schema registry subjects, versions and schemas"),
    typed(C::Acls, 9, &["acls", "acl"], Arg::None, "acls: the cluster's ACLs (with an authorizer)"),
    mutating(typed(C::Reset, 10, &["reset"], Arg::Group, "reset GROUP: reset a group's offsets")),
    typed(C::SwitchContext, 11, &["ctx", "context"], Arg::Context,
        "ctx NAME: switch to another context"),
    key(C::TailSelected, "tail_selected", &["t"], "tail the selected topic", "tail"),
    mutating(key(C::ResetSelected, "reset_selected", &["R"],
        "reset offsets of the selected group", "reset")),
    mutating(key(C::DeleteGroupSelected, "delete_group", &["D"],
        "delete the group on screen (no members; undo file)", "delete")),
    mutating(key(C::DeleteOffsetsSelected, "delete_offsets", &["X"],
        "delete the group's offsets of the selected topic (undo file)", "delete-offsets")),
    mutating(key(C::EditConfig, "edit_config", &["e"],
        "edit the configs of the topic or broker on screen (a plan first; undo file)", "edit")),
    mutating(key(C::AddPartitions, "add_partitions", &["P"],
        "add partitions to the topic (irreversible: typed name)", "partitions")),
    mutating(key(C::TruncateTopic, "truncate", &["T"],
        "delete the topic's records before a point (irreversible: typed name)", "truncate")),
    mutating(key(C::ElectLeaders, "elect_leaders", &["E"],
        "preferred leader election of every topic (on the brokers screen)", "elect")),
    mutating(key(C::CreateAcl, "create_acl", &["c"],
        "create ACLs (on the acls screen; a plan first; undo file)", "create")),
    mutating(key(C::DeleteAcl, "delete_acl", &["x"],
        "delete the selected ACL, or all a filter matches (on the acls screen; typed 'delete')",
        "delete")),
    key(C::Pause, "pause", &["space"], "pause / resume the tail", "pause"),
    key(C::Follow, "follow", &["F"], "follow the newest record", "follow"),
    key(C::Detail, "detail", &["d"], "record detail pane", "detail"),
    key(C::Windows, "windows", &["w"], "event-time windows, late records, sessions, top keys",
        "windows"),
    key(C::NextTab, "next_tab", &["tab"], "next tab / detail view", "tab"),
    key(C::Silence, "silence", &["a"],
        "silence the selected alert for a while (asks how long; 0 lifts it)", "silence"),
];

impl Command {
    /// Its row of [`COMMANDS`].
    pub fn spec(self) -> &'static Spec {
        // Every command has a row (a test checks it); the first row stands in otherwise.
        COMMANDS
            .iter()
            .find(|s| s.command == self)
            .unwrap_or(&COMMANDS[0])
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn mutates(self) -> bool {
        self.spec().mutates
    }

    /// A command a key can run, by its `[keys]` name.
    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS
            .iter()
            .find(|s| s.bindable() && s.name == name)
            .map(|s| s.command)
    }

    /// The names `[keys]` takes, in order.
    pub fn bindable_names() -> Vec<&'static str> {
        COMMANDS
            .iter()
            .filter(|s| s.bindable())
            .map(|s| s.name)
            .collect()
    }
}

/// Why `command` may not run in a read-only context, or `None` when it may: the one place
/// that decides it, for keys and `:` lines alike.
pub fn refusal(command: Command, read_only: bool, context: &str) -> Option<String> {
    (read_only && command.mutates()).then(|| format!("refused: context '{context}' is read-only"))
}

/// The commands typed after `:`, in the order they are listed.
pub fn lines() -> Vec<(&'static Spec, Line)> {
    let mut out: Vec<(&'static Spec, Line)> = COMMANDS
        .iter()
        .filter_map(|s| s.line.map(|l| (s, l)))
        .collect();
    out.sort_by_key(|(_, l)| l.place);
    out
}

/// The command a `:` word names (its word or an alias).
pub fn by_word(word: &str) -> Option<(&'static Spec, Line)> {
    COMMANDS
        .iter()
        .find_map(|s| s.line.filter(|l| l.words.contains(&word)).map(|l| (s, l)))
}

/// The modes whose keys are fixed: they take text, or scroll, or walk the reset flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// After `:`.
    Line,
    /// After `/`.
    Filter,
    /// The reset flow, choosing the mode.
    ResetChoose,
    /// The reset flow, typing the mode's argument or the topics.
    ResetText,
    /// The reset flow, the plan on screen: scroll it, type the group's name to confirm.
    ResetPreview,
    /// The reset flow, the result on screen.
    ResetDone,
    /// The help screen.
    Help,
    /// The silence prompt (`a` on an alert).
    Silence,
}

impl Layer {
    /// The heading help shows over the layer's keys.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Line => "In the command line (:)",
            Layer::Filter => "While filtering (/)",
            Layer::ResetChoose => "Offset reset: choosing the mode",
            Layer::ResetText => "Offset reset and changes: typing the argument",
            Layer::ResetPreview => "Offset reset and changes: the plan",
            Layer::ResetDone => "Offset reset and changes: the result",
            Layer::Help => "In this help",
            Layer::Silence => "Silencing an alert (a)",
        }
    }

    /// Layers in the order help lists them.
    pub const ALL: &'static [Layer] = &[
        Layer::Line,
        Layer::Filter,
        Layer::ResetChoose,
        Layer::ResetText,
        Layer::ResetPreview,
        Layer::ResetDone,
        Layer::Silence,
        Layer::Help,
    ];

    /// Printable keys not bound in the layer go into its text.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Layer::Line | Layer::Filter | Layer::ResetText | Layer::ResetPreview | Layer::Silence
        )
    }
}

/// What a key does in a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Run, keep, go on, apply.
    Accept,
    /// Leave or go back a step.
    Cancel,
    Complete,
    /// Erase the last character.
    Erase,
    /// Erase the whole text.
    Clear,
    Up,
    Down,
    PageUp,
    PageDown,
    /// The first line.
    Top,
    /// The last line.
    Bottom,
    Quit,
    /// Any other key (help: closes it).
    Other,
}

/// One key (or several) of a layer.
#[derive(Debug, Clone, Copy)]
pub struct InputKey {
    pub layer: Layer,
    /// As `[keys]` writes them; empty for [`Input::Other`] and typed text.
    pub keys: &'static [&'static str],
    /// Shown instead of the keys when there are none.
    pub label: &'static str,
    pub input: Input,
    pub help: &'static str,
}

const fn input(
    layer: Layer,
    keys: &'static [&'static str],
    input: Input,
    help: &'static str,
) -> InputKey {
    InputKey {
        layer,
        keys,
        label: "",
        input,
        help,
    }
}

/// A row for help only: what happens to keys the layer does not bind.
const fn other(layer: Layer, label: &'static str, input: Input, help: &'static str) -> InputKey {
    InputKey {
        layer,
        keys: &[],
        label,
        input,
        help,
    }
}

use Input as I;
use Layer as L;

/// The keys of every layer; a key not listed in a layer (and not typed text) is a normal-mode
/// key there, except on the command line, the filter and help.
#[rustfmt::skip]
pub const INPUT_KEYS: &[InputKey] = &[
    input(L::Line, &["enter"], I::Accept, "run the command"),
    input(L::Line, &["tab"], I::Complete, "complete the command or its argument"),
    input(L::Line, &["backspace"], I::Erase, "erase (on an empty line: leave)"),
    input(L::Line, &["ctrl-u"], I::Clear, "clear the line"),
    input(L::Line, &["esc", "ctrl-c"], I::Cancel, "leave without running"),
    other(L::Line, "other keys", I::Other, "typed into the line"),

    input(L::Filter, &["enter"], I::Accept, "keep the filter"),
    input(L::Filter, &["backspace"], I::Erase, "erase"),
    input(L::Filter, &["ctrl-u"], I::Clear, "clear the filter text"),
    input(L::Filter, &["esc", "ctrl-c"], I::Cancel, "clear the filter"),
    other(L::Filter, "other keys", I::Other, "typed into the filter; a leading ! inverts it"),

    input(L::ResetChoose, &["k", "up"], I::Up, "previous mode"),
    input(L::ResetChoose, &["j", "down"], I::Down, "next mode"),
    input(L::ResetChoose, &["enter"], I::Accept, "choose it"),

    input(L::ResetText, &["enter"], I::Accept, "continue"),
    input(L::ResetText, &["backspace"], I::Erase, "erase"),
    input(L::ResetText, &["ctrl-u"], I::Clear, "clear"),
    input(L::ResetText, &["esc"], I::Cancel, "back to the modes"),
    other(L::ResetText, "other keys", I::Other, "typed"),

    input(L::ResetPreview, &["up"], I::Up, "scroll up"),
    input(L::ResetPreview, &["down"], I::Down, "scroll down"),
    input(L::ResetPreview, &["pgup"], I::PageUp, "scroll a page up"),
    input(L::ResetPreview, &["pgdown"], I::PageDown, "scroll a page down"),
    input(L::ResetPreview, &["enter"], I::Accept,
        "apply (a reset or what cannot be undone: once the name is typed; a config edit: enter or y)"),
    input(L::ResetPreview, &["backspace"], I::Erase, "erase"),
    input(L::ResetPreview, &["ctrl-u"], I::Clear, "clear the typed name"),
    input(L::ResetPreview, &["esc"], I::Cancel, "back to the modes"),
    other(L::ResetPreview, "other keys", I::Other,
        "typed: the group's or topic's name (or 'elect', 'delete') confirms"),

    input(L::ResetDone, &["up", "pgup"], I::Up, "scroll up"),
    input(L::ResetDone, &["down", "pgdown"], I::Down, "scroll down"),
    input(L::ResetDone, &["enter", "esc"], I::Accept, "back to the screen before"),

    input(L::Silence, &["enter"], I::Accept, "silence it for what is typed (nothing: 1h)"),
    input(L::Silence, &["backspace"], I::Erase, "erase"),
    input(L::Silence, &["esc", "ctrl-c"], I::Cancel, "leave without silencing"),
    other(L::Silence, "other keys", I::Other, "typed: 30m, 2h, 1d (at most 30d); 0 lifts the silence"),

    input(L::Help, &["j", "down"], I::Down, "scroll down"),
    input(L::Help, &["k", "up"], I::Up, "scroll up"),
    input(L::Help, &["pgdown", "ctrl-f"], I::PageDown, "scroll a page down"),
    input(L::Help, &["pgup", "ctrl-b"], I::PageUp, "scroll a page up"),
    input(L::Help, &["g", "home"], I::Top, "the first line"),
    input(L::Help, &["G", "end"], I::Bottom, "the last line"),
    input(L::Help, &["ctrl-c"], I::Quit, "quit kscope"),
    other(L::Help, "other keys", I::Other, "close the help"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::parse_key;

    #[test]
    fn every_command_has_one_row() {
        let all = [
            C::Quit,
            C::Back,
            C::Up,
            C::Down,
            C::PageUp,
            C::PageDown,
            C::Top,
            C::Bottom,
            C::Open,
            C::CommandMode,
            C::Filter,
            C::Help,
            C::Refresh,
            C::Freeze,
            C::SortNext,
            C::SortReverse,
            C::Overview,
            C::Topics,
            C::ShowTopic,
            C::Tail,
            C::TailFrom,
            C::Groups,
            C::ShowGroup,
            C::Brokers,
            C::Acls,
            C::Reset,
            C::SwitchContext,
            C::TailSelected,
            C::ResetSelected,
            C::DeleteGroupSelected,
            C::DeleteOffsetsSelected,
            C::EditConfig,
            C::AddPartitions,
            C::TruncateTopic,
            C::ElectLeaders,
            C::CreateAcl,
            C::DeleteAcl,
            C::Pause,
            C::Follow,
            C::Detail,
            C::Windows,
            C::NextTab,
            C::Silence,
            C::Subjects,
        ];
        assert_eq!(all.len(), COMMANDS.len());
        for c in all {
            assert_eq!(
                COMMANDS.iter().filter(|s| s.command == c).count(),
                1,
                "{c:?}"
            );
        }
        let mut names: Vec<&str> = COMMANDS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len(), "names are unique");
    }

    #[test]
    fn every_key_parses_and_words_and_places_are_unique() {
        for s in COMMANDS {
            for k in s.keys {
                parse_key(k).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            }
            assert!(s.bindable() || s.keys.is_empty(), "{}", s.name);
        }
        for k in INPUT_KEYS {
            for key in k.keys {
                parse_key(key).unwrap_or_else(|e| panic!("{:?}: {e}", k.layer));
            }
            assert!(!k.keys.is_empty() || !k.label.is_empty());
        }
        let mut words: Vec<&str> = lines().iter().flat_map(|(_, l)| l.words.to_vec()).collect();
        let n = words.len();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), n, "a word names one command");
        let places: Vec<u8> = lines().iter().map(|(_, l)| l.place).collect();
        assert_eq!(places, (0..places.len() as u8).collect::<Vec<_>>());
    }

    #[test]
    fn only_the_cluster_changes_are_mutating_and_refused_read_only() {
        let mutating: Vec<&str> = COMMANDS
            .iter()
            .filter(|s| s.mutates)
            .map(|s| s.name)
            .collect();
        assert_eq!(
            mutating,
            [
                "reset",
                "reset_selected",
                "delete_group",
                "delete_offsets",
                "edit_config",
                "add_partitions",
                "truncate",
                "elect_leaders",
                "create_acl",
                "delete_acl"
            ]
        );
        assert_eq!(
            refusal(C::Reset, true, "prod").as_deref(),
            Some("refused: context 'prod' is read-only")
        );
        assert_eq!(refusal(C::Reset, false, "prod"), None);
        assert_eq!(refusal(C::Quit, true, "prod"), None);
    }
}
