//! Mock clusters: clients that know their server, fixtures and the operation table runner.

use std::future::Future;

use es_ops::{Es, RetryPolicy, ServerInfo};
use serde_json::Value;
pub(crate) use soc_testkit::{Body, Reply};

pub(crate) const PASSWORD: &str = "es-SECRET-pw";
/// `Basic base64("soc-ops:es-SECRET-pw")`.
pub(crate) const BASIC: &str = "Basic c29jLW9wczplcy1TRUNSRVQtcHc=";
pub(crate) const ES8_JSON: &str = "application/vnd.elasticsearch+json; compatible-with=8";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub(crate) type Op = soc_testkit::Op<Es, es_ops::Error>;
pub(crate) type Call = soc_testkit::Call<Es, es_ops::Error>;

pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(Es) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = es_ops::Result<()>> + Send + 'static,
{
    soc_testkit::call(f)
}

pub(crate) fn op(spec: &'static str, body: Body, reply: Reply, call: Call) -> Op {
    soc_testkit::op(spec, body, reply, call)
}

pub(crate) fn fixture(name: &str) -> String {
    soc_testkit::fixture(FIXTURES, name)
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

pub(crate) fn info(root: &str) -> ServerInfo {
    serde_json::from_str(&fixture(root)).unwrap()
}

/// A client for `base` that already knows it talks to the server of fixture `root`.
pub(crate) fn client_for(base: &str, root: &str) -> Es {
    Es::builder(base)
        .unwrap()
        .basic("soc-ops", PASSWORD.to_owned())
        .retry(RetryPolicy::none())
        .server_info(info(root))
        .build()
        .unwrap()
}

/// Runs each operation against an Elasticsearch 8 mock pinning method, path, query,
/// credentials, the compatibility `Accept` header and the body.
pub(crate) async fn run_es8(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "",
        headers: vec![
            ("authorization", BASIC.to_owned()),
            ("accept", ES8_JSON.to_owned()),
        ],
        fixtures: FIXTURES,
        json_content_type: ES8_JSON,
    }
    .run(ops, |base| client_for(base, "root_es8.json"))
    .await;
}

/// The same against an OpenSearch 2 mock: plain JSON media types.
pub(crate) async fn run_opensearch(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "",
        headers: vec![
            ("authorization", BASIC.to_owned()),
            ("accept", "application/json".to_owned()),
        ],
        fixtures: FIXTURES,
        json_content_type: "application/json",
    }
    .run(ops, |base| client_for(base, "root_opensearch2.json"))
    .await;
}

/// The same against an Elasticsearch 7 mock: plain JSON media types.
pub(crate) async fn run_es7(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "",
        headers: vec![
            ("authorization", BASIC.to_owned()),
            ("accept", "application/json".to_owned()),
        ],
        fixtures: FIXTURES,
        json_content_type: "application/json",
    }
    .run(ops, |base| client_for(base, "root_es7.json"))
    .await;
}
