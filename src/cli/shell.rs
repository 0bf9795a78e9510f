//! Shell integration: completion scripts (with context names completed from config.toml) and
//! man pages, both generated from the command line's own definition.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_complete::{CompleteEnv, CompletionCandidate};

use super::output::{emit, say};
use super::Cli;
use crate::error::{exit, Error, Result};

/// The variable that switches the binary into completion mode. Namespaced, so a `COMPLETE`
/// set for another program never changes what kscope does.
const VAR: &str = "KSCOPE_COMPLETE";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Load them in your shell's start-up file (generated anew each time, so they always match the
installed kscope):
  bash        echo 'source <(kscope completions bash)' >> ~/.bashrc
  zsh         echo 'source <(kscope completions zsh)' >> ~/.zshrc
  fish        echo 'kscope completions fish | source' >> ~/.config/fish/config.fish
  powershell  Add-Content $PROFILE 'kscope completions powershell | Out-String | Invoke-Expression'
  elvish      echo 'eval (kscope completions elvish | slurp)' >> ~/.config/elvish/rc.elv
Subcommands, options and values complete, and --context completes the names of the contexts in
config.toml (KSCOPE_CONFIG or the default path).")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Install them where man finds them, e.g.:
  kscope man --dir ~/.local/share/man/man1 && man kscope")]
pub struct ManArgs {
    /// Write one page per command (kscope.1, kscope-tail.1, ...) into this directory
    /// instead of printing kscope(1) on stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Answers a completion request from a shell (the registration script calls the binary with
/// `KSCOPE_COMPLETE` set) and exits; returns at once on a normal run. Must come before anything
/// writes to stdout.
pub fn complete_from_env() {
    CompleteEnv::with_factory(Cli::command).var(VAR).complete();
}

/// Context names from config.toml, for completing `--context`. Never fails: a missing or broken
/// file completes nothing (the command itself reports the problem when it runs).
pub fn context_candidates() -> Vec<CompletionCandidate> {
    let path = std::env::var_os("KSCOPE_CONFIG").map(PathBuf::from);
    match crate::config::load_config(path.as_deref()) {
        Ok((config, _)) => config
            .contexts
            .iter()
            .map(|(name, c)| {
                let help = c.bootstrap.clone().unwrap_or_default();
                let mut candidate = CompletionCandidate::new(name);
                if !help.is_empty() {
                    candidate = candidate.help(Some(help.into()));
                }
                candidate
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub fn run_completions(a: CompletionsArgs) -> Result<i32> {
    let shell: &dyn EnvCompleter = match a.shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
        Shell::Elvish => &Elvish,
    };
    let mut buf = Vec::new();
    shell
        .write_registration(VAR, "kscope", "kscope", &completer_path(), &mut buf)
        .map_err(Error::from)?;
    emit(&String::from_utf8_lossy(&buf))?;
    Ok(exit::OK)
}

/// How the script calls kscope back: as it was called now (`kscope` from PATH stays `kscope`,
/// a path is made absolute), so the script keeps working from any directory.
fn completer_path() -> String {
    let argv0: OsString = std::env::args_os()
        .next()
        .unwrap_or_else(|| OsString::from("kscope"));
    let path = PathBuf::from(&argv0);
    let path = if path.components().count() > 1 && path.is_relative() {
        std::env::current_dir()
            .map(|d| d.join(&path))
            .unwrap_or(path)
    } else {
        path
    };
    path.to_string_lossy().into_owned()
}

pub fn run_man(a: ManArgs) -> Result<i32> {
    let cmd = Cli::command();
    match a.dir {
        None => {
            emit(&render(&cmd)?)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
            let mut written = 0;
            write_pages(&cmd, "kscope", &dir, &mut written)?;
            say(format_args!(
                "wrote {written} man pages to {}",
                dir.display()
            ));
        }
    }
    Ok(exit::OK)
}

fn render(cmd: &clap::Command) -> Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(Error::from)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// kscope.1 and one page per subcommand, named as `man kscope-offsets-reset` expects.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path, written: &mut usize) -> Result<()> {
    let page = cmd.clone().name(name.to_string());
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, render(&page)?)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
