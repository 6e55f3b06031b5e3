//! The mock TheHive and the table of operations checked against it.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use thehive_client::{RetryPolicy, TheHive};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub(crate) const API_KEY: &str = "th-SECRET-key-0123456789";
pub(crate) const ORG: &str = "soc-example";

pub(crate) fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A mock TheHive that fails the test on any request no mock expects.
pub(crate) async fn server() -> MockServer {
    let s = MockServer::start().await;
    catch_all(&s).await;
    s
}

pub(crate) async fn catch_all(s: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(s)
        .await;
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

pub(crate) fn hive(s: &MockServer) -> TheHive {
    TheHive::builder(&format!("{}/thehive", s.uri()))
        .unwrap()
        .api_key(API_KEY.to_owned())
        .organisation(ORG)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The query string is exactly these pairs, in any order.
pub(crate) struct ExactQuery(pub(crate) Vec<(String, String)>);

impl Match for ExactQuery {
    fn matches(&self, r: &Request) -> bool {
        let mut got: Vec<(String, String)> = r
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// The body is empty.
pub(crate) struct EmptyBody;

impl Match for EmptyBody {
    fn matches(&self, r: &Request) -> bool {
        r.body.is_empty()
    }
}

/// The body is JSON equal to this value.
pub(crate) struct JsonBody(pub(crate) Value);

impl Match for JsonBody {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| v == self.0)
    }
}

/// The body is `multipart/form-data` holding each of these fragments.
pub(crate) struct MultipartWith(pub(crate) Vec<String>);

impl Match for MultipartWith {
    fn matches(&self, r: &Request) -> bool {
        let ct = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&r.body);
        ct.starts_with("multipart/form-data; boundary=")
            && self.0.iter().all(|f| body.contains(f.as_str()))
    }
}

/// What a request must carry.
pub(crate) enum Body {
    None,
    Json(Value),
    Multipart(Vec<String>),
}

/// What the mock answers.
pub(crate) enum Reply {
    Empty(u16),
    Fixture(u16, &'static str),
    Json(u16, Value),
    Text(u16, &'static str),
}

pub(crate) type Call = Box<
    dyn Fn(TheHive) -> Pin<Box<dyn Future<Output = thehive_client::Result<()>> + Send>>
        + Send
        + Sync,
>;

/// Wraps an async closure as a [`Call`].
pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(TheHive) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = thehive_client::Result<()>> + Send + 'static,
{
    Box::new(move |h| Box::pin(f(h)))
}

/// One operation of TheHive's API, the exact request the client must send for it, the answer,
/// and the call under test.
pub(crate) struct Op {
    /// `METHOD /api/v1/path/{param}` as TheHive's spec names it.
    pub(crate) spec: &'static str,
    /// The concrete path, when it differs from the spec with `{x}` replaced by `x`.
    pub(crate) path: Option<String>,
    pub(crate) query: Vec<(&'static str, &'static str)>,
    pub(crate) body: Body,
    pub(crate) reply: Reply,
    pub(crate) call: Call,
}

pub(crate) fn op(spec: &'static str, body: Body, reply: Reply, call: Call) -> Op {
    Op {
        spec,
        path: None,
        query: Vec::new(),
        body,
        reply,
        call,
    }
}

impl Op {
    pub(crate) fn query(mut self, q: &[(&'static str, &'static str)]) -> Self {
        self.query = q.to_vec();
        self
    }

    pub(crate) fn at(mut self, p: &str) -> Self {
        self.path = Some(p.to_owned());
        self
    }

    pub(crate) fn method(&self) -> &'static str {
        self.spec.split(' ').next().unwrap()
    }

    pub(crate) fn template(&self) -> &'static str {
        self.spec.split(' ').nth(1).unwrap()
    }

    /// The concrete request path under the `/thehive` context path.
    fn concrete_path(&self) -> String {
        let p = self
            .path
            .clone()
            .unwrap_or_else(|| self.template().replace(['{', '}'], ""));
        format!("/thehive{p}")
    }
}

/// Runs each operation against a fresh mock that pins method, path, query, auth header,
/// organisation header and body, expects exactly one call, and rejects anything else.
pub(crate) async fn run(ops: Vec<Op>) {
    let s = MockServer::start().await;
    let hive = hive(&s);
    for op in ops {
        s.reset().await;
        catch_all(&s).await;
        let mut m = Mock::given(method(op.method()))
            .and(path(op.concrete_path()))
            .and(ExactQuery(
                op.query
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ))
            .and(header(
                "authorization",
                format!("Bearer {API_KEY}").as_str(),
            ))
            .and(header("x-organisation", ORG));
        m = match &op.body {
            Body::None => m.and(EmptyBody),
            Body::Json(v) => m
                .and(header("content-type", "application/json"))
                .and(JsonBody(v.clone())),
            Body::Multipart(parts) => m.and(MultipartWith(parts.clone())),
        };
        let reply = match &op.reply {
            Reply::Empty(s) => ResponseTemplate::new(*s),
            Reply::Fixture(s, name) => {
                ResponseTemplate::new(*s).set_body_raw(fixture(name), "application/json")
            }
            Reply::Json(s, v) => ResponseTemplate::new(*s).set_body_json(v),
            Reply::Text(s, t) => ResponseTemplate::new(*s).set_body_raw(*t, "text/plain"),
        };
        m.respond_with(reply)
            .expect(1)
            .named(op.spec)
            .mount(&s)
            .await;
        if let Err(e) = (op.call)(hive.clone()).await {
            let received = s.received_requests().await.unwrap_or_default();
            let seen: Vec<String> = received
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {}",
                        r.method,
                        r.url,
                        String::from_utf8_lossy(&r.body)
                    )
                })
                .collect();
            panic!("{}: {e}\nrequests seen: {seen:#?}", op.spec);
        }
        s.verify().await;
    }
}
