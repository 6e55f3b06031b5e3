//! `cargo xtask bench [NAME...] [--quick]`: each benchmark beside its peer, in one run.
//!
//! Benchmarks: `es-bulk` (es-ops' bulk helper beside elasticsearch-py's `streaming_bulk` and
//! `parallel_bulk`, against the same local null responder). The Python peers are installed in
//! a virtual environment under the target directory. Results go to `bench/results/`.

use std::error::Error;
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

/// The peer packages, pinned.
const PEERS: &[&str] = &["elasticsearch==9.5.1"];

pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut names: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if names.is_empty() {
        names = vec!["es-bulk"];
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
            other => return Err(format!("unknown benchmark {other:?}; known: es-bulk").into()),
        }
    }
    Ok(())
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
