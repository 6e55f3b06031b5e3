//! Project automation, run as `cargo xtask <task>`.
//!
//! - `ci`: the whole test gate: format check, clippy with warnings denied, every test, and the
//!   docs built with warnings denied.
//! - `bench`: benchmarks beside their peers.
//! - `demo`: the main job on the embedded lab: diagnose, fix, set up, sync feeds.
//! - `lab`: the embedded lab (`soc-lab`) on loopback until Ctrl-C.

mod bench;
mod ci;
mod demo;
mod deploy;
mod report;
mod services;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("lab") => lab(&args[1..]).map_err(Into::into),
        Some("demo") => demo::run(&args[1..]),
        Some("deploy") => deploy::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <task>\n\ntasks:\n  ci                      format check, clippy -D warnings, tests, docs -D warnings\n  bench [NAME] [--quick]  benchmarks beside their peers\n  demo [--keep]           the main job on the embedded lab (no Docker needed)\n  deploy [--render-only] [--out DIR] [--settings FILE]\n                          the seed stack as a compose bundle (deploy/; --help for more)\n  lab [OPTIONS]           the five stand-ins on loopback until Ctrl-C (--help for options)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the lab binary (built in release: the lab's admin payload encryption is slow unoptimised).
fn lab(args: &[String]) -> Result<(), String> {
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "soc-lab",
                "--bin",
                "soc-lab",
                "--",
            ])
            .args(args)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("soc-lab exited with {status}"))
    }
}
