//! Per alert: its indicators, then (once their lookups are answered) the score, the writes to
//! TheHive in an order a rerun can resume, the notification, and the marker last.

use std::collections::BTreeSet;

use thehive_client::model::{Alert, AlertUpdate, InputLog, InputTask, PromoteAlert};
use thehive_client::query::{Filter, Search};

use super::lookup::Lookups;
use super::{score, AlertResult, Context, Indicator, MARKER};
use crate::extract;

/// The title of the task holding the report in a case.
const TASK_TITLE: &str = "soc enrich report";
/// How a report starts (comments and logs are recognised by it on a rerun).
const REPORT_HEADING: &str = "### soc enrich report";

/// The alert's observables and the indicators in its title and description.
pub(super) async fn indicators(ctx: &Context, alert: &Alert) -> Result<Vec<Indicator>, String> {
    let mut out = BTreeSet::new();
    let observables = ctx
        .hive
        .alerts()
        .find_observables(&alert.meta.id, &Search::new())
        .await
        .map_err(|e| format!("reading the observables: {e}"))?;
    for o in observables {
        if let Some(data) = o.data {
            out.insert(Indicator {
                data_type: o.data_type,
                value: data,
            });
        }
    }
    let text = format!("{}\n{}", alert.title, alert.description);
    for i in extract::extract(&text) {
        // Private addresses in prose are the SOC's own hosts, not indicators to look up.
        if i.kind == extract::Kind::Ip && !i.public {
            continue;
        }
        out.insert(Indicator {
            data_type: i.kind.thehive_data_type().to_owned(),
            value: i.value,
        });
    }
    Ok(out.into_iter().collect())
}

fn failed(alert: &Alert, indicators: usize, error: String) -> AlertResult {
    AlertResult {
        alert: alert.meta.id.as_str().to_owned(),
        title: alert.title.clone(),
        status: "failed",
        score: 0,
        indicators,
        case: None,
        error: Some(error),
        report: String::new(),
    }
}

/// Scores, writes and marks one alert.
pub(super) async fn finish(
    ctx: &Context,
    lookups: &Lookups,
    alert: Alert,
    indicators: Result<Vec<Indicator>, String>,
) -> AlertResult {
    let indicators = match indicators {
        Ok(i) => i,
        Err(e) => return failed(&alert, 0, e),
    };
    let mut rows = Vec::with_capacity(indicators.len());
    let mut errors = Vec::new();
    for i in &indicators {
        let f = lookups.findings(ctx, i).await;
        for e in [
            f.misp.as_ref().and_then(|r| r.as_ref().err()),
            f.cortex.as_ref().and_then(|r| r.as_ref().err()),
            f.related.as_ref().and_then(|r| r.as_ref().err()),
        ]
        .into_iter()
        .flatten()
        {
            errors.push(format!("{}: {e}", i.value));
        }
        let s = score::indicator_score(&ctx.cfg.score, &f);
        rows.push((i.clone(), f, s));
    }
    if !errors.is_empty() {
        errors.dedup();
        return failed(&alert, indicators.len(), errors.join("; "));
    }
    let scores: Vec<u32> = rows.iter().map(|r| r.2).collect();
    let total = score::alert_score(&scores);
    let report = score::report(&alert.title, total, ctx.cfg.case_threshold, &rows);
    match write(ctx, &alert, total, &report).await {
        Ok(case) => AlertResult {
            alert: alert.meta.id.as_str().to_owned(),
            title: alert.title.clone(),
            status: "enriched",
            score: total,
            indicators: indicators.len(),
            case,
            error: None,
            report,
        },
        Err(e) => {
            let mut r = failed(&alert, indicators.len(), e);
            r.score = total;
            r
        }
    }
}

/// The writes, each looked for before it is made; the marker last.
async fn write(
    ctx: &Context,
    alert: &Alert,
    total: u32,
    report: &str,
) -> Result<Option<String>, String> {
    let hive = &ctx.hive;
    let id = &alert.meta.id;
    let mut case_id = None;
    if total >= ctx.cfg.case_threshold {
        let case = match &alert.case_id {
            Some(c) => c.clone(),
            None => match hive
                .alerts()
                .promote_to_case(id, &PromoteAlert::default())
                .await
            {
                Ok(c) => c.meta.id,
                Err(e) => {
                    // Promoted by an interrupted run whose answer was lost: find the case.
                    let again = hive
                        .alerts()
                        .get(id)
                        .await
                        .map_err(|g| format!("promoting: {e}; reading back: {g}"))?;
                    again
                        .case_id
                        .ok_or_else(|| format!("promoting to a case: {e}"))?
                }
            },
        };
        let tasks = hive
            .cases()
            .find_tasks(
                &case,
                &Search::new().filter(Filter::eq("title", TASK_TITLE)),
            )
            .await
            .map_err(|e| format!("reading the case's tasks: {e}"))?;
        let task = match tasks.into_iter().next() {
            Some(t) => t.meta.id,
            None => {
                let t = InputTask::new(TASK_TITLE)
                    .group("enrichment")
                    .description(format!(
                    "Threat score {total}/100 from soc enrich; the report is in the task's log."
                ));
                hive.cases()
                    .create_task(&case, &t)
                    .await
                    .map_err(|e| format!("creating the task: {e}"))?
                    .meta
                    .id
            }
        };
        let logs = hive
            .tasks()
            .find_logs(&task, &Search::new())
            .await
            .map_err(|e| format!("reading the task's logs: {e}"))?;
        if !logs.iter().any(|l| l.message.starts_with(REPORT_HEADING)) {
            hive.tasks()
                .create_log(&task, &InputLog::new(report))
                .await
                .map_err(|e| format!("writing the report: {e}"))?;
        }
        case_id = Some(case.as_str().to_owned());
    } else {
        let comments = hive
            .alerts()
            .find_comments(id, &Search::new())
            .await
            .map_err(|e| format!("reading the comments: {e}"))?;
        if !comments
            .iter()
            .any(|c| c.message.starts_with(REPORT_HEADING))
        {
            hive.alerts()
                .add_comment(id, report)
                .await
                .map_err(|e| format!("commenting: {e}"))?;
        }
    }
    if let (Some(n), Some(client)) = (&ctx.cfg.notify, &ctx.notify) {
        if total >= n.min_score {
            let body = if n.format == "slack" {
                serde_json::json!({"text": format!(
                    "*{}* scored {total}/100{}",
                    alert.title,
                    case_id.as_deref().map(|c| format!(", case {c}")).unwrap_or_default()
                )})
            } else {
                serde_json::json!({
                    "alert": id.as_str(), "title": alert.title, "score": total,
                    "case": case_id, "source": alert.source, "sourceRef": alert.source_ref,
                })
            };
            client
                .request(soc_http::Method::POST, std::iter::empty::<&str>())
                .json_body(&body)
                .send()
                .await
                .map_err(|e| format!("notifying: {e}"))?;
        }
    }
    // The marker, last: tags `enriched` and `score:NN` (an older score tag replaced).
    let mut tags: Vec<String> = alert
        .tags
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !t.starts_with("score:") && t != MARKER)
        .collect();
    tags.push(MARKER.to_owned());
    tags.push(format!("score:{total}"));
    let update = AlertUpdate {
        tags: Some(tags),
        ..Default::default()
    };
    hive.alerts()
        .update(id, &update)
        .await
        .map_err(|e| format!("marking the alert: {e}"))?;
    Ok(case_id)
}
