//! `kscope demo [--headless]`

use clap::Args;

use super::output::{emit, emit_json, Output, Stream};
use super::GlobalArgs;
use crate::demo::{Demo, GROUPS, TOPICS};
use crate::error::{exit, Error, Result};

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
                "bootstrap: {bootstrap}\ntopics:    {}\ngroups:    {}\ntry:       kscope -b {bootstrap} topics\n           kscope -b {bootstrap} tail orders --follow\n           kscope -b {bootstrap} group analytics\nPress Ctrl-C to stop.\n",
                topics.join(", "),
                groups.join(", ")
            ))?;
        }
        _ => {
            let info = serde_json::json!({
                "bootstrap": bootstrap,
                "topics": TOPICS.iter().map(|t| serde_json::json!({"name": t.name, "partitions": t.partitions})).collect::<Vec<_>>(),
                "groups": GROUPS.iter().map(|(g, _)| g).collect::<Vec<_>>(),
            });
            emit_json(Stream::Stdout, &info, false)?;
        }
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Io(format!("cannot wait for Ctrl-C: {e}")))?;
    demo.stop();
    Ok(exit::OK)
}
