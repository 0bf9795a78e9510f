//! `kscope demo [--headless]`

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::output::{emit, emit_json, Output, Stream};
use super::GlobalArgs;
use crate::demo::{Demo, GROUPS, TOPICS};
use crate::error::{exit, Error, Result};
use crate::offsets::shell_quote;
use crate::private_file;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run only the cluster: print its bootstrap address and wait for Ctrl-C
    #[arg(long)]
    pub headless: bool,
}

pub async fn run(g: &GlobalArgs, a: DemoArgs) -> Result<i32> {
    let demo = Demo::start()?;
    if !a.headless {
        let result = super::console::run(g, Some(demo.settings())).await;
        demo.stop();
        return result;
    }
    let bootstrap = demo.bootstrap().to_string();
    // The mock cluster cannot list groups: a config whose context names them lets every
    // other command (groups, watch, the console) see them.
    let config = DemoConfig::write(&bootstrap)?;
    let shown = shell_quote(&config.path.display().to_string());
    match g.output {
        Output::Table => {
            let topics: Vec<String> = TOPICS
                .iter()
                .map(|t| format!("{} ({})", t.name, t.partitions))
                .collect();
            let groups: Vec<String> = GROUPS
                .iter()
                .map(|(g, how)| format!("{g} ({how})"))
                .collect();
            emit(&format!(
                "bootstrap: {bootstrap}\ntopics:    {}\ngroups:    {}\nconfig:    {shown} (context 'demo' naming the groups; removed on exit)\ntry:       kscope --config-file {shown} groups\n           kscope --config-file {shown} watch --once\n           kscope --config-file {shown} tail orders --follow\n           kscope --config-file {shown} group analytics\nPress Ctrl-C to stop.\n",
                topics.join(", "),
                groups.join(", ")
            ))?;
        }
        _ => {
            let info = serde_json::json!({
                "bootstrap": bootstrap,
                "topics": TOPICS.iter().map(|t| serde_json::json!({"name": t.name, "partitions": t.partitions})).collect::<Vec<_>>(),
                "groups": GROUPS.iter().map(|(g, _)| g).collect::<Vec<_>>(),
                "config": config.path.display().to_string(),
                "context": "demo",
            });
            emit_json(Stream::Stdout, &info, false)?;
        }
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Io(format!("cannot wait for Ctrl-C: {e}")))?;
    demo.stop();
    drop(config);
    Ok(exit::OK)
}

/// The demo's config file: one context, `demo`, with the cluster's address and its groups.
/// Owner-only, in the temporary directory, removed when the demo stops.
struct DemoConfig {
    path: PathBuf,
}

impl DemoConfig {
    fn write(bootstrap: &str) -> Result<DemoConfig> {
        let path = std::env::temp_dir().join(format!("kscope-demo-{}.toml", std::process::id()));
        let groups: Vec<String> = GROUPS.iter().map(|(g, _)| format!("{g:?}")).collect();
        let text = format!(
            "# Written by `kscope demo --headless` (process {}); removed when it stops.\n\
             default_context = \"demo\"\n\n\
             [contexts.demo]\n\
             bootstrap = {bootstrap:?}\n\
             # The demo cluster cannot list groups: these are its groups.\n\
             groups = [{}]\n\
             timeout = \"5s\"\n\n\
             # The demo's groups are minutes old: the default time-lag threshold (5 minutes)\n\
             # would not see the stalled one for a while.\n\
             [[contexts.demo.alerts]]\n\
             name = \"lag-seconds\"\n\
             rule = \"lag_seconds > 30s\"\n",
            std::process::id(),
            groups.join(", ")
        );
        // A file left by an earlier demo with this process id is stale.
        let _ = std::fs::remove_file(&path);
        let mut f =
            private_file::create_new(&path, "demo config").map_err(|e| Error::Io(e.to_string()))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
        Ok(DemoConfig { path })
    }
}

impl Drop for DemoConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
