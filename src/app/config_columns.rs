//! The tables of configs: a topic's (its configs tab) and a broker's (its configs screen).

use super::columns::Width::{Fill, Fixed};
use super::columns::{Cell, Column, Role, TableDef, MIN_FILL};
use crate::model::{ConfigValue, DescribedConfig};

#[rustfmt::skip]
pub const CONFIGS: TableDef<ConfigValue> = TableDef {
    columns: &[
        Column { title: "NAME", width: Fill(2),
            cell: |c, _, _| Cell::plain(&c.name),
            sort: Some(|a, b, _, _| a.name.cmp(&b.name)) },
        Column { title: "VALUE", width: Fill(2),
            cell: |c, _, _| {
                if c.sensitive {
                    Cell::plain("<sensitive>")
                } else {
                    Cell::plain(c.value.as_deref().unwrap_or("-"))
                }
            },
            sort: Some(|a, b, _, _| a.value.cmp(&b.value)) },
        Column { title: "SOURCE", width: Fixed(15),
            cell: |c, _, _| Cell::plain(&c.source),
            sort: Some(|a, b, _, _| a.source.cmp(&b.source)) },
    ],
    filter_text: |c| format!("{} {}", c.name, c.value.clone().unwrap_or_default()),
    empty: "no configs",
    // Values set on the topic itself stand out from inherited ones.
    row: Some(|c| if c.source == "topic" { Role::Accent } else { Role::Plain }),
    hide_first: &["SOURCE"],
    min_fill: MIN_FILL,
};

#[rustfmt::skip]
pub const BROKER_CONFIGS: TableDef<DescribedConfig> = TableDef {
    columns: &[
        Column { title: "NAME", width: Fill(2),
            cell: |c, _, _| Cell::plain(&c.name),
            sort: Some(|a, b, _, _| a.name.cmp(&b.name)) },
        Column { title: "VALUE", width: Fill(2),
            cell: |c, _, _| {
                if c.sensitive {
                    Cell::plain("<sensitive>")
                } else {
                    Cell::plain(c.value.as_deref().unwrap_or("-"))
                }
            },
            sort: Some(|a, b, _, _| a.value.cmp(&b.value)) },
        Column { title: "SOURCE", width: Fixed(15),
            cell: |c, _, _| Cell::plain(&c.source),
            sort: Some(|a, b, _, _| a.source.cmp(&b.source)) },
        Column { title: "DYNAMIC", width: Fixed(8),
            cell: |c, _, _| Cell::plain(if c.read_only { "no" } else { "yes" }),
            sort: Some(|a, b, _, _| b.read_only.cmp(&a.read_only)) },
    ],
    filter_text: |c| format!("{} {}", c.name, c.value.clone().unwrap_or_default()),
    empty: "every config of this broker is at Kafka's default",
    // This broker's own dynamic values stand out.
    row: Some(|c| if c.source == "broker" { Role::Accent } else { Role::Plain }),
    hide_first: &["DYNAMIC", "SOURCE"],
    min_fill: MIN_FILL,
};
