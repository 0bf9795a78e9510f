//! `kscope` with no subcommand: the interactive console.

use std::io::IsTerminal;
use std::sync::Arc;

use super::GlobalArgs;
use crate::app::Keymap;
use crate::config::{self, ConnectOptions, ConnectionSettings, ConsoleConfig, RawConfig};
use crate::error::{exit, Error, Result};
use crate::runtime::{self, Console, ContextResolver};
use crate::ui::Theme;

/// Opens the console on the resolved context, or on `settings` (the demo).
pub async fn run(g: &GlobalArgs, settings: Option<ConnectionSettings>) -> Result<i32> {
    if !super::output::stdout_is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "the console needs a terminal; use a subcommand for scripts (see kscope --help)",
        ));
    }
    let opts = g.connect_options();
    // The config file is read once: the start context, `[console]`, `[keys]`, the metrics of
    // each context and `:ctx` all come from this one reading.
    let (file, path) = config::load_config(opts.config_file.as_deref())?;
    // The command line's connection options name the start context, unless the console runs
    // on given settings (the demo), to which they do not apply.
    let (mut settings, start) = match settings {
        Some(s) => (s, None),
        None => {
            let s = super::resolve(&opts, &file)?;
            let start = s.context.clone();
            (s, start)
        }
    };
    if g.read_only {
        settings.read_only = true;
    }
    let cfg = ConsoleConfig::resolve(file, path)?;
    let theme = load_theme(
        g.theme
            .as_deref()
            .or(settings.theme.as_deref())
            .or(cfg.file.console.theme.as_deref()),
    )?;
    let keymap = Keymap::with_overrides(&cfg.file.keys).map_err(Error::config)?;
    // Bad rules or metrics settings are config errors before the terminal is taken.
    cfg.metrics(settings.context.as_deref())?;
    let switch = context_switcher(opts.clone(), start, cfg.file.clone(), |k| {
        std::env::var(k).ok()
    });
    let console = Console {
        settings,
        options: cfg.options.clone(),
        theme,
        keymap,
        contexts: cfg.contexts(),
        switch,
        metrics: Box::new(move |context: Option<&str>| cfg.metrics(context)),
    };
    let log = runtime::log_to_file();
    tracing::info!("console starting (log: {:?})", log);
    runtime::run(console).await?;
    Ok(exit::OK)
}

/// How `:ctx NAME` resolves a context. Command-line connection options (`-b`, `-X`,
/// `--command-config`) and `KSCOPE_SASL_*` were given for the cluster the console started on:
/// switching back to that context applies them again, and any other context is resolved from
/// the config file alone, keeping only `--read-only` and `--timeout`. So a password typed for
/// one cluster is never sent to another.
fn context_switcher(
    opts: ConnectOptions,
    start: Option<String>,
    file: impl Into<Arc<RawConfig>>,
    env: fn(&str) -> Option<String>,
) -> ContextResolver {
    let file = file.into();
    Box::new(move |name: &str| {
        if start.as_deref() == Some(name) {
            let mut o = opts.clone();
            o.context = Some(name.to_string());
            config::resolve_with_env(&o, &file, &env)
        } else {
            config::resolve_context(name, opts.carried(), &file)
        }
    })
}

/// A theme by name (user themes in `<config dir>/themes/`), without colour under NO_COLOR.
pub fn load_theme(name: Option<&str>) -> Result<Theme> {
    let dir = config::project_dirs().map(|d| d.config_dir().join("themes"));
    let theme = Theme::load(name.unwrap_or("default"), dir.as_deref())?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Ok(if no_color { theme.monochrome() } else { theme })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Duration;

    fn fake_env(key: &str) -> Option<String> {
        match key {
            "KSCOPE_SASL_USERNAME" => Some("env-user".into()),
            "KSCOPE_SASL_PASSWORD" => Some("env-secret".into()),
            _ => None,
        }
    }

    /// `:ctx other` gets the other context as the config file describes it: none of the
    /// credentials or the bootstrap given on the command line for the first one.
    #[test]
    fn switching_context_leaves_command_line_credentials_behind() {
        let dir = tempfile::tempdir().unwrap();
        let props = dir.path().join("client.properties");
        let mut f = std::fs::File::create(&props).unwrap();
        writeln!(f, "bootstrap.servers=file-host:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"file-user\" password=\"file-secret\";").unwrap();
        let file = config::parse_config(
            "default_context = \"prod\"\n\
             [contexts.prod]\nbootstrap = \"prod:9093\"\n\
             [contexts.staging]\nbootstrap = \"staging:9093\"\ntimeout = \"3s\"\n\
             [contexts.staging.properties]\n\"security.protocol\" = \"SSL\"\n",
            std::path::Path::new("config.toml"),
        )
        .unwrap();
        let opts = ConnectOptions {
            context: Some("prod".into()),
            bootstrap: Some("override:9092".into()),
            properties: vec![
                "sasl.password=cli-secret".into(),
                "sasl.username=cli-user".into(),
                "ssl.key.password=cli-key-secret".into(),
            ],
            command_config: Some(props),
            read_only: true,
            timeout: Some(Duration::from_secs(7)),
            ..Default::default()
        };
        let start = config::resolve_with_env(&opts, &file, &fake_env).unwrap();
        assert_eq!(start.bootstrap, "override:9092");
        assert_eq!(start.properties["sasl.password"].expose(), "cli-secret");

        let switch = context_switcher(opts, start.context.clone(), file, fake_env);
        let other = switch("staging").unwrap();
        assert_eq!(other.context.as_deref(), Some("staging"));
        assert_eq!(other.bootstrap, "staging:9093");
        let keys: Vec<&str> = other.properties.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["security.protocol"], "{other:?}");
        assert_eq!(other.properties["security.protocol"].expose(), "SSL");
        let all = format!(
            "{} {}",
            other.bootstrap,
            other
                .properties
                .values()
                .map(|v| v.expose())
                .collect::<Vec<_>>()
                .join(" ")
        );
        for leaked in ["secret", "user", "override", "file-host", "PLAIN"] {
            assert!(!all.contains(leaked), "{leaked} leaked into {all}");
        }
        // Only what takes nothing away from safety is kept.
        assert!(other.read_only);
        assert_eq!(other.timeout, Duration::from_secs(7));

        // Back on the context it started on, the command line applies again.
        let back = switch("prod").unwrap();
        assert_eq!(back.bootstrap, "override:9092");
        assert_eq!(back.properties["sasl.password"].expose(), "cli-secret");
        assert_eq!(back.properties["sasl.mechanisms"].expose(), "PLAIN");
        assert!(switch("nope").is_err());
    }

    /// Started ad hoc (`-b`), no context is the start one: every switch is from the file alone.
    #[test]
    fn an_ad_hoc_start_carries_nothing() {
        let file = config::parse_config(
            "[contexts.a]\nbootstrap = \"a:1\"\n",
            std::path::Path::new("config.toml"),
        )
        .unwrap();
        let opts = ConnectOptions {
            bootstrap: Some("adhoc:1".into()),
            properties: vec!["sasl.password=cli-secret".into()],
            ..Default::default()
        };
        let start = config::resolve_with_env(&opts, &file, &fake_env).unwrap();
        assert_eq!(start.context, None);
        assert_eq!(start.properties["sasl.password"].expose(), "cli-secret");
        let a = context_switcher(opts, None, file, fake_env)("a").unwrap();
        assert_eq!(a.bootstrap, "a:1");
        assert!(a.properties.is_empty(), "{a:?}");
        assert!(!a.read_only);
    }
}
