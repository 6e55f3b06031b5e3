//! The mock TheHive: fixtures, the client under test, and the operation table runner.

use serde_json::Value;
use std::future::Future;

pub(crate) use soc_testkit::{Body, EmptyBody, ExactQuery, JsonBody, Reply};
use thehive_client::{RetryPolicy, TheHive};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

pub(crate) const API_KEY: &str = "th-SECRET-key-0123456789";
pub(crate) const ORG: &str = "soc-example";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// One operation of TheHive's API checked against the mock.
pub(crate) type Op = soc_testkit::Op<TheHive, thehive_client::Error>;
/// The call under test.
pub(crate) type Call = soc_testkit::Call<TheHive, thehive_client::Error>;

/// Wraps an async closure over the client as a [`Call`].
pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(TheHive) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = thehive_client::Result<()>> + Send + 'static,
{
    soc_testkit::call(f)
}

/// An operation with no query.
pub(crate) fn op(spec: &'static str, body: Body, reply: Reply, call: Call) -> Op {
    soc_testkit::op(spec, body, reply, call)
}

pub(crate) fn fixture(name: &str) -> String {
    soc_testkit::fixture(FIXTURES, name)
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A mock TheHive that fails the test on any request no mock expects.
pub(crate) async fn server() -> MockServer {
    soc_testkit::server().await
}

/// A mock of `verb path` under the `/thehive` context path that also pins the API key and the
/// organisation header.
pub(crate) fn given(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("/thehive{p}")))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("x-organisation", ORG))
}

fn client(base: &str) -> TheHive {
    TheHive::builder(base)
        .unwrap()
        .api_key(API_KEY.to_owned())
        .organisation(ORG)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

pub(crate) fn hive(s: &MockServer) -> TheHive {
    client(&format!("{}/thehive", s.uri()))
}

/// Runs each operation against a fresh mock pinning method, path, query, API key,
/// organisation and body.
pub(crate) async fn run(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "/thehive",
        headers: vec![
            ("authorization", format!("Bearer {API_KEY}")),
            ("x-organisation", ORG.to_owned()),
        ],
        fixtures: FIXTURES,
        json_content_type: "application/json",
    }
    .run(ops, client)
    .await;
}
