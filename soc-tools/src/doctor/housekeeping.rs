//! Housekeeping checks: what grows without bound (see [`crate::housekeeping`]).
//!
//! - `elasticsearch.ilm-coverage`: every index matching a template with a retention policy
//!   follows it (warning otherwise: ILM never deletes the others).
//! - `elasticsearch.index-growth`: the indices' total size, the largest ones (warning for an
//!   index over [`LARGE_INDEX`]: a shard that size slows recovery, and nothing rolls it over).
//! - `cortex.old-jobs`: analyzer jobs older than `[cortex] job_retention` (warning) or, without
//!   one, than 90 days (reported).
//! - `misp.feed-freshness`: every configured feed fetched by `soc feed-sync` within
//!   `[feed_sync] stale_after` (48 hours by default).

use super::{Diagnosis, Status};
use crate::clients;
use crate::config::{parse_duration, SocConfig};
use crate::housekeeping::{self, DEFAULT_JOB_RETENTION};

/// An index larger than this is reported.
pub(crate) const LARGE_INDEX: u64 = 50 << 30;

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

pub(super) async fn checks(config: &SocConfig, d: &mut Diagnosis) {
    if config.elasticsearch.is_some() {
        match housekeeping::unmanaged_indices(config).await {
            Ok(u) if u.is_empty() => d.push(
                "elasticsearch.ilm-coverage",
                Status::Pass,
                "every index of a template with a retention policy follows it",
                "",
            ),
            Ok(u) => {
                let names: Vec<String> = u
                    .iter()
                    .take(5)
                    .map(|x| format!("{} ({})", x.index, x.policy))
                    .collect();
                d.push(
                    "elasticsearch.ilm-coverage",
                    Status::Warn,
                    format!(
                        "{} indices outside their retention policy: {}{}",
                        u.len(),
                        names.join(", "),
                        if u.len() > 5 { ", ..." } else { "" }
                    ),
                    "soc prune --apply puts them under their policy (ILM then deletes them on time)",
                );
            }
            Err(e) => d.push(
                "elasticsearch.ilm-coverage",
                Status::Skip,
                format!("not checked: {e}"),
                "",
            ),
        }
        if let Ok(Some(es)) = clients::elasticsearch(config) {
            match es.indices().list(None).await {
                Ok(list) => {
                    let mut sized: Vec<(u64, String)> = list
                        .iter()
                        .filter(|i| !i.index.starts_with('.'))
                        .map(|i| (i.store_size.flatten().unwrap_or(0), i.index.clone()))
                        .collect();
                    sized.sort_by(|a, b| b.cmp(a));
                    let total: u64 = sized.iter().map(|(s, _)| s).sum();
                    let top: Vec<String> = sized
                        .iter()
                        .take(3)
                        .map(|(s, n)| format!("{n} {}", gib(*s)))
                        .collect();
                    let evidence = format!(
                        "{} indices, {} in all{}{}",
                        sized.len(),
                        gib(total),
                        if top.is_empty() { "" } else { "; largest: " },
                        top.join(", ")
                    );
                    let large: Vec<&String> = sized
                        .iter()
                        .filter(|(s, _)| *s > LARGE_INDEX)
                        .map(|(_, n)| n)
                        .collect();
                    if large.is_empty() {
                        d.push("elasticsearch.index-growth", Status::Pass, evidence, "");
                    } else {
                        d.push(
                            "elasticsearch.index-growth",
                            Status::Warn,
                            evidence,
                            format!(
                                "{} over {}: write through an alias with a rollover \
                                 ([[elasticsearch.retention]] rollover_after)",
                                large
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                gib(LARGE_INDEX)
                            ),
                        );
                    }
                }
                Err(e) => d.push(
                    "elasticsearch.index-growth",
                    Status::Skip,
                    format!("not checked: {e}"),
                    "",
                ),
            }
        }
    }
    feed_freshness(config, d);
    if config.cortex.is_some() {
        let (keep, configured) = match housekeeping::job_retention(config) {
            Ok(Some(k)) => (k, true),
            Ok(None) => (DEFAULT_JOB_RETENTION, false),
            Err(e) => {
                d.push(
                    "cortex.old-jobs",
                    Status::Fail,
                    e,
                    "a duration like \"90d\"",
                );
                return;
            }
        };
        let days = keep.as_secs() / 86_400;
        match housekeeping::old_jobs(config, keep).await {
            Ok(jobs) if jobs.is_empty() => d.push(
                "cortex.old-jobs",
                Status::Pass,
                format!("no analyzer job older than {days} days"),
                "",
            ),
            Ok(jobs) if configured => d.push(
                "cortex.old-jobs",
                Status::Warn,
                format!(
                    "{} analyzer jobs older than the {days}-day retention",
                    jobs.len()
                ),
                "soc prune --apply deletes them",
            ),
            Ok(jobs) => d.push(
                "cortex.old-jobs",
                Status::Pass,
                format!(
                    "{} analyzer jobs older than {days} days are kept (no [cortex] job_retention)",
                    jobs.len()
                ),
                "",
            ),
            Err(e) => d.push(
                "cortex.old-jobs",
                Status::Skip,
                format!("not checked: {e}"),
                "",
            ),
        }
    }
}

fn feed_freshness(config: &SocConfig, d: &mut Diagnosis) {
    let Some(misp) = &config.misp else { return };
    if misp.feeds.is_empty() {
        return;
    }
    let stale = match config.feed_sync.stale_after.as_deref() {
        None => std::time::Duration::from_secs(48 * 3600),
        Some(s) => match parse_duration(s) {
            Ok(v) => v,
            Err(e) => {
                d.push(
                    "misp.feed-freshness",
                    Status::Fail,
                    format!("feed_sync.stale_after: {e}"),
                    "a duration like \"48h\"",
                );
                return;
            }
        },
    };
    let state = match crate::feed_sync::last_fetched(config) {
        Ok(s) => s,
        Err(e) => {
            d.push(
                "misp.feed-freshness",
                Status::Warn,
                e,
                "remove the file; the next soc feed-sync writes it again",
            );
            return;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_secs() as i64);
    let hours = stale.as_secs() / 3600;
    let mut late = Vec::new();
    for f in &misp.feeds {
        match state.get(&f.name) {
            None => late.push(format!("{} (never)", f.name)),
            Some(t) if now - t > stale.as_secs() as i64 => {
                late.push(format!("{} ({} h ago)", f.name, (now - t) / 3600))
            }
            Some(_) => {}
        }
    }
    if late.is_empty() {
        d.push(
            "misp.feed-freshness",
            Status::Pass,
            format!(
                "{} feeds fetched by soc feed-sync within {hours} h",
                misp.feeds.len()
            ),
            "",
        );
    } else {
        d.push(
            "misp.feed-freshness",
            Status::Warn,
            format!(
                "not fetched by soc feed-sync within {hours} h: {}",
                late.join(", ")
            ),
            "run soc feed-sync, and keep it scheduled (soc feed-sync --every 24h)",
        );
    }
}
