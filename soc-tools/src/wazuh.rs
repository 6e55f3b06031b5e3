//! `soc wazuh misp`: a Wazuh integration (`<integration><name>custom-misp</name>`) that looks
//! the indicators of each alert up in MISP and sends every match back to Wazuh as an event.
//!
//! Wazuh's integrator daemon writes each alert that passes the integration's filters
//! (`<group>`, `<level>`, `<rule_id>`) to a file and runs `integrations/custom-misp` as
//! `custom-misp <alert-file> <api_key> <hook_url> [debug] [<options-file>]` (the last, from
//! Wazuh 4.7, is a JSON file holding the `<options>` element and its name ends in `options`).
//! [`WazuhArgs::from_argv`] reads exactly that; the `<api_key>` is the MISP key and the
//! `<hook_url>` the MISP base URL, so neither lives in the script.
//!
//! [`run`] then:
//! 1. reads the alert and takes every indicator out of it ([`indicators`], table below);
//! 2. looks all of them up at once: one `attributes/restSearch` with the values OR'ed,
//!    event tags included, bounded by [`WazuhArgs::max_matches`];
//! 3. for **every** attribute that matches an indicator of the alert, writes one event to the
//!    queue socket (`1:<location>:<json>`, the datagram Wazuh's own integrations send) whose
//!    JSON carries `integration: "misp"`, the attribute and the alert it enriches;
//! 4. when MISP cannot answer (unreachable, refused key, 5xx, timeout, an HTML page where JSON
//!    was expected, a misconfigured URL, key or CA file), writes one `misp.error` event naming
//!    the reason and the alert, so a Wazuh rule alerts on it, and returns
//!    [`WazuhError::Misp`] or [`WazuhError::Timeout`].
//!
//! No match, or no indicator, writes nothing: the integration runs on the busiest groups
//! (Sysmon process, network and DNS events), and a "not found" event per alert would double
//! the load on the analysis daemon for events no rule wants.
//!
//! # Fields looked up
//!
//! | alert field | indicator | MISP types it matches |
//! |---|---|---|
//! | `data.win.eventdata.hashes`, `.hash` (Sysmon 1, 6, 7, 15, 23, 26: `SHA1=..,MD5=..,SHA256=..,IMPHASH=..` or a bare digest) | `md5`, `sha1`, `sha256`, `imphash` (by label, checked by length) | the same, `filename\|<hash>` |
//! | `data.win.eventdata.destinationIp` (Sysmon 3) | `ip-dst` | `ip-dst`, `ip-src`, `ip-dst\|port`, `domain\|ip` |
//! | `data.win.eventdata.sourceIp` (Sysmon 3), `.ipAddress` (Security 4624/4625) | `ip-src` | as above |
//! | `data.win.eventdata.destinationHostname` (Sysmon 3) | `hostname` | `hostname`, `domain`, `domain\|ip` |
//! | `data.win.eventdata.queryName` (Sysmon 22) | `domain` | `domain`, `hostname`, `domain\|ip` |
//! | `data.win.eventdata.queryResults` (Sysmon 22: the answers' addresses) | `ip-dst` | as for addresses |
//! | `data.win.eventdata.image`, `.parentImage`, `.imageLoaded`, `.targetFilename` | `filename`: the path and its last component | `filename`, `filename\|<hash>` |
//! | `data.eventdata.*` (Sysmon for Linux: `DestinationIp`, `Hashes`, `QueryName` ...) | as for `data.win.eventdata`, names compared case-insensitively | |
//! | `data.srcip`, `data.src_ip` (web access logs, firewalls, Suricata) | `ip-src` | as for addresses |
//! | `data.dstip`, `data.dst_ip`, `data.dest_ip` | `ip-dst` | as for addresses |
//! | `data.url`, `data.http.url` | absolute: `url` and its host (`hostname` or `ip-dst`); a path (access logs): `uri` | `url`, `link`; `uri` |
//! | `data.hostname`, `data.http.hostname`, `data.tls.sni` | `hostname` | `hostname`, `domain` |
//! | `data.domain`, `data.dns.rrname` | `domain` | `domain`, `hostname` |
//! | `data.md5`, `data.sha1`, `data.sha256` | the digest, checked by length | the same |
//! | `syscheck.md5_after`, `.sha1_after`, `.sha256_after` (FIM) | `md5`, `sha1`, `sha256` | the same |
//!
//! Skipped: private, loopback, link-local, shared (100.64/10), multicast, broadcast and
//! unspecified addresses (IPv4-mapped IPv6 included); names without a dot or in local and
//! reverse zones (`.local`, `.lan`, `.arpa` ...); anything MISP's search would misread (a
//! leading `!`). MISP's value search also matches either half of a composite attribute
//! (`ip-dst|port`, `filename|sha256`); an attribute that matches no indicator exactly (MISP
//! reads `%` as a wildcard) is not reported.
//!
//! # Events
//!
//! A match (one per attribute):
//! ```json
//! {"integration": "misp", "misp": {"found": 1, "value": "203.0.113.50", "type": "ip-dst",
//!  "category": "Network activity", "to_ids": true, "attribute_id": "12", "attribute_uuid": "..",
//!  "event_id": "3", "event_uuid": "..", "event_info": "C2 servers", "tags": ["tlp:amber"],
//!  "indicator": "203.0.113.50", "indicator_type": "ip-dst",
//!  "alert_fields": ["data.win.eventdata.destinationIp"],
//!  "source": {"alert_id": "1700000000.1234", "alert_timestamp": "..", "rule_id": "92101",
//!             "rule_level": 4, "rule_description": "..", "agent_id": "004",
//!             "agent_name": "win10", "agent_ip": "192.168.56.10"}}}
//! ```
//! A failure: `{"integration": "misp", "misp": {"error": "<reason>", "error_kind":
//! "unreachable|timeout|unauthorized|forbidden|rate_limited|server_error|bad_answer|configuration|error",
//! "indicators": [...], "source": {...}}}`. Both go out as `1:misp:<json>` for the manager's
//! alerts, `1:[<id>] (<name>) <ip|any>->misp:<json>` for an agent's (`|` and `:` escaped).
//! `integrations/wazuh/misp_rules.xml` holds rules for them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), soc_tools::wazuh::WazuhError> {
//! use soc_tools::wazuh::{self, WazuhArgs};
//! let argv: Vec<String> = std::env::args().skip(1).collect();
//! let outcome = wazuh::run(&WazuhArgs::from_argv(&argv)?).await?;
//! eprintln!("{} events sent", outcome.events_sent);
//! # Ok(())
//! # }
//! ```

