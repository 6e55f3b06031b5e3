//! `bench/RESULTS.md` and one SVG plot per benchmark, from the JSON the benchmarks write in
//! `bench/results/`.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// One row of the results table.
struct Row {
    work: String,
    peer: String,
    unit: &'static str,
    /// Higher is better (a rate) or lower is better (a time, a size).
    higher_is_better: bool,
    ours: Vec<f64>,
    /// Empty when the work has no peer: the table then shows "-" and no ratio.
    theirs: Vec<f64>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        let (o, t) = (median(&self.ours)?, median(&self.theirs)?);
        Some(if self.higher_is_better { o / t } else { t / o })
    }
}

fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

fn spread(xs: &[f64]) -> String {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if xs.is_empty() {
        "—".into()
    } else {
        format!("{} – {}", fmt_num(lo), fmt_num(hi))
    }
}

fn fmt_num(x: f64) -> String {
    if x >= 10_000.0 {
        let s = format!("{x:.0}");
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// The rows of one benchmark's result file.
fn rows(name: &str, v: &Value) -> Vec<Row> {
    match name {
        "es-bulk" => {
            let docs = v["docs"].as_f64().unwrap_or(0.0);
            let rate = |secs: Vec<f64>| secs.iter().map(|s| docs / s).collect::<Vec<_>>();
            vec![
                Row {
                    work: format!("bulk-index {} documents", fmt_num(docs)),
                    peer: "elasticsearch-py 9.5.1 `streaming_bulk`".into(),
                    unit: "docs/s",
                    higher_is_better: true,
                    ours: rate(floats(&v["es_ops_seconds"])),
                    theirs: rate(floats(&v["py_streaming_seconds"])),
                },
                Row {
                    work: format!("bulk-index {} documents", fmt_num(docs)),
                    peer: "elasticsearch-py 9.5.1 `parallel_bulk` (4 threads)".into(),
                    unit: "docs/s",
                    higher_is_better: true,
                    ours: rate(floats(&v["es_ops_seconds"])),
                    theirs: rate(floats(&v["py_parallel_seconds"])),
                },
            ]
        }
        "misp-search" => {
            let n = v["attributes"].as_f64().unwrap_or(0.0);
            let mib = v["body_bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0;
            let work = format!(
                "stream a restSearch of {} attributes ({mib:.0} MiB)",
                fmt_num(n)
            );
            vec![
                Row {
                    work: work.clone(),
                    peer: "PyMISP 2.5.34.4 `search` (JSON, not pythonified)".into(),
                    unit: "s",
                    higher_is_better: false,
                    ours: floats(&v["misp_client"]["seconds"]),
                    theirs: floats(&v["pymisp"]["seconds"]),
                },
                Row {
                    work,
                    peer: "PyMISP 2.5.34.4 `search`, peak memory".into(),
                    unit: "MiB",
                    higher_is_better: false,
                    ours: floats(&v["misp_client"]["peak_rss_mib"]),
                    theirs: floats(&v["pymisp"]["peak_rss_mib"]),
                },
            ]
        }
        "thehive-create-alert" | "misp-get-event" => {
            let n = v["requests"].as_f64().unwrap_or(0.0);
            let (call, peer) = if name == "thehive-create-alert" {
                ("create alert", "thehive4py 2.1.0")
            } else {
                ("get event", "PyMISP 2.5.34.4")
            };
            let r = &v["results"];
            let per_1000 = |xs: Vec<f64>| xs.iter().map(|c| c * 1000.0 / n).collect::<Vec<_>>();
            let mut out = Vec::new();
            for c in ["1", "32"] {
                let work = format!("{} \"{call}\" calls, {c} in flight", fmt_num(n));
                out.push(Row {
                    work: work.clone(),
                    peer: format!("{peer}, wall time"),
                    unit: "s",
                    higher_is_better: false,
                    ours: floats(&r[format!("ours_c{c}")]["seconds"]),
                    theirs: floats(&r[format!("peer_c{c}")]["seconds"]),
                });
                out.push(Row {
                    work,
                    peer: format!("{peer}, CPU per 1,000 calls"),
                    unit: "CPU s",
                    higher_is_better: false,
                    ours: per_1000(floats(&r[format!("ours_c{c}")]["cpu_seconds"])),
                    theirs: per_1000(floats(&r[format!("peer_c{c}")]["cpu_seconds"])),
                });
            }
            out
        }
        "extract" => {
            let bytes = v["bytes"].as_f64().unwrap_or(0.0);
            let rate = |secs: Vec<f64>| secs.iter().map(|s| bytes / 1e6 / s).collect::<Vec<_>>();
            let work = format!(
                "extract indicators from a {:.0} MB SOC text corpus",
                bytes / 1e6
            );
            [
                (
                    "iocextract",
                    "iocextract 1.16.1 `extract_iocs`, line by line",
                ),
                ("ioc_finder", "ioc-finder 9.4.1 `find_iocs`"),
            ]
            .into_iter()
            .map(|(key, peer)| Row {
                work: work.clone(),
                peer: peer.into(),
                unit: "MB/s",
                higher_is_better: true,
                ours: rate(floats(&v["ours"]["seconds"])),
                theirs: rate(floats(&v[key]["seconds"])),
            })
            .collect()
        }
        "enrich" => {
            let work = format!(
                "enrich {} alerts x {} indicators ({} distinct), {} ms per call",
                v["alerts"].as_u64().unwrap_or(0),
                v["indicators_per_alert"].as_u64().unwrap_or(0),
                v["distinct_indicators"].as_u64().unwrap_or(0),
                v["latency_ms"].as_u64().unwrap_or(0)
            );
            let ours = floats(&v["ours"]["seconds"]);
            vec![
                Row {
                    work: work.clone(),
                    peer: "the same work sequentially, Shuffle order".into(),
                    unit: "s",
                    higher_is_better: false,
                    ours: ours.clone(),
                    theirs: floats(&v["sequential"]["seconds"]),
                },
                Row {
                    work,
                    peer: "the critical-path bound (no run can be faster)".into(),
                    unit: "s",
                    higher_is_better: false,
                    ours,
                    theirs: v["bound_seconds"].as_f64().into_iter().collect(),
                },
            ]
        }
        "soc-setup" => {
            let peer = "the seed's manual setup scripts (no automated peer)";
            vec![
                Row {
                    work: format!(
                        "soc setup on a fresh lab, first run ({} items)",
                        v["items"].as_u64().unwrap_or(0)
                    ),
                    peer: peer.into(),
                    unit: "s",
                    higher_is_better: false,
                    ours: floats(&v["first"]["seconds"]),
                    theirs: Vec::new(),
                },
                Row {
                    work: "soc setup again, second run (changes nothing)".into(),
                    peer: peer.into(),
                    unit: "s",
                    higher_is_better: false,
                    ours: floats(&v["second"]["seconds"]),
                    theirs: Vec::new(),
                },
            ]
        }
        _ => Vec::new(),
    }
}

/// A horizontal bar chart: for each row, our median and the peer's, on the row's own scale.
fn svg(title: &str, rows: &[Row]) -> String {
    let (w, bar, gap, left) = (720.0_f64, 22.0_f64, 18.0_f64, 250.0_f64);
    let h = 40.0 + rows.len() as f64 * (2.0 * bar + gap + 20.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let mut y = 40.0;
    for r in rows {
        let Some(o) = median(&r.ours) else {
            continue;
        };
        let t = median(&r.theirs);
        let max = o.max(t.unwrap_or(0.0)).max(f64::MIN_POSITIVE);
        let _ = write!(
            s,
            r##"<text x="10" y="{}" fill="#444">{} ({})</text>"##,
            y + 12.0,
            escape(&r.peer),
            r.unit
        );
        y += 18.0;
        let bars = [("ours", Some(o), "#2b7a3d"), ("peer", t, "#9a9a9a")];
        for (label, val, colour) in bars
            .into_iter()
            .filter_map(|(l, v, c)| v.map(|v| (l, v, c)))
        {
            let len = (w - left - 90.0) * val / max;
            let _ = write!(
                s,
                r#"<text x="10" y="{ty}">{label}</text><rect x="{left}" y="{y}" width="{len:.1}" height="{bar}" fill="{colour}"/><text x="{tx:.1}" y="{ty}">{v}</text>"#,
                ty = y + 15.0,
                tx = left + len + 6.0,
                v = fmt_num(val)
            );
            y += bar + 2.0;
        }
        y += gap;
    }
    s.push_str("</svg>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

/// The machine the figures come from.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1_048_576.0);
    format!("{model}, {cores} cores available, {mem_gib:.0} GiB")
}

/// Writes `bench/RESULTS.md` and the plots from every result file present.
pub(crate) fn write(root: &Path) -> Result<(), Box<dyn Error>> {
    let dir = root.join("bench/results");
    let mut sections = Vec::new();
    for name in crate::bench::ALL {
        let file = dir.join(format!("{name}.json"));
        let Ok(text) = std::fs::read_to_string(&file) else {
            eprintln!(
                "note: no {} yet: run `cargo xtask bench {name}`",
                file.display()
            );
            continue;
        };
        let v: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let rows = rows(name, &v);
        let rounds = v["rounds"].as_u64().unwrap_or(0);
        std::fs::write(root.join(format!("bench/{name}.svg")), svg(name, &rows))?;
        sections.push((name, rounds, rows));
    }
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench` on {date}, on {}. Each benchmark runs our code and its peer \
         (the Python client doing the same work against the same local server) interleaved, \
         round after round; the figures are medians, with the spread over the rounds. The machine \
         is shared: compare ratios, not absolute figures.\n",
        machine()
    );
    let _ = writeln!(md, "| work | peer | unit | ours (median) | peer (median) | ours, spread | peer, spread | ratio |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for (_, _, rows) in &sections {
        for r in rows {
            let Some(o) = median(&r.ours) else {
                continue;
            };
            // A row without a peer shows "-" for it and no ratio.
            let (t, t_spread, x) = match (median(&r.theirs), r.ratio()) {
                (Some(t), Some(x)) => {
                    // Below 1x (slower than the peer, or than a bound), one decimal is too coarse.
                    let x = if x < 1.0 {
                        format!("**{x:.2}x**")
                    } else {
                        format!("**{x:.1}x**")
                    };
                    (fmt_num(t), spread(&r.theirs), x)
                }
                _ => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let better = if r.higher_is_better {
                "higher is better"
            } else {
                "lower is better"
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} ({better}) | {} | {t} | {} | {t_spread} | {x} |",
                r.work,
                r.peer,
                r.unit,
                fmt_num(o),
                spread(&r.ours),
            );
        }
    }
    let _ = writeln!(md);
    for (name, rounds, _) in &sections {
        let _ = writeln!(md, "## {name} ({rounds} rounds)\n\n![{name}]({name}.svg)\n");
    }
    std::fs::write(root.join("bench/RESULTS.md"), md)?;
    eprintln!("wrote bench/RESULTS.md");
    Ok(())
}
