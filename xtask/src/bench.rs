//! `cargo xtask bench [NAME...] [--quick]`: each benchmark beside its peer, in one run.
//!
//! Benchmarks: `es-bulk` (es-ops' bulk helper beside elasticsearch-py's `streaming_bulk` and
//! `parallel_bulk`, against the same local null responder), `misp-search` (misp-client's
//! streamed restSearch beside PyMISP's `search` on the same generated body: time and peak
//! memory), `thehive-create-alert` and `misp-get-event` (per-call overhead), `extract`
//! (soc-tools' indicator extractor beside PyPI's `iocextract` and `ioc-finder` on the same
//! generated corpus, in MB/s), `enrich` (`soc enrich` on the embedded lab with 20 ms of latency
//! per call, beside the same work done sequentially in the Shuffle workflow's order and beside
//! the critical-path bound) and `soc-setup` (`soc setup` on a fresh lab, then again: no peer).
//!
//! Full sizes are chosen so the three soc-tools benchmarks take under ten minutes together on
//! two cores: `extract` on a 10 MB corpus (the peers manage 0.2 to 0.9 MB/s: 50 MB would take
//! over five minutes a round) and `enrich` on 150 alerts (the sequential side needs about 0.7 s
//! an alert: 500 alerts would take six minutes a round). `--quick`: 5 MB, 50 alerts, one round.
//! The Python peers are installed in
//! a virtual environment under the target directory. Raw results go to `bench/results/`; the
//! page `bench/RESULTS.md` and its plots are written from them (`--report` rewrites them alone).
//! A full run (no names, no `--quick`; or `--sweep`) ends with the robustness sweep at long
//! settings: the decoder, `soc.toml`, Wazuh-alert and extractor sweeps 25 times longer than in
//! `cargo xtask ci`.

use std::error::Error;
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

/// The peer packages, pinned.
const PEERS: &[&str] = &[
    "elasticsearch==9.5.1",
    "pymisp==2.5.34.4",
    "thehive4py==2.1.0",
    "iocextract==1.16.1",
    "ioc-finder==9.4.1",
];

/// Every benchmark, in the order a bare `cargo xtask bench` runs them.
pub(crate) const ALL: &[&str] = &[
    "es-bulk",
    "misp-search",
    "thehive-create-alert",
    "misp-get-event",
    "extract",
    "enrich",
    "soc-setup",
];

pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let quick = args.iter().any(|a| a == "--quick");
    if args.iter().any(|a| a == "--report") {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask has no parent directory")?;
        return crate::report::write(root);
    }
    let mut names: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let everything = names.is_empty();
    if everything {
        names = ALL.to_vec();
    }
    let sh = Shell::new()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?;
    sh.change_dir(root);
    let python = venv(&sh, root)?;
    sh.create_dir("bench/results")?;
    for name in names {
        match name {
            "es-bulk" => {
                let (docs, rounds) = if quick {
                    ("100000", "1")
                } else {
                    ("1000000", "3")
                };
                // cargo runs benchmarks from their package's directory: paths are absolute.
                let peer = root.join("bench/peers/es_bulk.py");
                let out = root.join("bench/results/es-bulk.json");
                cmd!(
                    sh,
                    "cargo bench --locked -p es-ops --bench bulk -- --docs {docs} --rounds {rounds} --python {python} --peer {peer} --out {out}"
                )
                .run()?;
            }
            "misp-search" => {
                let (attributes, rounds) = if quick {
                    ("100000", "1")
                } else {
                    ("1000000", "3")
                };
                let peer = root.join("bench/peers/pymisp_search.py");
                let out = root.join("bench/results/misp-search.json");
                cmd!(
                    sh,
                    "cargo bench --locked -p misp-client --bench search -- --attributes {attributes} --rounds {rounds} --python {python} --peer {peer} --out {out}"
                )
                .run()?;
            }
            "thehive-create-alert" | "misp-get-event" => {
                let (package, peer) = if name == "thehive-create-alert" {
                    ("thehive-client", "thehive4py_alerts.py")
                } else {
                    ("misp-client", "pymisp_events.py")
                };
                let (requests, rounds) = if quick { ("2000", "1") } else { ("20000", "3") };
                let peer = root.join("bench/peers").join(peer);
                let out = root.join(format!("bench/results/{name}.json"));
                cmd!(
                    sh,
                    "cargo bench --locked -p {package} --bench overhead -- --requests {requests} --rounds {rounds} --python {python} --peer {peer} --out {out}"
                )
                .run()?;
            }
            "extract" => {
                let (mb, rounds) = if quick { ("5", "1") } else { ("10", "3") };
                let peer = root.join("bench/peers/ioc_extract.py");
                let out = root.join("bench/results/extract.json");
                cmd!(
                    sh,
                    "cargo bench --locked -p soc-tools --bench extract -- --mb {mb} --rounds {rounds} --python {python} --peer {peer} --out {out}"
                )
                .run()?;
            }
            "enrich" => {
                let (alerts, rounds) = if quick { ("50", "1") } else { ("150", "3") };
                let out = root.join("bench/results/enrich.json");
                cmd!(
                    sh,
                    "cargo bench --locked -p soc-tools --bench enrich -- --alerts {alerts} --rounds {rounds} --out {out}"
                )
                .run()?;
            }
            "soc-setup" => {
                let rounds = if quick { "1" } else { "5" };
                let out = root.join("bench/results/soc-setup.json");
                cmd!(
                    sh,
                    "cargo bench --locked -p soc-tools --bench setup -- --rounds {rounds} --out {out}"
                )
                .run()?;
            }
            other => {
                return Err(
                    format!("unknown benchmark {other:?}; known: {}", ALL.join(", ")).into(),
                )
            }
        }
    }
    if (everything && !quick) || args.iter().any(|a| a == "--sweep") {
        // The robustness sweep with long settings: every decoder, config and extractor sweep
        // run 25 times longer than in `cargo xtask ci`, optimised.
        let started = std::time::Instant::now();
        let _scale = sh.push_env("SOC_SWEEP_SCALE", "25");
        cmd!(
            sh,
            "cargo test --release --locked --workspace -- survive_values mutated mangled arbitrary_bytes"
        )
        .run()?;
        eprintln!(
            "robustness sweep (scale 25): passed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    crate::report::write(root)
}

/// The virtual environment with the peers; created on first use.
fn venv(sh: &Shell, root: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("bench-venv");
    let python = dir.join("bin").join("python");
    if !python.exists() {
        cmd!(sh, "python3 -m venv {dir}").run()?;
    }
    let pip = dir.join("bin").join("pip");
    cmd!(
        sh,
        "{pip} install --quiet --disable-pip-version-check {PEERS...}"
    )
    .run()?;
    Ok(python)
}