mod extract;
mod queue;

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::TryStreamExt;
use misp_client::search::{Controller, SearchFilter, Terms};
use misp_client::Misp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use soc_http::RetryPolicy;

pub use extract::{indicators, Indicator, IndicatorKind};

/// Where Wazuh 4.x listens for events (`/var/ossec/queue/sockets/queue`).
pub const DEFAULT_QUEUE: &str = "/var/ossec/queue/sockets/queue";
/// The default time allowed for the whole lookup.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default bound on the attributes reported per alert.
pub const DEFAULT_MAX_MATCHES: usize = 100;

/// What one run needs: integratord's arguments plus where to send events and how to reach
/// MISP.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WazuhArgs {
    /// The alert file (integratord's `argv[1]`, JSON with `<alert_format>json</alert_format>`).
    pub alert_file: PathBuf,
    /// The MISP API key (`argv[2]`, the `<api_key>` element).
    pub api_key: SecretString,
    /// The MISP base URL (`argv[3]`, the `<hook_url>` element).
    pub hook_url: String,
    /// Integratord runs with debug logging (`debug` among the extra arguments).
    pub debug: bool,
    /// The `<options>` file (an extra argument ending in `options`): a JSON object whose keys
    /// `ca_file`, `timeout` (seconds), `max_matches`, `to_ids_only` and
    /// `enforce_warninglist` override the values below.
    pub options_file: Option<PathBuf>,
    /// Wazuh's queue socket. Default [`DEFAULT_QUEUE`].
    pub queue: PathBuf,
    /// A PEM file of CA certificates to trust for MISP beside the system roots.
    pub ca_file: Option<PathBuf>,
    /// The time allowed for the lookup, retries included. Default [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// The most attributes reported for one alert. Default [`DEFAULT_MAX_MATCHES`].
    pub max_matches: usize,
    /// Only attributes marked for detection (`to_ids`).
    pub to_ids_only: bool,
    /// Leave out attributes on MISP's enabled warninglists (public resolvers, CDNs ...).
    pub enforce_warninglist: bool,
}

impl WazuhArgs {
    /// The three arguments integratord always passes; everything else at its default.
    pub fn new(
        alert_file: impl Into<PathBuf>,
        api_key: SecretString,
        hook_url: impl Into<String>,
    ) -> Self {
        Self {
            alert_file: alert_file.into(),
            api_key,
            hook_url: hook_url.into(),
            debug: false,
            options_file: None,
            queue: PathBuf::from(DEFAULT_QUEUE),
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
            max_matches: DEFAULT_MAX_MATCHES,
            to_ids_only: false,
            enforce_warninglist: false,
        }
    }

