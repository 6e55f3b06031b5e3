//! Strict request checks for the client crates' integration tests.
//!
//! An [`Op`] names one API operation as its specification does (`"POST /api/v1/alert"`), the
//! exact request a client must send for it (query, body) and the answer to give; [`Runner`]
//! plays a table of them against a fresh [`wiremock`] server each, pinning method, path,
//! query, credentials and body, expecting exactly one call, and failing on any other request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Reads a fixture file of `dir` as text.
///
/// # Panics
/// If the file cannot be read.
#[must_use]
pub fn fixture(dir: &str, name: &str) -> String {
    let p = format!("{dir}/{name}");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Mounts the catch-all that answers 500 to any request no other mock expects and fails the
/// test when the server is verified.
pub async fn catch_all(s: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(s)
        .await;
}

/// A mock server with the catch-all mounted.
pub async fn server() -> MockServer {
    let s = MockServer::start().await;
    catch_all(&s).await;
    s
}

/// The query string is exactly these pairs, in any order.
pub struct ExactQuery(pub Vec<(String, String)>);

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
pub struct EmptyBody;

impl Match for EmptyBody {
    fn matches(&self, r: &Request) -> bool {
        r.body.is_empty()
    }
}

/// The body is JSON equal to this value.
pub struct JsonBody(pub Value);

impl Match for JsonBody {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| v == self.0)
    }
}

/// The body is `multipart/form-data` and holds each of these fragments.
pub struct MultipartWith(pub Vec<String>);

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
pub enum Body {
    /// Nothing.
    None,
    /// This JSON, with the runner's JSON content type.
    Json(Value),
    /// A multipart form holding these fragments.
    Multipart(Vec<String>),
}

/// What the mock answers.
pub enum Reply {
    /// A status and no body.
    Empty(u16),
    /// A status and the JSON fixture file of this name.
    Fixture(u16, &'static str),
    /// A status and this JSON.
    Json(u16, Value),
    /// A status and this text (`text/plain`).
    Text(u16, &'static str),
}

/// The call under test, given the client.
pub type Call<C, E> =
    Box<dyn Fn(C) -> Pin<Box<dyn Future<Output = Result<(), E>> + Send>> + Send + Sync>;

/// Wraps an async closure as a [`Call`].
pub fn call<C, E, F, Fut>(f: F) -> Call<C, E>
where
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
{
    Box::new(move |c| Box::pin(f(c)))
}

/// One operation: its name in the specification, the exact request and the answer.
pub struct Op<C, E> {
    /// `METHOD /path/{param}` (or `/path/:param`) as the specification names it.
    pub spec: &'static str,
    /// The concrete path, when it is not the spec's with `{x}`/`:x` replaced by `x`.
    pub path: Option<String>,
    /// The exact query pairs.
    pub query: Vec<(&'static str, &'static str)>,
    /// The body.
    pub body: Body,
    /// The answer.
    pub reply: Reply,
    /// The call under test.
    pub call: Call<C, E>,
}

/// An operation with no query.
pub fn op<C, E>(spec: &'static str, body: Body, reply: Reply, call: Call<C, E>) -> Op<C, E> {
    Op {
        spec,
        path: None,
        query: Vec::new(),
        body,
        reply,
        call,
    }
}

impl<C, E> Op<C, E> {
    /// Sets the exact query pairs.
    #[must_use]
    pub fn query(mut self, q: &[(&'static str, &'static str)]) -> Self {
        self.query = q.to_vec();
        self
    }

    /// Sets the concrete path.
    #[must_use]
    pub fn at(mut self, p: &str) -> Self {
        self.path = Some(p.to_owned());
        self
    }

    /// The method of the spec.
    pub fn method(&self) -> &'static str {
        self.spec.split(' ').next().unwrap()
    }

    /// The path template of the spec.
    pub fn template(&self) -> &'static str {
        self.spec.split(' ').nth(1).unwrap()
    }

