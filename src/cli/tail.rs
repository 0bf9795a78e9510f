//! `kscope tail TOPIC`

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::output::{record_stdout, stdout_is_terminal, warn, Output};
use super::GlobalArgs;
use crate::error::{exit, Error, Result};
use crate::kafka::tail::{plan, StopAt, Tail};
use crate::record::{
    problem_class, Decoded, DecodedRecord, FilterSet, RecordWriter, StartPosition, Template,
    WriterOptions,
};
use crate::schema::{FieldAs, Outcome, Part};

#[derive(Debug, Args)]
pub struct TailArgs {
    pub topic: String,
    /// Where to start: beginning, end, OFFSET, -N (last N per partition), @RFC3339, @EPOCH_MS or @-DURATION (e.g. @-15m)
    #[arg(long, default_value = "-10", allow_hyphen_values = true, value_parser = parse_position)]
    pub from: StartPosition,
    /// Only these partitions (repeatable)
    #[arg(short, long = "partition", value_name = "P")]
    pub partitions: Vec<i32>,
    /// Stop after N records (after filtering)
    #[arg(short = 'n', long)]
    pub max: Option<u64>,
    /// Keep reading new records until Ctrl-C
    #[arg(short, long, conflicts_with = "until")]
    pub follow: bool,
    /// Stop at the end of the log as it was when the tail started (the default without --follow)
    #[arg(long, value_enum)]
    pub until: Option<Until>,
    /// How to show keys: utf8, json, hex, base64, raw, avro, protobuf, json-schema or auto (the default with a schema registry; utf8 without)
    #[arg(long, value_parser = parse_field_as)]
    pub key_as: Option<FieldAs>,
    /// How to show values: utf8, json, hex, base64, raw, avro, protobuf, json-schema or auto (the default with a schema registry; utf8 without)
    #[arg(long, value_parser = parse_field_as)]
    pub value_as: Option<FieldAs>,
    #[command(flatten)]
    pub schemas: super::schema_args::SchemaArgs,
    /// A kcat-style line format: %t topic, %p partition, %o offset, %k key, %v value, %T timestamp (ms), %d timestamp (RFC 3339), %h headers, %K/%S key/value length
    #[arg(long)]
    pub format: Option<String>,
    /// Keep only matching records: key=TEXT, value~REGEX, header.NAME=TEXT, with != and !~ to negate (repeatable; all must match)
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Until {
    End,
}

fn parse_position(s: &str) -> std::result::Result<StartPosition, String> {
    s.parse::<StartPosition>()
        .and_then(|p| p.check(chrono::Utc::now()))
        .map_err(|e| e.to_string())
}

fn parse_field_as(s: &str) -> std::result::Result<FieldAs, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

pub async fn run(g: &GlobalArgs, a: TailArgs) -> Result<i32> {
    let mut writer = match (g.output, &a.format) {
        (Output::Table, Some(f)) => RecordWriter::Template(Template::parse(f)?.ensure_newline()),
        (Output::Table, None) => RecordWriter::Template(Template::default_line()),
        (_, Some(_)) => {
            return Err(Error::usage(
                "--format applies to table output only, not to --output json/jsonl",
            ))
        }
        (Output::Json, None) => RecordWriter::Json { first: true },
        (Output::Jsonl, None) => RecordWriter::JsonLines,
    };
    let filters = FilterSet::parse(&a.filters)?;
    let settings = g.settings()?;
    let (key_as, value_as, mut decoder) = a
        .schemas
        .decoder(&settings, &a.topic, a.key_as, a.value_as)?;
    let client = super::budget_client(settings.clone())?;
    let plan = plan(&client, &a.topic, &a.partitions, a.from, chrono::Utc::now()).await?;
    for w in &plan.warnings {
        warn(w);
    }
    let stop_at = StopAt {
        until_end: !a.follow,
        max: a.max,
    };
    let mut tail = Tail::start(&settings, plan, stop_at.until_end)?;

    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.store(true, Ordering::Relaxed);
        }
    });

    let opts = WriterOptions {
        key: key_as.fallback(),
        value: value_as.fallback(),
        escape: stdout_is_terminal(),
    };
    let with_headers = writer.needs_headers() || filters.needs_headers();
    let task = tokio::task::spawn_blocking(move || -> Result<()> {
        let stdout = record_stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        let io_result = (|| -> std::io::Result<Result<()>> {
            writer.begin(&mut out)?;
            let (mut key_json, mut value_json) = (Vec::new(), Vec::new());
            let mut problems = Problems::default();
            let r = tail.run(&stop, stop_at, with_headers, |rec| {
                let Some(rec) = rec else {
                    // Caught up: what was written so far goes out now, so a pipe (`| jq`)
                    // sees records as they arrive.
                    return match out.flush() {
                        Ok(()) => ControlFlow::Continue(false),
                        Err(e) => ControlFlow::Break(Err(Error::from(e))),
                    };
                };
                let out = &mut out;
                let Some(decoder) = decoder.as_mut() else {
                    if !filters.is_empty() && !filters.matches(rec) {
                        return ControlFlow::Continue(false);
                    }
                    return match writer.write(out, rec, &opts) {
                        Ok(()) => ControlFlow::Continue(true),
                        Err(e) => ControlFlow::Break(Err(Error::from(e))),
                    };
                };
                key_json.clear();
                value_json.clear();
                let key = rec.key.map(|k| decoder.decode(Part::Key, k, &mut key_json));
                let value = rec
                    .value
                    .map(|v| decoder.decode(Part::Value, v, &mut value_json));
                let d = DecodedRecord {
                    key: decoded(&key, &key_json),
                    value: decoded(&value, &value_json),
                    active: true,
                };
                for (part, o) in [(Part::Key, &key), (Part::Value, &value)] {
                    if let Some(Outcome::Failed(why)) = o {
                        problems.note(part, why, rec);
                    }
                }
                if !filters.is_empty() && !filters.matches_decoded(rec, &d) {
                    return ControlFlow::Continue(false);
                }
                match writer.write_decoded(out, rec, &d, &opts) {
                    Ok(()) => ControlFlow::Continue(true),
                    Err(e) => ControlFlow::Break(Err(Error::from(e))),
                }
            });
            writer.finish(&mut out)?;
            out.flush()?;
            problems.summary();
            Ok(r.map(|_| ()))
        })();
        match io_result {
            Ok(r) => r,
            Err(e) => Err(Error::from(e)),
        }
    });
    match task
        .await
        .map_err(|e| Error::kafka(format!("tail task failed: {e}")))?
    {
        Ok(()) => Ok(exit::OK),
        // The reader went away (`| head`): that is how pipes end, not an error.
        Err(Error::Io(msg)) if msg.contains("Broken pipe") => Ok(exit::OK),
        Err(e) => Err(e),
    }
}

