//! The bulk helper: a stream of actions in, every action reported exactly once.
//!
//! Actions are encoded once, packed into chunks by count and bytes, and sent with a bounded
//! number of requests in flight. Items the cluster rejects for load (status 429,
//! `es_rejected_execution_exception`) are resent alone, with exponential backoff and full
//! jitter, up to a retry limit; a whole request answered 429 or 503 is resent whole. A request
//! that may have been applied (a timeout, a 500) is never resent: its items are reported failed,
//! so nothing is written twice. A `delete` of a missing document counts as done unless asked
//! otherwise.

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use soc_http::{Method, RetryPolicy};

use crate::{Error, Es, Result};

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    /// Create or replace.
    Index,
    /// Create; fails if the id exists.
    Create,
    /// Partial update.
    Update,
    /// Delete.
    Delete,
}

impl OpType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One bulk action, its body already encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkAction {
    /// What it does.
    pub op: OpType,
    /// Target index, alias or data stream.
    pub index: String,
    /// Document id (required for `update` and `delete`).
    pub id: Option<String>,
    /// Routing value.
    pub routing: Option<String>,
    /// Ingest pipeline.
    pub pipeline: Option<String>,
    /// The body line: the document (`index`, `create`) or the update (`{"doc": ...}`).
    pub body: Option<Bytes>,
}

#[derive(Serialize)]
struct Meta<'a> {
    #[serde(rename = "_index")]
    index: &'a str,
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    routing: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline: Option<&'a str>,
}

fn encode<T: Serialize + ?Sized>(doc: &T) -> Result<Bytes> {
    serde_json::to_vec(doc)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidInput(format!("bulk document cannot be serialised: {e}")))
}

impl BulkAction {
    fn new(op: OpType, index: impl Into<String>, id: Option<String>, body: Option<Bytes>) -> Self {
        Self {
            op,
            index: index.into(),
            id,
            routing: None,
            pipeline: None,
            body,
        }
    }

    /// Index a document (the server assigns the id unless [`BulkAction::id`] is set).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the document cannot be serialised.
    pub fn index<T: Serialize + ?Sized>(index: impl Into<String>, doc: &T) -> Result<Self> {
        Ok(Self::new(OpType::Index, index, None, Some(encode(doc)?)))
    }

    /// Index a document already encoded as one line of JSON.
    pub fn index_raw(index: impl Into<String>, json_line: Bytes) -> Self {
        Self::new(OpType::Index, index, None, Some(json_line))
    }

    /// Create a document with an id; fails (409) if it exists.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the document cannot be serialised.
    pub fn create<T: Serialize + ?Sized>(
        index: impl Into<String>,
        id: impl Into<String>,
        doc: &T,
    ) -> Result<Self> {
        Ok(Self::new(
            OpType::Create,
            index,
            Some(id.into()),
            Some(encode(doc)?),
        ))
    }

    /// Merge `partial` into a document.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the document cannot be serialised.
    pub fn update<T: Serialize + ?Sized>(
        index: impl Into<String>,
        id: impl Into<String>,
        partial: &T,
    ) -> Result<Self> {
        let body = encode(&serde_json::json!({ "doc": partial }))?;
        Ok(Self::new(
            OpType::Update,
            index,
            Some(id.into()),
            Some(body),
        ))
    }

    /// Delete a document.
    pub fn delete(index: impl Into<String>, id: impl Into<String>) -> Self {
        Self::new(OpType::Delete, index, Some(id.into()), None)
    }

    /// Sets the document id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the routing.
    #[must_use]
    pub fn routing(mut self, routing: impl Into<String>) -> Self {
        self.routing = Some(routing.into());
        self
    }

    /// Sets the ingest pipeline.
    #[must_use]
    pub fn pipeline(mut self, pipeline: impl Into<String>) -> Self {
        self.pipeline = Some(pipeline.into());
        self
    }

