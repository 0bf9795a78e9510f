//! `kscope` with no subcommand: the interactive console.

use std::io::IsTerminal;
use std::time::Duration;

use super::GlobalArgs;
use crate::app::{Keymap, Options};
use crate::config::{self, ConnectionSettings, RawConfig};
use crate::error::{exit, Error, Result};
use crate::runtime::{self, Console};
use crate::ui::Theme;

/// Opens the console on the resolved context, or on `settings` (the demo).
pub async fn run(g: &GlobalArgs, settings: Option<ConnectionSettings>) -> Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "the console needs a terminal; use a subcommand for scripts (see kscope --help)",
        ));
    }
    let opts = g.connect_options();
    let (file, _) = config::load_config(opts.config_file.as_deref())?;
    let mut settings = match settings {
        Some(s) => s,
        None => config::resolve(&opts, &file)?,
    };
    if g.read_only {
        settings.read_only = true;
    }
    let options = console_options(&file)?;
    let theme = load_theme(
        g.theme
            .as_deref()
            .or(settings.theme.as_deref())
            .or(file.console.theme.as_deref()),
    )?;
    let keymap = Keymap::with_overrides(&file.keys).map_err(Error::config)?;
    let contexts: Vec<String> = file.contexts.keys().cloned().collect();
    let switch_opts = opts.clone();
    let (switch_file, path) = config::load_config(opts.config_file.as_deref())?;
    let metrics_file: RawConfig = config::load_config(opts.config_file.as_deref())?.0;
    // Bad rules or metrics settings are config errors before the terminal is taken.
    config::alert_rules(&metrics_file, settings.context.as_deref(), path.as_deref())?;
    config::metrics_config(&metrics_file, settings.context.as_deref(), path.as_deref())?;
    let metrics_path = path.clone();
    let console = Console {
        settings,
        options,
        theme,
        keymap,
        contexts,
        switch: Box::new(move |name: &str| {
            let mut o = switch_opts.clone();
            o.context = Some(name.to_string());
            o.bootstrap = None;
            config::resolve(&o, &switch_file)
        }),
        metrics: Box::new(move |context: Option<&str>| {
            Ok((
                config::metrics_config(&metrics_file, context, metrics_path.as_deref())?,
                config::alert_rules(&metrics_file, context, metrics_path.as_deref())?,
            ))
        }),
    };
    let log = runtime::log_to_file();
    tracing::info!("console starting (log: {:?})", log);
    runtime::run(console).await?;
    Ok(exit::OK)
}

fn console_options(file: &RawConfig) -> Result<Options> {
    let mut o = Options::default();
    let c = &file.console;
    if let Some(r) = &c.refresh {
        let d = humantime::parse_duration(r).map_err(|e| {
            Error::config(format!(
                "invalid [console] refresh '{r}': {e} (e.g. \"5s\")"
            ))
        })?;
        if d < Duration::from_millis(500) {
            return Err(Error::config(format!(
                "[console] refresh '{r}' is too short: at least 500ms"
            )));
        }
        o.refresh = d;
    }
    if let Some(n) = c.tail_buffer {
        if n == 0 {
            return Err(Error::config("[console] tail_buffer must be at least 1"));
        }
        o.tail_capacity = n;
    }
    if let Some(w) = c.lag_warn {
        o.lag_warn = w;
    }
    if let Some(w) = c.lag_crit {
        o.lag_crit = w;
    }
    let ms = |key: &str, value: &Option<String>, default: i64| -> Result<i64> {
        match value {
            None => Ok(default),
            Some(v) => humantime::parse_duration(v)
                .map(|d| d.as_millis() as i64)
                .map_err(|e| {
                    Error::config(format!("invalid [console] {key} '{v}': {e} (e.g. \"10s\")"))
                }),
        }
    };
    let w = &mut o.tail_windows;
    w.size = ms("tail_window", &c.tail_window, w.size)?.max(1);
    w.max_delay = ms("tail_max_delay", &c.tail_max_delay, w.max_delay)?;
    w.allowed_lateness = ms("tail_lateness", &c.tail_lateness, w.allowed_lateness)?;
    w.session_gap = ms("tail_session_gap", &c.tail_session_gap, w.session_gap)?.max(1);
    if o.lag_warn > o.lag_crit {
        return Err(Error::config(format!(
            "[console] lag_warn ({}) is above lag_crit ({})",
            o.lag_warn, o.lag_crit
        )));
    }
    Ok(o)
}

/// A theme by name (user themes in `<config dir>/themes/`), without colour under NO_COLOR.
pub fn load_theme(name: Option<&str>) -> Result<Theme> {
    let dir = config::project_dirs().map(|d| d.config_dir().join("themes"));
    let theme = Theme::load(name.unwrap_or("default"), dir.as_deref())?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Ok(if no_color { theme.monochrome() } else { theme })
}