    /// Integratord's arguments, program name excluded:
    /// `<alert-file> <api_key> <hook_url> [debug] [<file ending in "options">]`. Other extra
    /// arguments are ignored, as Wazuh's own integrations do.
    ///
    /// # Errors
    /// [`WazuhError::Usage`] with fewer than three arguments.
    pub fn from_argv(argv: &[String]) -> Result<Self, WazuhError> {
        let [alert, key, url, extra @ ..] = argv else {
            return Err(WazuhError::Usage(format!(
                "expected <alert-file> <api-key> <hook-url> [debug] [<options-file>], got {} argument(s)",
                argv.len()
            )));
        };
        let mut args = Self::new(alert, SecretString::from(key.as_str()), url);
        args.debug = extra.iter().any(|a| a == "debug");
        args.options_file = extra
            .iter()
            .find(|a| a.ends_with("options"))
            .map(PathBuf::from);
        Ok(args)
    }

    /// Sets the queue socket.
    #[must_use]
    pub fn queue(mut self, path: impl Into<PathBuf>) -> Self {
        self.queue = path.into();
        self
    }

    /// Sets the CA file.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Sets the timeout.
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Sets the most attributes reported per alert.
    #[must_use]
    pub fn max_matches(mut self, n: usize) -> Self {
        self.max_matches = n;
        self
    }