    /// The NDJSON lines of this action.
    fn lines(&self) -> Result<Bytes> {
        let meta = Meta {
            index: &self.index,
            id: self.id.as_deref(),
            routing: self.routing.as_deref(),
            pipeline: self.pipeline.as_deref(),
        };
        let mut buf = BytesMut::with_capacity(64 + self.body.as_ref().map_or(0, Bytes::len));
        buf.put_slice(b"{\"");
        buf.put_slice(self.op.as_str().as_bytes());
        buf.put_slice(b"\":");
        serde_json::to_writer((&mut buf).writer(), &meta)
            .map_err(|e| Error::InvalidInput(format!("bulk action metadata: {e}")))?;
        buf.put_slice(b"}\n");
        if let Some(body) = &self.body {
            if body.contains(&b'\n') {
                return Err(Error::InvalidInput(format!(
                    "a bulk {} body for index {} spans several lines; encode it as one line of JSON",
                    self.op.as_str(),
                    self.index
                )));
            }
            buf.put_slice(body);
            buf.put_u8(b'\n');
        }
        Ok(buf.freeze())
    }
}

/// How the helper packs, sends and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOptions {
    /// Actions per request (500).
    pub max_actions: usize,
    /// Bytes per request (5 MiB).
    pub max_bytes: usize,
    /// Requests in flight (2).
    pub concurrency: usize,
    /// Resends of a rejected item or request (5).
    pub max_retries: u32,
    /// First backoff ceiling (200 ms), doubling per retry, with full jitter.
    pub initial_backoff: Duration,
    /// Largest backoff ceiling (30 s).
    pub max_backoff: Duration,
    /// Whether a `delete` of a missing document counts as done (true).
    pub delete_not_found_ok: bool,
    /// `refresh` parameter (`wait_for`, `true`), if any.
    pub refresh: Option<String>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            max_actions: 500,
            max_bytes: 5 * 1024 * 1024,
            concurrency: 2,
            max_retries: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            delete_not_found_ok: true,
            refresh: None,
        }
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutcome {
    /// Its position in the input stream, from 0.
    pub seq: u64,
    /// The action.
    pub action: BulkAction,
    /// The item's status, or `None` when no answer came for it (transport failure).
    pub status: Option<u16>,
    /// The error, as the server sent it or as the transport reported it.
    pub error: Option<Value>,
    /// How many requests carried it.
    pub attempts: u32,
}

impl ItemOutcome {
    /// Whether the action took effect (or was a delete of a missing document, when allowed).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Totals of a bulk run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkSummary {
    /// Actions that took effect.
    pub ok: u64,
    /// Actions that failed.
    pub failed: u64,
    /// Resends of items or requests.
    pub retried: u64,
    /// Bulk requests sent.
    pub requests: u64,
    /// Bytes of NDJSON sent, resends included.
    pub bytes: u64,
}

impl BulkSummary {
    /// Actions reported.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.ok + self.failed
    }
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    action: BulkAction,
    lines: Bytes,
}

struct ChunkResult {
    outcomes: Vec<ItemOutcome>,
    retried: u64,
    requests: u64,
    bytes: u64,
}

/// The bulk helper.
#[derive(Debug, Clone, Copy)]
pub struct Bulk<'a> {
    pub(crate) es: &'a Es,
}

impl Bulk<'_> {
    /// Sends every action of `actions`, calling `on_item` once per action as its outcome is
    /// known (in completion order), and answers the totals.
    ///
    /// # Errors
    /// Only when the server cannot be reached to read its version (`GET /`): from then on every
    /// failure is reported per item, never as an early return.
    pub async fn run<S, F>(
        &self,
        actions: S,
        opts: &BulkOptions,
        mut on_item: F,
    ) -> Result<BulkSummary>
    where
        S: Stream<Item = BulkAction>,
        F: FnMut(&ItemOutcome),
    {
        let ndjson = self.es.ndjson_type().await?;
        let accept = self.es.json_type().await?;
        let opts = BulkOptions {
            max_actions: opts.max_actions.max(1),
            concurrency: opts.concurrency.max(1),
            ..opts.clone()
        };
        let chunks = chunker(actions, opts.max_actions, opts.max_bytes);
        let es = self.es;
        let sent = chunks
            .map(|chunk| send_chunk(es, chunk, &opts, &ndjson, &accept))
            .buffer_unordered(opts.concurrency);
        let mut sent = std::pin::pin!(sent);
        let mut summary = BulkSummary::default();
        while let Some(r) = sent.next().await {
            summary.retried += r.retried;
            summary.requests += r.requests;
            summary.bytes += r.bytes;
            for o in r.outcomes {
                if o.is_ok() {
                    summary.ok += 1;
                } else {
                    summary.failed += 1;
                }
                on_item(&o);
            }
        }
        Ok(summary)
    }
}