fn decoded<'a>(o: &'a Option<Outcome>, json: &'a [u8]) -> Decoded<'a> {
    match o {
        Some(Outcome::Decoded(s)) => Decoded::Json(json, &s.meta),
        Some(Outcome::Failed(why)) => Decoded::Failed(why),
        _ => Decoded::Plain,
    }
}

/// Records that could not be decoded: the first of each kind of problem is reported on
/// stderr, the rest are counted.
#[derive(Default)]
struct Problems {
    seen: std::collections::HashSet<String>,
    records: u64,
}

/// At most this many different problems are reported one by one.
const MAX_REPORTED: usize = 20;

impl Problems {
    fn note(&mut self, part: Part, why: &str, r: &crate::record::RecordRef<'_>) {
        self.records += 1;
        // Lengths and offsets inside a reason vary from record to record; the kind of
        // problem does not (a schema id keeps its number).
        let class = format!("{}:{}", part.name(), problem_class(why));
        if self.seen.len() < MAX_REPORTED && self.seen.insert(class) {
            warn(format!(
                "{} of {}/{} offset {} cannot be decoded: {why}; shown raw (reported once)",
                part.name(),
                r.topic,
                r.partition,
                r.offset
            ));
        }
    }

    fn summary(&self) {
        if self.records > 0 {
            warn(format!(
                "{} key(s) or value(s) could not be decoded and were shown raw",
                self.records
            ));
        }
    }
}
