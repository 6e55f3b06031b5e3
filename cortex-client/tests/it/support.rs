//! The mock Cortex: fixtures, the client under test, and the operation table runner.

use std::future::Future;

use cortex_client::{Cortex, RetryPolicy};
use serde_json::Value;
pub(crate) use soc_testkit::{Body, EmptyBody, JsonBody, Reply};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

pub(crate) const API_KEY: &str = "cx-SECRET-key-0123456789abcdef0123";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// One route of Cortex checked against the mock.
pub(crate) type Op = soc_testkit::Op<Cortex, cortex_client::Error>;
/// The call under test.
pub(crate) type Call = soc_testkit::Call<Cortex, cortex_client::Error>;

/// Wraps an async closure over the client as a [`Call`].
pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(Cortex) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = cortex_client::Result<()>> + Send + 'static,
{
    soc_testkit::call(f)
}

/// A route with no query.
pub(crate) fn op(spec: &'static str, body: Body, reply: Reply, call: Call) -> Op {
    soc_testkit::op(spec, body, reply, call)
}

pub(crate) fn fixture(name: &str) -> String {
    soc_testkit::fixture(FIXTURES, name)
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

pub(crate) async fn server() -> MockServer {
    soc_testkit::server().await
}

/// A mock of `verb path` under the `/cortex` context path that also pins the API key.
pub(crate) fn given(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("/cortex{p}")))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
}

/// A mock of an anonymous `verb path` (no `Authorization` header at all).
pub(crate) fn anonymous(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("/cortex{p}")))
        .and(NoAuth)
}

/// The request carries no credentials.
pub(crate) struct NoAuth;

impl wiremock::Match for NoAuth {
    fn matches(&self, r: &wiremock::Request) -> bool {
        !r.headers.contains_key("authorization")
    }
}

fn client(base: &str) -> Cortex {
    Cortex::builder(base)
        .unwrap()
        .api_key(API_KEY.to_owned())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

pub(crate) fn cortex(s: &MockServer) -> Cortex {
    client(&format!("{}/cortex", s.uri()))
}

pub(crate) fn anonymous_cortex(s: &MockServer) -> Cortex {
    Cortex::builder(&format!("{}/cortex", s.uri()))
        .unwrap()
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Runs each route against a fresh mock pinning method, path, query, API key and body.
pub(crate) async fn run(ops: Vec<Op>) {
    soc_testkit::Runner {
        prefix: "/cortex",
        headers: vec![("authorization", format!("Bearer {API_KEY}"))],
        fixtures: FIXTURES,
        json_content_type: "application/json",
    }
    .run(ops, client)
    .await;
}

/// The request carries some bearer credentials.
pub(crate) struct HasBearer;

impl wiremock::Match for HasBearer {
    fn matches(&self, r: &wiremock::Request) -> bool {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer "))
    }
}
