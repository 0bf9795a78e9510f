//! What a panel's answer lacks, in words for the screen: a short marker for the panel's title
//! (`incomplete: 4 of 12 partitions`) and a line for the status bar naming what is missing.

use crate::model::{
    ClusterInfo, Gaps, GroupDetail, GroupSummary, Listing, SubjectListing, SubjectVersions,
    TopicDetail, TopicSummary,
};

/// Shown with a panel whose last answer is not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// For the panel's title, e.g. `incomplete: 4 of 12 partitions`.
    pub short: String,
    /// For the status line: what is missing and why.
    pub detail: String,
}

fn marker(
    partitions: (usize, usize),
    groups: (usize, usize),
    other: &[&Gaps],
    detail: String,
) -> Option<Incomplete> {
    let mut parts = Vec::new();
    if partitions.0 > 0 {
        parts.push(format!("{} of {} partitions", partitions.0, partitions.1));
    }
    if groups.0 > 0 {
        parts.push(format!("{} of {} groups", groups.0, groups.1));
    }
    let others: usize = other.iter().map(|g| g.len() - g.partitions()).sum();
    if parts.is_empty() && others > 0 {
        parts.push(format!("{others} missing"));
    }
    (!parts.is_empty()).then(|| Incomplete {
        short: format!("incomplete: {}", parts.join(", ")),
        detail,
    })
}

fn subjects_count(n: usize) -> String {
    if n == 1 {
        "1 subject".into()
    } else {
        format!("{n} subjects")
    }
}

/// Subjects listed without their versions, and subjects the registry would not give.
pub fn subjects(s: &SubjectListing) -> Option<Incomplete> {
    let failed: Vec<&str> = s
        .subjects
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.subject.as_str())
        .collect();
    let missing = s.not_loaded + failed.len();
    if missing == 0 {
        return None;
    }
    let mut detail = Vec::new();
    if s.not_loaded > 0 {
        detail.push(format!(
            "versions of {} not read (time ran out or over {} subjects)",
            subjects_count(s.not_loaded),
            crate::model::SUBJECTS_READ
        ));
    }
    if let Some(first) = s.subjects.iter().find_map(|r| r.error.as_deref()) {
        detail.push(format!(
            "{} failed ({}): {first}",
            subjects_count(failed.len()),
            failed
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(Incomplete {
        short: format!("incomplete: {missing} of {} subjects", s.subjects.len()),
        detail: detail.join("; "),
    })
}

/// Versions listed without their schema, and versions the registry would not give.
pub fn subject_versions(s: &SubjectVersions) -> Option<Incomplete> {
    let failed: Vec<i32> = s
        .versions
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.version)
        .collect();
    let missing = s.not_loaded + failed.len();
    if missing == 0 {
        return None;
    }
    let mut detail = Vec::new();
    if s.not_loaded > 0 {
        detail.push(format!(
            "schemas of {} versions not read (time ran out or over {} versions)",
            s.not_loaded,
            crate::model::VERSIONS_READ
        ));
    }
    if let Some(first) = s.versions.iter().find_map(|r| r.error.as_deref()) {
        let shown: Vec<String> = failed.iter().take(3).map(i32::to_string).collect();
        detail.push(format!(
            "{} versions failed ({}): {first}",
            failed.len(),
            shown.join(", ")
        ));
    }
    Some(Incomplete {
        short: format!("incomplete: {missing} of {} versions", s.versions.len()),
        detail: detail.join("; "),
    })
}

pub fn cluster(c: &ClusterInfo) -> Option<Incomplete> {
    marker((0, 0), (0, 0), &[&c.gaps], c.gaps.summary())
}

pub fn topics(l: &Listing<TopicSummary>) -> Option<Incomplete> {
    let missing: usize = l.items.iter().map(|t| t.gaps.partitions()).sum();
    let total: usize = l.items.iter().map(|t| t.partitions).sum();
    let others: Vec<&Gaps> = l.items.iter().map(|t| &t.gaps).chain([&l.gaps]).collect();
    let detail = details(&l.gaps, l.items.iter().map(|t| (t.name.as_str(), &t.gaps)));
    marker((missing, total), (0, 0), &others, detail)
}

pub fn topic(t: &TopicDetail) -> Option<Incomplete> {
    marker(
        (t.gaps.partitions(), t.partitions.len()),
        (0, 0),
        &[&t.gaps],
        t.gaps.summary(),
    )
}

pub fn groups(l: &Listing<GroupSummary>) -> Option<Incomplete> {
    let incomplete = l.items.iter().filter(|g| !g.gaps.is_complete()).count();
    let detail = details(&l.gaps, l.items.iter().map(|g| (g.group.as_str(), &g.gaps)));
    let mut m = marker((0, 0), (incomplete, l.items.len()), &[], detail.clone());
    if !l.gaps.is_complete() {
        let listing = "groups may be missing".to_string();
        m = Some(match m {
            Some(mut m) => {
                m.short = format!("{}, {listing}", m.short);
                m
            }
            None => Incomplete {
                short: format!("incomplete: {listing}"),
                detail,
            },
        });
    }
    m
}

pub fn group(g: &GroupDetail) -> Option<Incomplete> {
    marker(
        (g.gaps.partitions(), g.partitions.len()),
        (0, 0),
        &[&g.gaps],
        g.gaps.summary(),
    )
}

fn details<'a>(list: &Gaps, items: impl Iterator<Item = (&'a str, &'a Gaps)>) -> String {
    let mut out: Vec<String> = Vec::new();
    if !list.is_complete() {
        out.push(list.summary());
    }
    out.extend(
        items
            .filter(|(_, g)| !g.is_complete())
            .map(|(name, g)| format!("{name}: {}", g.summary())),
    );
    out.join("; ")
}
