//! The mock MISP: fixtures, the client under test, and the operation table runner.

use serde_json::Value;
use std::future::Future;

use misp_client::{Misp, RetryPolicy};
pub(crate) use soc_testkit::{Body, Reply};
use wiremock::MockServer;

pub(crate) const API_KEY: &str = "mIsPkEy0123456789aBcDeFgHiJkLmNoPqRsTuV";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// One operation of MISP's API checked against the mock.
pub(crate) type Op = soc_testkit::Op<Misp, misp_client::Error>;
/// The call under test.
pub(crate) type Call = soc_testkit::Call<Misp, misp_client::Error>;

/// Wraps an async closure over the client as a [`Call`].
pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(Misp) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = misp_client::Result<()>> + Send + 'static,
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

/// A mock MISP that fails the test on any request no mock expects.
pub(crate) async fn server() -> MockServer {
    soc_testkit::server().await
}

/// A client of the mock, served under the `/misp` context path, without retries.
pub(crate) fn client(base: &str) -> Misp {
    Misp::builder(base)
        .unwrap()
        .api_key(API_KEY.to_owned())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

pub(crate) fn misp(s: &MockServer) -> Misp {
    client(&format!("{}/misp", s.uri()))
}

/// Runs each operation against a fresh mock pinning method, path, query, API key, `Accept`
/// and body.
pub(crate) async fn run(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "/misp",
        headers: vec![
            ("authorization", API_KEY.to_owned()),
            ("accept", "application/json".to_owned()),
        ],
        fixtures: FIXTURES,
        json_content_type: "application/json",
    }
    .run(ops, client)
    .await;
}
