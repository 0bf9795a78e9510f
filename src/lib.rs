//! kscope: a terminal operations console for Kafka-protocol clusters.
#![deny(unsafe_code)]
// Nothing a user or a broker controls may end the process: no unwrap/expect outside tests.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod kafka;
pub mod metrics;
pub mod model;
pub mod offsets;
pub mod private_file;
pub mod record;
pub mod runtime;
pub mod schema;
pub mod silences;
pub mod ui;

pub use error::{Error, Result};