/// Packs actions into chunks of at most `max_actions` and (unless one action alone is larger)
/// `max_bytes`. An action that cannot be encoded becomes a chunk of its own, reported failed.
fn chunker<S: Stream<Item = BulkAction>>(
    actions: S,
    max_actions: usize,
    max_bytes: usize,
) -> impl Stream<Item = Vec<std::result::Result<Entry, (u64, BulkAction, String)>>> {
    struct St<S> {
        input: std::pin::Pin<Box<S>>,
        carry: Option<Entry>,
        seq: u64,
        done: bool,
    }
    let st = St {
        input: Box::pin(actions),
        carry: None,
        seq: 0,
        done: false,
    };
    futures_util::stream::unfold(st, move |mut st| async move {
        if st.done && st.carry.is_none() {
            return None;
        }
        let mut chunk = Vec::new();
        let mut bytes = 0;
        if let Some(e) = st.carry.take() {
            bytes += e.lines.len();
            chunk.push(Ok(e));
        }
        while chunk.len() < max_actions && !st.done {
            match st.input.next().await {
                None => st.done = true,
                Some(action) => {
                    let seq = st.seq;
                    st.seq += 1;
                    match action.lines() {
                        Err(e) => {
                            chunk.push(Err((seq, action, e.to_string())));
                        }
                        Ok(lines) => {
                            if bytes + lines.len() > max_bytes && !chunk.is_empty() {
                                st.carry = Some(Entry { seq, action, lines });
                                break;
                            }
                            bytes += lines.len();
                            chunk.push(Ok(Entry { seq, action, lines }));
                        }
                    }
                }
            }
        }
        if chunk.is_empty() {
            None
        } else {
            Some((chunk, st))
        }
    })
}

#[derive(Deserialize)]
struct BulkResponse {
    items: Vec<Envelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Envelope {
    Index(ItemResponse),
    Create(ItemResponse),
    Update(ItemResponse),
    Delete(ItemResponse),
}

impl Envelope {
    fn into_item(self) -> ItemResponse {
        match self {
            Self::Index(i) | Self::Create(i) | Self::Update(i) | Self::Delete(i) => i,
        }
    }
}

#[derive(Deserialize)]
struct ItemResponse {
    status: u16,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    result: Option<ItemResult>,
}

/// The `result` of an item; only `not_found` matters here (and parsing it allocates nothing).
#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ItemResult {
    NotFound,
    #[serde(other)]
    Other,
}

enum Verdict {
    Ok,
    Retry,
    Fail,
}

fn verdict(op: OpType, item: &ItemResponse, delete_not_found_ok: bool) -> Verdict {
    if (200..300).contains(&item.status) && item.error.is_none() {
        return Verdict::Ok;
    }
    if op == OpType::Delete
        && item.status == 404
        && delete_not_found_ok
        && item.result == Some(ItemResult::NotFound)
    {
        return Verdict::Ok;
    }
    let rejected = item.status == 429
        || item
            .error
            .as_ref()
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            == Some("es_rejected_execution_exception");
    if rejected {
        Verdict::Retry
    } else {
        Verdict::Fail
    }
}

