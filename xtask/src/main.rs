//! Project automation, run as `cargo xtask <task>`.
//!
//! - `ci`: the whole test gate: format check, clippy with warnings denied, every test, and the
//!   docs built with warnings denied.
//! - `bench`: benchmarks beside their peers.

mod bench;
mod ci;
mod report;
mod services;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("demo") => Err(
            "`cargo xtask demo` arrives with the embedded lab (soc-lab); nothing to run yet".into(),
        ),
        _ => {
            eprintln!("usage: cargo xtask <task>\n\ntasks:\n  ci                      format check, clippy -D warnings, tests, docs -D warnings\n  bench [NAME] [--quick]  benchmarks beside their peers (es-bulk)");
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
