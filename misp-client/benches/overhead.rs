//! Per-request overhead beside PyMISP: 20,000 "get event" calls against the same loopback
//! responder (answering a full event), one at a time and 32 in flight; wall time and CPU
//! seconds of each client's process.
//!
//! Run with `cargo xtask bench misp-get-event`, which provides PyMISP.

use futures_util::StreamExt;
use misp_client::Misp;

const EVENT: &str = include_str!("../tests/fixtures/event.json");
const USER_ME: &str = include_str!("../tests/fixtures/user_me.json");
const DESCRIBE_TYPES: &str = include_str!("../tests/fixtures/describe_types.json");

fn handler(req: &soc_testkit::RawRequest) -> (u16, &'static str, Vec<u8>) {
    let p = req.path.trim_end_matches(".json");
    let body: &str = if p.starts_with("/events/view/") {
        EVENT
    } else if p == "/servers/getVersion" {
        r#"{"version":"2.5.24","perm_sync":false,"perm_sighting":false,"perm_galaxy_editor":false}"#
    } else if p == "/servers/getPyMISPVersion" {
        r#"{"version":"2.5.24"}"#
    } else if p == "/users/view/me" {
        USER_ME
    } else if p == "/attributes/describeTypes" {
        DESCRIBE_TYPES
    } else {
        return (
            404,
            "application/json",
            br#"{"name":"Not Found","message":"Not Found","url":"/"}"#.to_vec(),
        );
    };
    (200, "application/json", body.as_bytes().to_vec())
}

fn client(url: &str, requests: usize, concurrency: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let misp = Misp::builder(url)
        .expect("url")
        .api_key("BenchKey0123456789abcdefghijklmnopqrstuv".to_owned())
        .build()
        .expect("client");
    rt.block_on(async {
        futures_util::stream::iter(0..requests)
            .map(|_| {
                let misp = misp.clone();
                async move { misp.events().get("1042").await.expect("get event") }
            })
            .buffer_unordered(concurrency)
            .for_each(|_| async {})
            .await;
    });
}

fn main() {
    soc_testkit::Overhead {
        name: "misp-get-event",
        handler,
        client,
    }
    .main();
}
