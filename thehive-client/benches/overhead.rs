//! Per-request overhead beside thehive4py: 20,000 "create alert" calls against the same
//! loopback responder (answering TheHive's 201 with an alert), one at a time and 32 in flight;
//! wall time and CPU seconds of each client's process.
//!
//! Run with `cargo xtask bench thehive-create-alert`, which provides thehive4py.

use futures_util::StreamExt;
use thehive_client::model::{InputAlert, InputObservable, Severity};
use thehive_client::TheHive;

const ALERT: &str = include_str!("../tests/fixtures/alert.json");

fn handler(req: &soc_testkit::RawRequest) -> (u16, &'static str, Vec<u8>) {
    if req.path.ends_with("/api/v1/alert") && !req.body.is_empty() {
        (201, "application/json", ALERT.as_bytes().to_vec())
    } else {
        (
            404,
            "application/json",
            br#"{"type":"NotFound","message":"not found"}"#.to_vec(),
        )
    }
}

fn client(url: &str, requests: usize, concurrency: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let th = TheHive::builder(url)
        .expect("url")
        .api_key("bench-key-0123456789".to_owned())
        .build()
        .expect("client");
    rt.block_on(async {
        futures_util::stream::iter(0..requests)
            .map(|i| {
                let th = th.clone();
                async move {
                    let alert = InputAlert::new(
                        "edr",
                        "bench",
                        format!("det-{i}"),
                        "Macro dropper",
                        "Word spawned PowerShell",
                    )
                    .severity(Severity::High)
                    .tag("phishing")
                    .observable(InputObservable::new("ip", "203.0.113.7").ioc(true));
                    th.alerts().create(&alert).await.expect("create alert")
                }
            })
            .buffer_unordered(concurrency)
            .for_each(|_| async {})
            .await;
    });
}

fn main() {
    soc_testkit::Overhead {
        name: "thehive-create-alert",
        handler,
        client,
    }
    .main();
}