    fn concrete_path(&self) -> String {
        self.path.clone().unwrap_or_else(|| {
            self.template()
                .split('/')
                .map(|seg| seg.trim_start_matches(':').replace(['{', '}'], ""))
                .collect::<Vec<_>>()
                .join("/")
        })
    }
}

/// Plays [`Op`] tables against a mock server.
pub struct Runner {
    /// The context path the client's base URL carries (`/thehive`), or `""`.
    pub prefix: &'static str,
    /// Headers every request must carry (credentials, organisation).
    pub headers: Vec<(&'static str, String)>,
    /// The directory of the fixture files.
    pub fixtures: &'static str,
    /// The `Content-Type` JSON bodies must carry (`application/json`).
    pub json_content_type: &'static str,
}

impl Runner {
    /// Runs each operation against a fresh mock that pins method, path, query, the runner's
    /// headers and the body, expects exactly one call, and rejects anything else. `client`
    /// builds the client for the server's base URL (with the runner's prefix).
    ///
    /// # Panics
    /// On the first operation whose call fails or whose request differs.
    pub async fn run<C: Clone, E: std::fmt::Display>(
        &self,
        ops: Vec<Op<C, E>>,
        client: impl Fn(&str) -> C,
    ) {
        let s = MockServer::start().await;
        let c = client(&format!("{}{}", s.uri(), self.prefix));
        for op in ops {
            s.reset().await;
            catch_all(&s).await;
            let mut m = Mock::given(method(op.method()))
                .and(path(format!("{}{}", self.prefix, op.concrete_path())))
                .and(ExactQuery(
                    op.query
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                ));
            for (name, value) in &self.headers {
                m = m.and(header(*name, value.as_str()));
            }
            m = match &op.body {
                Body::None => m.and(EmptyBody),
                Body::Json(v) => m
                    .and(header("content-type", self.json_content_type))
                    .and(JsonBody(v.clone())),
                Body::Multipart(parts) => m.and(MultipartWith(parts.clone())),
            };
            let reply = match &op.reply {
                Reply::Empty(s) => ResponseTemplate::new(*s),
                Reply::Fixture(s, name) => ResponseTemplate::new(*s)
                    .set_body_raw(fixture(self.fixtures, name), "application/json"),
                Reply::Json(s, v) => ResponseTemplate::new(*s).set_body_json(v),
                Reply::Text(s, t) => ResponseTemplate::new(*s).set_body_raw(*t, "text/plain"),
            };
            m.respond_with(reply)
                .expect(1)
                .named(op.spec)
                .mount(&s)
                .await;
            let result = (op.call)(c.clone()).await;
            if let Err(e) = result {
                let seen: Vec<String> = s
                    .received_requests()
                    .await
                    .unwrap_or_default()
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
}

/// Checks a coverage table against the operations a test table exercises: each table row
/// `| \`METHOD /path\` | method | ...` whose method cell is not `—` must be tested, the table
/// must have `expected_total` rows, and its summary must claim `**N of <expected_total>**`
/// for the covered count. Answers the covered count.
///
/// # Panics
/// When the table and the tests disagree.
pub fn check_coverage(table: &str, tested: &[&str], expected_total: usize) -> usize {
    let mut covered = 0;
    let mut total = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let spec = cells[1].trim_matches('`');
        total += 1;
        if cells[2] != "—" {
            covered += 1;
            assert!(
                tested.contains(&spec),
                "{spec} is marked covered by {} but no test exercises it",
                cells[2]
            );
        }
    }
    assert_eq!(total, expected_total, "the table lists every operation");
    let claim = format!("**{covered} of {expected_total}**");
    assert!(
        table.contains(&claim),
        "the table's summary must say {claim}"
    );
    covered
}

/// One request read by a benchmark's minimal HTTP/1.1 server.
pub struct RawRequest {
    /// The request line (`POST /_bulk HTTP/1.1`).
    pub line: String,
    /// The path, without the query.
    pub path: String,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// Reads the next request of a keep-alive connection; `None` when the peer closed it or sent
/// something unreadable.
pub fn read_request<R: std::io::BufRead>(reader: &mut R) -> Option<RawRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        if h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target).to_owned();
    Some(RawRequest { line, path, body })
}

/// Serves loopback HTTP/1.1 (keep-alive) on a thread per connection, answering each request
/// with `handler`'s status, content type and body; answers the base URL.
///
/// # Panics
/// When no loopback port can be bound.
pub fn serve_loopback(handler: fn(&RawRequest) -> (u16, &'static str, Vec<u8>)) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = conn.set_nodelay(true);
                let Ok(read_half) = conn.try_clone() else {
                    return;
                };
                let mut reader = std::io::BufReader::new(read_half);
                let mut writer = conn;
                while let Some(req) = read_request(&mut reader) {
                    let (status, content_type, body) = handler(&req);
                    let head = format!(
                        "HTTP/1.1 {status} OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err()
                        || writer.write_all(&body).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// CPU seconds (user and system) this process has used so far.
pub fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15: indexes 11 and 12 after the state; 100 ticks a second.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// The per-request overhead benchmark driver shared by the clients' `overhead` benches: our
/// client and its Python peer each make `requests` calls against the same loopback responder,
/// one at a time and 32 in flight, in processes of their own, round after round.
pub struct Overhead {
    /// The benchmark's name (`thehive-create-alert`).
    pub name: &'static str,
    /// What answers the calls.
    pub handler: fn(&RawRequest) -> (u16, &'static str, Vec<u8>),
    /// Our side: makes `requests` calls to the URL with `concurrency` in flight.
    pub client: fn(&str, usize, usize),
}

impl Overhead {
    /// Runs as the bench's `main`: `--client URL --requests N --concurrency C` runs our side
    /// once and prints its figures; otherwise `--requests N --rounds R --python P --peer F
    /// --out FILE` drives both sides (quick smoke settings without `--bench`).
    ///
    /// # Panics
    /// When a side fails or prints no figures.
    #[allow(clippy::print_stdout)] // The figures are this program's output.
    pub fn main(&self) {
        let args: Vec<String> = std::env::args().collect();
        let get = |k: &str| {
            args.iter()
                .position(|a| a == k)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let benching = args.iter().any(|a| a == "--bench");
        let requests: usize = get("--requests")
            .and_then(|v| v.parse().ok())
            .unwrap_or(if benching { 20_000 } else { 200 });
        if let Some(url) = get("--client") {
            let concurrency: usize = get("--concurrency")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let (t0, c0) = (std::time::Instant::now(), process_cpu_seconds());
            (self.client)(&url, requests, concurrency);
            let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu_seconds() - c0);
            println!(
                "{}",
                serde_json::json!({"seconds": wall, "cpu_seconds": cpu})
            );
            return;
        }
        let rounds: usize = get("--rounds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(if benching { 3 } else { 1 });
        let url = serve_loopback(self.handler);
        let exe = std::env::current_exe().expect("this program");
        let mut results = serde_json::Map::new();
        for round in 1..=rounds {
            for c in [1usize, 32] {
                let ours = figures(std::process::Command::new(&exe).args([
                    "--client",
                    &url,
                    "--requests",
                    &requests.to_string(),
                    "--concurrency",
                    &c.to_string(),
                ]));
                eprintln!(
                    "round {round}, {c} in flight: ours {:.2} s wall, {:.2} s cpu",
                    ours.0, ours.1
                );
                push(&mut results, &format!("ours_c{c}"), ours);
                if let (Some(py), Some(peer)) = (get("--python"), get("--peer")) {
                    let theirs = figures(std::process::Command::new(py).args([
                        peer.as_str(),
                        &url,
                        "--requests",
                        &requests.to_string(),
                        "--concurrency",
                        &c.to_string(),
                    ]));
                    eprintln!(
                        "round {round}, {c} in flight: peer {:.2} s wall, {:.2} s cpu",
                        theirs.0, theirs.1
                    );
                    push(&mut results, &format!("peer_c{c}"), theirs);
                }
            }
        }
        let mut report =
            serde_json::json!({"benchmark": self.name, "requests": requests, "rounds": rounds});
        report["results"] = serde_json::Value::Object(results);
        if let Some(out) = get("--out") {
            std::fs::write(out, serde_json::to_vec_pretty(&report).expect("json"))
                .expect("write the report");
        }
    }
}

fn figures(cmd: &mut std::process::Command) -> (f64, f64) {
    let out = cmd.output().expect("run a benchmark side");
    assert!(
        out.status.success(),
        "benchmark side failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON line of figures");
    (
        v["seconds"].as_f64().unwrap_or(f64::NAN),
        v["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
    )
}

fn push(m: &mut serde_json::Map<String, serde_json::Value>, key: &str, (wall, cpu): (f64, f64)) {
    let e = m
        .entry(key.to_owned())
        .or_insert_with(|| serde_json::json!({"seconds": [], "cpu_seconds": []}));
    if let Some(a) = e["seconds"].as_array_mut() {
        a.push(wall.into());
    }
    if let Some(a) = e["cpu_seconds"].as_array_mut() {
        a.push(cpu.into());
    }
}

/// How many times longer the robustness sweeps run: `SOC_SWEEP_SCALE` (1 in `cargo xtask ci`,
/// larger in `cargo xtask bench`'s long sweep).
#[must_use]
pub fn sweep_scale() -> usize {
    std::env::var("SOC_SWEEP_SCALE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// `n` variants (times [`sweep_scale`]) of a JSON document, each with one value somewhere
/// replaced by a value of another type (null, a boolean, a number, a string, an empty array or
/// object, or a huge number): the robustness sweep of model decoders, which must answer an
/// error, never panic.
#[must_use]
pub fn mutations(doc: &serde_json::Value, seed: u64, n: usize) -> Vec<serde_json::Value> {
    let n = n.saturating_mul(sweep_scale());
    use serde_json::{json, Value};
    fn paths(v: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(here.clone());
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    here.push(k.clone());
                    paths(c, here, out);
                    here.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    here.push(i.to_string());
                    paths(c, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5e300),
        json!(u64::MAX),
        json!(""),
        json!("not-a-number"),
        json!("2026-13-45T99:99:99Z"),
        json!([]),
        json!({}),
    ];
    let mut seed = seed | 1;
    let mut next = move || {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..n)
        .map(|_| {
            let mut v = doc.clone();
            let path = &all[(next() as usize) % all.len()];
            let pointer: String = path
                .iter()
                .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
                .collect();
            if let Some(slot) = v.pointer_mut(&pointer) {
                *slot = replacements[(next() as usize) % replacements.len()].clone();
            }
            v
        })
        .collect()
}

/// What a scripted server writes after reading a request: chunks, each after a pause.
pub type Script = Vec<(std::time::Duration, Vec<u8>)>;

/// A one-connection loopback server that reads a request head, plays `script`, and closes:
/// for hostile answers (trickles, cut bodies, wrong content types). Answers its base URL.
///
/// # Panics
/// When no loopback port can be bound.
pub async fn scripted_server(script: Script) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if conn.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        for (pause, bytes) in script {
            tokio::time::sleep(pause).await;
            if conn.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    url
}

/// A 200 answer that trickles one byte every 200 ms: a client with a 1 s timeout must give up.
#[must_use]
pub fn trickle() -> Script {
    let mut s: Script = vec![(
        std::time::Duration::ZERO,
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"
            .to_vec(),
    )];
    s.extend((0..50).map(|_| (std::time::Duration::from_millis(200), b" ".to_vec())));
    s
}

/// A 200 answer holding a login page where JSON was expected (a proxy in front of the API).
#[must_use]
pub fn html_login_page() -> Script {
    let page = b"<html><head><title>Sign in</title></head><body><h1>Please sign in to continue</h1></body></html>";
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
        page.len()
    );
    vec![
        (std::time::Duration::ZERO, head.into_bytes()),
        (std::time::Duration::ZERO, page.to_vec()),
    ]
}