    /// Applies the options file's keys.
    fn with_options(mut self) -> Result<Self, WazuhError> {
        let Some(path) = self.options_file.clone() else {
            return Ok(self);
        };
        let bad = |reason: String| WazuhError::Options {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        if text.trim().is_empty() {
            return Ok(self);
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let Some(o) = v.as_object() else {
            return Err(bad("not a JSON object".into()));
        };
        for (k, v) in o {
            let wrong = || bad(format!("{k}: unexpected value {v}"));
            match k.as_str() {
                "ca_file" => self.ca_file = Some(v.as_str().ok_or_else(wrong)?.into()),
                "timeout" => {
                    let secs = v.as_f64().filter(|s| *s > 0.0 && *s <= 3600.0);
                    self.timeout = Duration::from_secs_f64(secs.ok_or_else(wrong)?);
                }
                "max_matches" => {
                    let n = v.as_u64().filter(|n| *n > 0).ok_or_else(wrong)?;
                    self.max_matches = usize::try_from(n).map_err(|_| wrong())?;
                }
                "to_ids_only" => self.to_ids_only = v.as_bool().ok_or_else(wrong)?,
                "enforce_warninglist" => {
                    self.enforce_warninglist = v.as_bool().ok_or_else(wrong)?
                }
                other => {
                    tracing::warn!(option = other, path = %path.display(), "unknown option ignored")
                }
            }
        }
        Ok(self)
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct WazuhOutcome {
    /// The alert's `id`, if it had one.
    pub alert_id: Option<String>,
    /// The indicators taken out of the alert.
    pub indicators: Vec<Indicator>,
    /// The attributes MISP returned.
    pub attributes: usize,
    /// The events written to the queue (one per matching attribute).
    pub events_sent: usize,
    /// MISP had more matches than [`WazuhArgs::max_matches`].
    pub truncated: bool,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WazuhError {
    /// The arguments do not match integratord's.
    #[error("usage: {0}")]
    Usage(String),
    /// The alert file could not be read.
    #[error("cannot read alert file {}", path.display())]
    ReadAlert {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The alert file is not a JSON alert.
    #[error("alert file {} is not a Wazuh JSON alert: {reason}", path.display())]
    BadAlert {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The options file could not be read or holds a bad value.
    #[error("options file {}: {reason}", path.display())]
    Options {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// MISP could not be asked or did not answer usably; a `misp.error` event was written
    /// unless `reported` is false (the queue refused it too; the log says why).
    #[error("misp lookup failed for alert {alert_id}")]
    Misp {
        /// The alert's id (`-` without one).
        alert_id: String,
        /// Whether the error event reached the queue.
        reported: bool,
        /// MISP's or the transport's error.
        #[source]
        source: misp_client::Error,
    },
    /// MISP took longer than the timeout (the whole lookup, or one request); reported like
    /// [`WazuhError::Misp`].
    #[error("misp lookup for alert {alert_id} timed out after {after:?}")]
    Timeout {
        /// The alert's id.
        alert_id: String,
        /// Whether the error event reached the queue.
        reported: bool,
        /// The timeout.
        after: Duration,
    },
    /// An event could not be written to the queue socket.
    #[error("cannot write to the wazuh queue socket {}", path.display())]
    Queue {
        /// The socket.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl WazuhError {
    /// The exit status for the command: 1 MISP failed (reported on the queue), 2 usage,
    /// 3 a bad alert or options file, 4 the queue socket refused an event.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Misp { .. } | Self::Timeout { .. } => 1,
            Self::Usage(_) => 2,
            Self::ReadAlert { .. } | Self::BadAlert { .. } | Self::Options { .. } => 3,
            Self::Queue { .. } => 4,
        }
    }
}

/// Looks the alert's indicators up in MISP and writes one event per match to Wazuh's queue.
///
/// # Errors
/// [`WazuhError::ReadAlert`], [`WazuhError::BadAlert`] or [`WazuhError::Options`] before any
/// request; [`WazuhError::Misp`] or [`WazuhError::Timeout`] after writing the `misp.error`
/// event; [`WazuhError::Queue`] when the socket refuses an event.
pub async fn run(args: &WazuhArgs) -> Result<WazuhOutcome, WazuhError> {
    let alert = read_alert(&args.alert_file)?;
    let args = args.clone().with_options()?;
    let alert_id = alert.get("id").and_then(Value::as_str).map(str::to_owned);
    let found = indicators(&alert);
    let mut outcome = WazuhOutcome {
        alert_id: alert_id.clone(),
        indicators: found,
        attributes: 0,
        events_sent: 0,
        truncated: false,
    };
    if outcome.indicators.is_empty() {
        tracing::debug!(alert = ?alert_id, "no indicator to look up");
        return Ok(outcome);
    }
    let queue = queue::Queue::new().map_err(|source| WazuhError::Queue {
        path: args.queue.clone(),
        source,
    })?;
    let id = alert_id.clone().unwrap_or_else(|| "-".into());

    let looked_up = match client(&args) {
        Ok(misp) => {
            tokio::time::timeout(args.timeout, lookup(&misp, &args, &outcome.indicators)).await
        }
        Err(source) => Ok(Err((true, source))),
    };
    let attributes = match looked_up {
        Ok(Ok(attrs)) => attrs,
        Ok(Err((configuring, source))) => {
            let (kind, mut reason) = describe(&source, configuring);
            if kind == "timeout" {
                reason = format!("no answer from MISP within {:?}: {reason}", args.timeout);
            }
            let reported = report(&queue, &args, &alert, kind, &reason, &outcome.indicators).await;
            if kind == "timeout" {
                return Err(WazuhError::Timeout {
                    alert_id: id,
                    reported,
                    after: args.timeout,
                });
            }
            return Err(WazuhError::Misp {
                alert_id: id,
                reported,
                source,
            });
        }
        Err(_) => {
            let reason = format!("no answer from MISP within {:?}", args.timeout);
            let reported = report(
                &queue,
                &args,
                &alert,
                "timeout",
                &reason,
                &outcome.indicators,
            )
            .await;
            return Err(WazuhError::Timeout {
                alert_id: id,
                reported,
                after: args.timeout,
            });
        }
    };
    outcome.attributes = attributes.len();
    outcome.truncated = attributes.len() >= args.max_matches;
    if outcome.truncated {
        tracing::warn!(alert = %id, max = args.max_matches, "more MISP matches than reported");
    }
    for attr in &attributes {
        let matched = matching(attr, &outcome.indicators);
        if matched.is_empty() {
            tracing::debug!(value = ?attr.get("value"), "MISP match without an exact indicator");
            continue;
        }
        let event = queue::found(&alert, attr, &matched);
        queue
            .send(&args.queue, &queue::message(&alert, &event))
            .await
            .map_err(|source| WazuhError::Queue {
                path: args.queue.clone(),
                source,
            })?;
        outcome.events_sent += 1;
    }
    tracing::info!(
        alert = %id,
        indicators = outcome.indicators.len(),
        matches = outcome.events_sent,
        "misp lookup done"
    );
    Ok(outcome)
}

fn read_alert(path: &Path) -> Result<Value, WazuhError> {
    let bytes = std::fs::read(path).map_err(|source| WazuhError::ReadAlert {
        path: path.to_owned(),
        source,
    })?;
    let bad = |reason: String| WazuhError::BadAlert {
        path: path.to_owned(),
        reason,
    };
    let alert: Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if !alert.is_object() {
        return Err(bad("not a JSON object".into()));
    }
    if alert.get("rule").is_none() {
        return Err(bad(
            "no `rule` block (is <alert_format>json</alert_format> set?)".into(),
        ));
    }
    Ok(alert)
}

/// The client, checked before any request: URL, key, CA file.
fn client(args: &WazuhArgs) -> Result<Misp, misp_client::Error> {
    if args.api_key.expose_secret().trim().is_empty() {
        return Err(misp_client::Error::InvalidInput(
            "empty API key: set <api_key> in the <integration> block".into(),
        ));
    }
    let mut builder = Misp::builder(args.hook_url.trim())?
        .api_key(args.api_key.clone())
        .request_timeout(args.timeout)
        .connect_timeout(args.timeout.min(Duration::from_secs(5)))
        .retry(
            RetryPolicy::default()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(100))
                .budget(args.timeout / 2),
        );
    if let Some(ca) = &args.ca_file {
        builder = builder.ca_file(ca);
    }
    builder.build()
}

/// One restSearch for every indicator value, at most `max_matches` attributes kept. Errors
/// come tagged `false`: they happened asking, not configuring.
async fn lookup(
    misp: &Misp,
    args: &WazuhArgs,
    indicators: &[Indicator],
) -> Result<Vec<Value>, (bool, misp_client::Error)> {
    search(misp, args, indicators).await.map_err(|e| (false, e))
}

async fn search(
    misp: &Misp,
    args: &WazuhArgs,
    indicators: &[Indicator],
) -> Result<Vec<Value>, misp_client::Error> {
    let mut values: Vec<&str> = indicators.iter().map(|i| i.value.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    let limit = u64::try_from(args.max_matches.max(1)).unwrap_or(u64::MAX);
    let mut filter = SearchFilter::new()
        .values(Terms::any(values))
        .include_event_tags()
        .page(1, limit);
    if args.to_ids_only {
        filter = filter.to_ids(true);
    }
    if args.enforce_warninglist {
        filter = filter.enforce_warninglist();
    }
    tracing::debug!(values = indicators.len(), "misp restSearch");
    let max = args.max_matches.max(1);
    let stream = misp
        .search()
        .typed::<Value>(Controller::Attributes, &filter)
        .await?;
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(attr) = stream.try_next().await? {
        out.push(attr);
        if out.len() >= max {
            break;
        }
    }
    Ok(out)
}

/// The indicators an attribute's value (either half of a composite) equals.
fn matching<'a>(attr: &Value, indicators: &'a [Indicator]) -> Vec<&'a Indicator> {
    let value = attr
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parts: Vec<&str> = value.split('|').collect();
    indicators
        .iter()
        .filter(|i| {
            parts
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(&i.value))
        })
        .collect()
}

/// The `misp.error_kind` and the reason (the whole error chain) for an error event. Any error
/// building the client is a configuration error; an unexpected answer (MISP's client reports
/// an HTML page where restSearch JSON belongs as invalid input) a bad answer.
fn describe(e: &misp_client::Error, configuring: bool) -> (&'static str, String) {
    use soc_http::ErrorKind as K;
    let kind = match e {
        _ if configuring => "configuration",
        misp_client::Error::BadKey { .. } => "unauthorized",
        misp_client::Error::InvalidInput(_) => "bad_answer",
        misp_client::Error::Api { status, .. } => match status {
            401 => "unauthorized",
            403 => "forbidden",
            429 => "rate_limited",
            500..=599 => "server_error",
            _ => "error",
        },
        misp_client::Error::Http(h) | misp_client::Error::SaveFailed { source: h, .. } => {
            match h.kind() {
                K::InvalidInput => "bad_answer",
                K::Unauthorized => "unauthorized",
                K::Forbidden => "forbidden",
                K::RateLimited => "rate_limited",
                K::Server => "server_error",
                K::Decode | K::UnexpectedStatus => "bad_answer",
                K::Transport => "unreachable",
                K::Timeout => "timeout",
                _ => "error",
            }
        }
        _ => "error",
    };
    let mut reason = e.to_string();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = cur {
        let text = s.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        cur = s.source();
    }
    (kind, reason)
}

/// Writes the error event; false (and a log line) when the queue refuses it too.
async fn report(
    queue: &queue::Queue,
    args: &WazuhArgs,
    alert: &Value,
    kind: &str,
    reason: &str,
    indicators: &[Indicator],
) -> bool {
    tracing::error!(kind, reason, "misp lookup failed");
    let event = queue::error(alert, kind, reason, indicators);
    match queue
        .send(&args.queue, &queue::message(alert, &event))
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(queue = %args.queue.display(), error = %e, "cannot report the failure to wazuh");
            false
        }
    }
}
