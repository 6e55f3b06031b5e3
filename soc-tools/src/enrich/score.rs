//! The threat score and the report.
//!
//! An indicator scores the sum of what applies to it (weights from `[enrich.score]`):
//!
//! | finding | default weight |
//! |---|---|
//! | in MISP | 25 |
//! | ... as an IDS attribute | +15 |
//! | ... in an event of threat level high / medium / low | +20 / +10 / +5 (the highest) |
//! | a Cortex analyzer says malicious (else suspicious) | +40 (else +15) |
//! | each related event in Elasticsearch | +2, at most +20 |
//!
//! The alert's score is the sum over its distinct indicators, capped at 100.

use std::fmt::Write as _;

use super::lookup::Findings;
use super::Indicator;
use crate::config::ScoreWeights;

/// One indicator's score.
pub(crate) fn indicator_score(w: &ScoreWeights, f: &Findings) -> u32 {
    let mut s = 0;
    if let Some(Ok(hits)) = &f.misp {
        if !hits.is_empty() {
            s += w.misp_hit;
            if hits.iter().any(|h| h.to_ids) {
                s += w.misp_to_ids;
            }
            s += hits
                .iter()
                .filter_map(|h| h.threat_level)
                .map(|l| match l {
                    1 => w.misp_threat_high,
                    2 => w.misp_threat_medium,
                    3 => w.misp_threat_low,
                    _ => 0,
                })
                .max()
                .unwrap_or(0);
        }
    }
    if let Some(Ok(verdicts)) = &f.cortex {
        if verdicts.iter().any(|v| v.level == "malicious") {
            s += w.cortex_malicious;
        } else if verdicts.iter().any(|v| v.level == "suspicious") {
            s += w.cortex_suspicious;
        }
    }
    if let Some(Ok(n)) = &f.related {
        let n = u32::try_from(*n).unwrap_or(u32::MAX);
        s += n.saturating_mul(w.related_event).min(w.related_events_max);
    }
    s
}

/// The alert's score from its indicators' scores.
pub(crate) fn alert_score(scores: &[u32]) -> u32 {
    scores
        .iter()
        .fold(0u32, |a, s| a.saturating_add(*s))
        .min(100)
}

/// The Markdown report of one alert.
pub(crate) fn report(
    title: &str,
    score: u32,
    threshold: u32,
    rows: &[(Indicator, Findings, u32)],
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "### soc enrich report: {title}\n");
    let verdict = if score >= threshold {
        "at or above"
    } else {
        "below"
    };
    let _ = writeln!(
        md,
        "**Threat score: {score}/100** ({verdict} the case threshold of {threshold}).\n"
    );
    let _ = writeln!(
        md,
        "| indicator | type | MISP | Cortex | related events | score |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (i, f, s) in rows {
        let misp = match &f.misp {
            None => "-".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            Some(Ok(h)) if h.is_empty() => "no hit".to_owned(),
            Some(Ok(h)) => format!(
                "{} hit(s){}",
                h.len(),
                if h.iter().any(|x| x.to_ids) {
                    ", IDS"
                } else {
                    ""
                }
            ),
        };
        let cortex = match &f.cortex {
            None => "-".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            Some(Ok(v)) => v
                .iter()
                .map(|v| format!("{}: {}", v.analyzer, v.level))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let related = match &f.related {
            None => "-".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            Some(Ok(n)) => n.to_string(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {misp} | {cortex} | {related} | {s} |",
            i.value.replace('|', "\\|"),
            i.data_type
        );
    }
    let hits: Vec<_> = rows
        .iter()
        .filter_map(|(i, f, _)| match &f.misp {
            Some(Ok(h)) if !h.is_empty() => Some((i, h)),
            _ => None,
        })
        .collect();
    if !hits.is_empty() {
        let _ = writeln!(md, "\n#### MISP\n");
        for (i, h) in hits {
            for x in h {
                let level = match x.threat_level {
                    Some(1) => "high",
                    Some(2) => "medium",
                    Some(3) => "low",
                    _ => "undefined",
                };
                let _ = writeln!(
                    md,
                    "- `{}`: event {} \"{}\" ({} / {}, threat level {level}{})",
                    i.value,
                    x.event_id,
                    x.event_info,
                    x.category,
                    x.misp_type,
                    if x.to_ids { ", IDS" } else { "" }
                );
            }
        }
    }
    let verdicts: Vec<_> = rows
        .iter()
        .filter_map(|(i, f, _)| match &f.cortex {
            Some(Ok(v)) if !v.is_empty() => Some((i, v)),
            _ => None,
        })
        .collect();
    if !verdicts.is_empty() {
        let _ = writeln!(md, "\n#### Cortex\n");
        for (i, vs) in verdicts {
            for v in vs {
                let _ = writeln!(
                    md,
                    "- `{}` {}: **{}** {}",
                    i.value,
                    v.analyzer,
                    v.level,
                    v.summary.join(", ")
                );
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{CortexVerdict, MispHit};

    fn hit(to_ids: bool, level: i64) -> MispHit {
        MispHit {
            event_id: 1,
            event_info: "x".into(),
            threat_level: Some(level),
            misp_type: "ip-dst".into(),
            category: "Network activity".into(),
            to_ids,
        }
    }

    #[test]
    fn weights_add_up_as_documented() {
        let w = ScoreWeights::default();
        let f = Findings {
            misp: Some(Ok(vec![hit(false, 3), hit(true, 1)])),
            cortex: Some(Ok(vec![CortexVerdict {
                analyzer: "A".into(),
                level: "malicious".into(),
                summary: vec![],
            }])),
            related: Some(Ok(50)),
        };
        assert_eq!(indicator_score(&w, &f), 25 + 15 + 20 + 40 + 20);
        assert_eq!(indicator_score(&w, &Findings::default()), 0);
        let errors = Findings {
            misp: Some(Err("down".into())),
            cortex: None,
            related: Some(Ok(3)),
        };
        assert_eq!(indicator_score(&w, &errors), 6);
        assert_eq!(alert_score(&[60, 60]), 100);
        assert_eq!(alert_score(&[]), 0);
    }
}
