#![deny(clippy::unwrap_used, clippy::expect_used)]
use clap::Parser;

use kscope::cli::output::report;
use kscope::cli::{self, Cli};

fn main() {
    kscope::runtime::mark_start();
    // A shell asking for completions gets them here and nothing else runs.
    cli::shell::complete_from_env();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => std::process::exit(cli::parse_error(&e)),
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(format_args!("cannot start the async runtime: {e}"));
            std::process::exit(kscope::error::exit::RUNTIME);
        }
    };
    let code = match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    };
    // Blocking calls that outlived their answer (a timed-out request) must not hold up exit.
    runtime.shutdown_background();
    std::process::exit(code);
}

/// Subcommands log only when asked: `KSCOPE_LOG=debug` (to stderr) or with
/// `KSCOPE_LOG_FILE=path`. The console always logs to a file.
fn init_logging() {
    let Ok(filter) = std::env::var("KSCOPE_LOG") else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::new(filter);
    match std::env::var_os("KSCOPE_LOG_FILE") {
        Some(path) => {
            // Owner-only, and never through a link planted at the path.
            match kscope::private_file::open_append(std::path::Path::new(&path), "log file") {
                Ok(file) => tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .with_ansi(false)
                    .with_writer(std::sync::Mutex::new(file))
                    .init(),
                Err(e) => kscope::cli::output::warn(format_args!("not logging: {e}")),
            }
        }
        #[allow(clippy::disallowed_methods)] // log lines: tracing escapes control characters itself
        None => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
    }
}