async fn send_chunk(
    es: &Es,
    chunk: Vec<std::result::Result<Entry, (u64, BulkAction, String)>>,
    opts: &BulkOptions,
    ndjson: &str,
    accept: &str,
) -> ChunkResult {
    let mut result = ChunkResult {
        outcomes: Vec::with_capacity(chunk.len()),
        retried: 0,
        requests: 0,
        bytes: 0,
    };
    let mut pending: Vec<Entry> = Vec::with_capacity(chunk.len());
    for c in chunk {
        match c {
            Ok(e) => pending.push(e),
            Err((seq, action, why)) => result.outcomes.push(ItemOutcome {
                seq,
                action,
                status: None,
                error: Some(Value::String(why)),
                attempts: 0,
            }),
        }
    }
    let policy = RetryPolicy::default()
        .initial_backoff(opts.initial_backoff)
        .max_backoff(opts.max_backoff);
    let mut attempt: u32 = 0;
    // Item statuses of the last answer, for items given up on after their last retry.
    while !pending.is_empty() {
        attempt += 1;
        let mut body = BytesMut::with_capacity(pending.iter().map(|e| e.lines.len()).sum());
        for e in &pending {
            body.put_slice(&e.lines);
        }
        let body = body.freeze();
        result.requests += 1;
        result.bytes += body.len() as u64;
        let started = Instant::now();
        let answer = post_bulk(es, body, opts, ndjson, accept).await;
        match answer {
            Ok(resp) if resp.items.len() == pending.len() => {
                let mut again = Vec::new();
                for (entry, env) in pending.drain(..).zip(resp.items) {
                    let item = env.into_item();
                    match verdict(entry.action.op, &item, opts.delete_not_found_ok) {
                        Verdict::Ok => {
                            result
                                .outcomes
                                .push(outcome(entry, Some(item.status), None, attempt))
                        }
                        Verdict::Retry if attempt <= opts.max_retries => again.push(entry),
                        Verdict::Retry | Verdict::Fail => {
                            let err = item
                                .error
                                .or_else(|| Some(Value::String(format!("status {}", item.status))));
                            result
                                .outcomes
                                .push(outcome(entry, Some(item.status), err, attempt));
                        }
                    }
                }
                if !again.is_empty() {
                    result.retried += again.len() as u64;
                    tokio::time::sleep(policy.backoff(attempt - 1, fastrand_draw())).await;
                }
                pending = again;
            }
            Ok(resp) => {
                let why = format!(
                    "the answer had {} items for {} actions",
                    resp.items.len(),
                    pending.len()
                );
                fail_all(&mut result, &mut pending, None, &why, attempt);
            }
            Err(e) => {
                let status = e.status();
                let resendable = matches!(status, Some(429 | 503)) && attempt <= opts.max_retries;
                if resendable {
                    result.retried += pending.len() as u64;
                    let after = e
                        .http_retry_after()
                        .unwrap_or_else(|| policy.backoff(attempt - 1, fastrand_draw()));
                    tracing::debug!(status, elapsed = ?started.elapsed(), "bulk request rejected, resending");
                    tokio::time::sleep(after.min(opts.max_backoff)).await;
                } else {
                    let why = e.to_string();
                    fail_all(&mut result, &mut pending, status, &why, attempt);
                }
            }
        }
    }
    result
}

fn fastrand_draw() -> f64 {
    fastrand::f64()
}

fn outcome(entry: Entry, status: Option<u16>, error: Option<Value>, attempts: u32) -> ItemOutcome {
    ItemOutcome {
        seq: entry.seq,
        action: entry.action,
        status,
        error,
        attempts,
    }
}

fn fail_all(
    result: &mut ChunkResult,
    pending: &mut Vec<Entry>,
    status: Option<u16>,
    why: &str,
    attempt: u32,
) {
    for entry in pending.drain(..) {
        result.outcomes.push(outcome(
            entry,
            status,
            Some(Value::String(why.to_owned())),
            attempt,
        ));
    }
}

async fn post_bulk(
    es: &Es,
    body: Bytes,
    opts: &BulkOptions,
    ndjson: &str,
    accept: &str,
) -> Result<BulkResponse> {
    let mut r = es
        .http()
        .request(Method::POST, ["_bulk"])
        .header("accept", accept);
    if let Some(refresh) = &opts.refresh {
        r = r.query_pair("refresh", refresh);
    }
    Ok(r.body(ndjson, body).json().await?)
}

impl Error {
    /// The delay a 429 or 503 asked for with `Retry-After`.
    fn http_retry_after(&self) -> Option<Duration> {
        match self {
            Self::Es { source, .. } | Self::Http(source) => source.retry_after(),
            _ => None,
        }
    }
}
