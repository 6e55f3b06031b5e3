//! `soc setup` against a fresh lab (Cortex uninitialised, no users, no keys): the first run,
//! which creates everything, and the second, which finds everything in place and writes
//! nothing. No peer: the seed's setup is a sequence of manual scripts.
//!
//! Run with `cargo xtask bench soc-setup`. Directly: `cargo bench -p soc-tools --bench setup --
//! --rounds 5`. Each round starts a new lab.

// The report is this program's output.
#![allow(clippy::print_stdout)]

mod common;

use std::time::Instant;

use common::{arg, benching, median};
use serde_json::json;
use soc_tools::config::SocConfig;
use soc_tools::setup::{self, SetupOptions};

fn main() {
    let rounds: usize = arg("--rounds").unwrap_or(if benching() { 5 } else { 1 });
    let out: Option<String> = arg("--out");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut items = 0;
    for round in 1..=rounds {
        let (a, b, n) = rt.block_on(round_once());
        eprintln!("round {round}: first run {a:.3} s ({n} items), second run {b:.3} s");
        first.push(a);
        second.push(b);
        items = n;
    }
    println!("soc-setup: fresh lab, {rounds} rounds, medians");
    if let (Some(a), Some(b)) = (median(&first), median(&second)) {
        println!("  first run (creates {items} items)   {a:>8.3} s");
        println!("  second run (changes nothing)   {b:>8.3} s");
    }
    if let Some(out) = out {
        let report = json!({
            "benchmark": "soc-setup",
            "rounds": rounds,
            "items": items,
            "first": {"seconds": first, "seconds_median": median(&first)},
            "second": {"seconds": second, "seconds_median": median(&second)},
        });
        std::fs::write(out, serde_json::to_vec_pretty(&report).expect("json"))
            .expect("write the report");
    }
}

async fn round_once() -> (f64, f64, usize) {
    let stack = common::stack("setup", Vec::new(), "").await;
    let config = SocConfig::load(stack.config_path()).expect("config");
    let started = Instant::now();
    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    let first = started.elapsed().as_secs_f64();
    assert!(!report.failed(), "{:#?}", report.items);
    assert!(report.wrote(), "a fresh lab needs setting up");
    let started = Instant::now();
    let again = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup again");
    let second = started.elapsed().as_secs_f64();
    assert!(!again.failed(), "{:#?}", again.items);
    assert!(
        !again.wrote(),
        "the second run changes nothing: {:#?}",
        again.items
    );
    stack.stop().await;
    (first, second, report.items.len())
}
