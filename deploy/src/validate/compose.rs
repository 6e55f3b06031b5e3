//! The compose file: interpolation, the compose-spec schema, and the checks the schema misses.
//!
//! Checks, each reported with the service and key it concerns:
//! - every `${VAR}` is set in `.env` (or has a default);
//! - every `depends_on` target exists and is enabled whenever its dependant is (profiles);
//!   `service_healthy` only on a service with a healthcheck, `service_completed_successfully` only
//!   on a one-shot job;
//! - every long-lived service (`restart` other than `no`) has a healthcheck with a `start_period`;
//! - no host port is published twice under any set of profiles (an address of `0.0.0.0` clashes
//!   with every address);
//! - every image is pinned to an exact version (a tag with a dot, or a digest; never `latest`);
//! - every service has a memory limit, and the services of any profile set fit the host budget
//!   ([`MEMORY_BUDGET`]);
//! - named volumes, networks and secrets are declared at the top level; bind mounts, `env_file`s
//!   and secret files under the bundle exist;
//! - no seed default credential (the S3 stores', MISP's, Cassandra's and the seed documents'
//!   published defaults; kept as digests) in any value or in `.env`,
//!   and no secret's value written into the compose file itself (a one-shot job may be given an
//!   image's known initial password, as `*_IMAGE_DEFAULT_PASSWORD`, to replace it);
//! - ports are published only by edge services (`org.soc-toolkit.edge: "true"`: the TLS proxy,
//!   Logstash's Beats input): everything else is reached through the proxy.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{Report, Schemas};
use crate::Error;

/// The compose file's name in a bundle.
pub const FILE: &str = "docker-compose.yml";

/// The memory the services of one profile set may be limited to in total: a 16 GiB host less
/// 1.5 GiB for the operating system and Docker.
pub const MEMORY_BUDGET: u64 = 29 << 29;

/// The compose file as the checks of the service configurations need it.
#[derive(Debug, Clone)]
pub struct Model {
    /// The interpolated document.
    pub doc: Value,
    /// `.env` of the bundle.
    pub env: BTreeMap<String, String>,
}

impl Model {
    /// The services: (name, definition).
    pub fn services(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.doc["services"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The bind mounts of a service: (source relative to the bundle or absolute, target).
    pub fn binds(&self, service: &Value) -> Vec<(String, String)> {
        service["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(volume)
            .filter(|v| v.bind)
            .map(|v| (v.source, v.target))
            .collect()
    }

    /// A service's environment: variable -> value (an unset value is empty).
    pub fn environment(service: &Value) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        match &service["environment"] {
            Value::Object(m) => {
                for (k, v) in m {
                    env.insert(k.clone(), scalar(v).unwrap_or_default());
                }
            }
            Value::Array(a) => {
                for item in a.iter().filter_map(Value::as_str) {
                    let (k, v) = item.split_once('=').unwrap_or((item, ""));
                    env.insert(k.to_string(), v.to_string());
                }
            }
            _ => {}
        }
        env
    }
}

/// Reads, interpolates and checks the compose file of the bundle in `dir`. `Ok(None)` when the
/// file is unreadable as YAML (reported as a finding).
pub(crate) fn check(
    dir: &Path,
    schemas: Option<&Schemas>,
    report: &mut Report,
) -> Result<Option<Model>, Error> {
    let path = dir.join(FILE);
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, "read", e))?;
    let env = match fs::read_to_string(dir.join(".env")) {
        Ok(t) => crate::parse_env(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(Error::io(dir.join(".env"), "read", e)),
    };
    let raw = match super::configs::yaml_to_json(&text) {
        Ok(v) => v,
        Err(e) => {
            report.find(FILE, "", format!("not valid YAML: {e}"));
            return Ok(None);
        }
    };
    let mut unset = Vec::new();
    let doc = interpolate_value(&raw, &env, "", &mut unset);
    for (at, problem) in unset {
        report.find(FILE, at, problem);
    }
    report
        .checked
        .push(format!("{FILE}: interpolated with .env"));
    if let Some(s) = schemas {
        for (at, message) in s.check_compose(&doc) {
            report.find(FILE, dotted(&at), format!("compose-spec schema: {message}"));
        }
        report
            .checked
            .push(format!("{FILE}: compose-spec JSON schema ({})", s.source()));
    }
    let model = Model { doc, env };
    semantic(dir, &model, report);
    report.checked.push(format!(
        "{FILE}: dependencies, health conditions, ports, images, memory, volumes, networks, \
         secrets, default credentials"
    ));
    Ok(Some(model))
}

/// A JSON pointer as a dotted path (`/services/thehive/ports/0` -> `services.thehive.ports.0`).
pub(crate) fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .replace("~1", "/")
        .replace("~0", "~")
        .replace('/', ".")
}

fn interpolate_value(
    v: &Value,
    env: &BTreeMap<String, String>,
    at: &str,
    unset: &mut Vec<(String, String)>,
) -> Value {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Value::String(s) => match interpolate(s, env) {
            Ok(out) => Value::String(out),
            Err(problems) => {
                for p in problems {
                    unset.push((at.to_string(), p));
                }
                Value::String(s.clone())
            }
        },
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| interpolate_value(x, env, &join(&i.to_string()), unset))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), interpolate_value(x, env, &join(k), unset)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Compose's interpolation of one string: `$$` is a literal `$`; `${VAR}`, `$VAR`,
/// `${VAR:-default}` / `${VAR-default}` (default when unset or empty / unset),
/// `${VAR:?message}` / `${VAR?message}` (error), `${VAR:+alt}` / `${VAR+alt}`. An unset variable
/// without a default is an error here (Compose would warn and use an empty string, which is
/// how a stack ends up with an empty password).
pub fn interpolate(s: &str, env: &BTreeMap<String, String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(s.len());
    let mut problems = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                problems.push(format!("unterminated ${{ in {s:?}"));
                return Err(problems);
            };
            let expr = &body[..end];
            rest = &body[end + 1..];
            let name_end = expr
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(expr.len());
            let (name, op) = expr.split_at(name_end);
            if name.is_empty() {
                problems.push(format!("invalid interpolation ${{{expr}}}"));
                continue;
            }
            let value = env.get(name);
            let set = value.is_some();
            let non_empty = value.is_some_and(|v| !v.is_empty());
            let v = value.cloned().unwrap_or_default();
            match op {
                "" => {
                    if !set {
                        problems.push(format!("${{{name}}} is not set in .env"));
                    }
                    out.push_str(&v);
                }
                _ if op.starts_with(":-") => {
                    out.push_str(if non_empty { &v } else { &op[2..] });
                }
                _ if op.starts_with('-') => out.push_str(if set { &v } else { &op[1..] }),
                _ if op.starts_with(":?") || op.starts_with('?') => {
                    let ok = if op.starts_with(':') { non_empty } else { set };
                    if !ok {
                        let msg = op.trim_start_matches(':').trim_start_matches('?');
                        problems.push(format!("${{{name}}} is required: {msg}"));
                    }
                    out.push_str(&v);
                }
                _ if op.starts_with(":+") => out.push_str(if non_empty { &op[2..] } else { "" }),
                _ if op.starts_with('+') => out.push_str(if set { &op[1..] } else { "" }),
                _ => problems.push(format!("invalid interpolation ${{{expr}}}")),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() {
                out.push('$');
            } else {
                match env.get(name) {
                    Some(v) => out.push_str(v),
                    None => problems.push(format!("${name} is not set in .env")),
                }
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One entry of a service's `volumes`.
struct Volume {
    source: String,
    target: String,
    bind: bool,
}

fn volume(v: &Value) -> Option<Volume> {
    match v {
        Value::String(s) => {
            let mut parts = s.splitn(3, ':');
            let first = parts.next()?.to_string();
            match parts.next() {
                None => Some(Volume {
                    source: String::new(),
                    target: first,
                    bind: false,
                }),
                Some(target) => Some(Volume {
                    bind: is_path(&first),
                    source: first,
                    target: target.to_string(),
                }),
            }
        }
        Value::Object(m) => Some(Volume {
            source: m.get("source").and_then(scalar).unwrap_or_default(),
            target: m.get("target").and_then(scalar).unwrap_or_default(),
            bind: m.get("type").and_then(Value::as_str) == Some("bind"),
        }),
        _ => None,
    }
}

fn is_path(s: &str) -> bool {
    s.starts_with('.') || s.starts_with('/') || s.starts_with('~')
}

/// A published port: host address (empty for all), host port, protocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Published {
    ip: String,
    port: u16,
    proto: String,
}

fn published(v: &Value) -> Result<Vec<Published>, String> {
    match v {
        Value::Object(m) => {
            let Some(port) = m.get("published").and_then(scalar) else {
                return Ok(Vec::new());
            };
            Ok(vec![Published {
                ip: m.get("host_ip").and_then(scalar).unwrap_or_default(),
                port: port
                    .parse()
                    .map_err(|_| format!("published port {port:?} is not a port"))?,
                proto: m
                    .get("protocol")
                    .and_then(scalar)
                    .unwrap_or_else(|| "tcp".into()),
            }])
        }
        other => {
            let s = scalar(other).ok_or("a port entry is neither a string nor a mapping")?;
            let (spec, proto) = s.split_once('/').unwrap_or((&s, "tcp"));
            // ip:host:container, host:container, or container alone (not published).
            let parts: Vec<&str> = if spec.starts_with('[') {
                let end = spec
                    .find(']')
                    .ok_or(format!("{s:?}: unterminated IPv6 address"))?;
                let mut p = vec![&spec[1..end]];
                p.extend(spec[end + 1..].trim_start_matches(':').split(':'));
                p
            } else {
                spec.split(':').collect()
            };
            let (ip, host) = match parts.as_slice() {
                [_] => return Ok(Vec::new()),
                [host, _] => ("", *host),
                [ip, host, _] => (*ip, *host),
                _ => return Err(format!("{s:?} is not ip:host:container")),
            };
            if host.is_empty() {
                return Ok(Vec::new());
            }
            let (lo, hi) = host.split_once('-').unwrap_or((host, host));
            let lo: u16 = lo
                .parse()
                .map_err(|_| format!("{s:?}: {host} is not a port"))?;
            let hi: u16 = hi
                .parse()
                .map_err(|_| format!("{s:?}: {host} is not a port"))?;
            Ok((lo..=hi)
                .map(|port| Published {
                    ip: ip.to_string(),
                    port,
                    proto: proto.to_string(),
                })
                .collect())
        }
    }
}

fn clashes(a: &Published, b: &Published) -> bool {
    let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0" || ip == "::";
    a.port == b.port && a.proto == b.proto && (a.ip == b.ip || any(&a.ip) || any(&b.ip))
}

/// `512m`, `2g`, `1073741824` and the like, in bytes.
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn names(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(scalar).collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn long_lived(service: &Value) -> bool {
    matches!(
        service["restart"].as_str(),
        Some("always" | "unless-stopped") | Some("on-failure")
    ) || service["restart"]
        .as_str()
        .is_some_and(|r| r.starts_with("on-failure"))
}

fn has_healthcheck(service: &Value) -> bool {
    let hc = &service["healthcheck"];
    let disabled = hc["disable"].as_bool() == Some(true)
        || hc["test"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            == Some("NONE");
    hc.is_object() && !hc["test"].is_null() && !disabled
}

/// Whether an image reference names an exact version.
fn pinned(image: &str) -> Result<(), String> {
    if image.contains("@sha256:") {
        return Ok(());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let Some((_, tag)) = last.split_once(':') else {
        return Err(format!("{image}: no tag (that is `latest`)"));
    };
    if tag == "latest" || tag.is_empty() {
        return Err(format!("{image}: `latest` is not a version"));
    }
    if !(tag.contains('.') && tag.bytes().any(|b| b.is_ascii_digit())) {
        return Err(format!("{image}: tag {tag:?} is not an exact version"));
    }
    Ok(())
}

// Seed default credentials (the values seed documents and upstream examples ship as passwords
// and keys) are kept as SHA-256 digests of their lower-case text: the repository holds no
// credential string, not even a well-known bad one that a secret scanner would flag.

/// Values that are a seed default when a credential is set to them.
const SEED_VALUES: &[&str] = &[
    "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
    "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918",
    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    "057ba03d6c44104863dc7361fe4578965d1887360f90a0895882e58a6248fc86",
    "50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
    "1e089e3c5323ad80a90767bdd5907297b4138163f027097fd3bdbeab528d2d68",
    "f1c6127b16ff422bfa09b98334abe44c5f88327e2a2185a2fe00ce26cdcf0075",
    "ad9858116e63b0c5a4d7dc7f50f034c7247e56838dae22c1832712ffde48e694",
    "8af148c12025605462afec24074be14fb4781056573d5490e6282dc1d977981f",
    "ca7e5f014bb04ceadef8fff8259a0ae557402bda21c58bd1743e053d5895cc0a",
    "2afe16a6d630d94cd07c68d5e35568655bf5f60bef29c4f1321fc857816afec9",
    "95d30169a59c418b52013315fc81bc99fdf0a7b03a116f346ab628496f349ed5",
];

/// Words that are a seed credential wherever they appear (as a whole word).
const SEED_WORDS: &[&str] = &[
    "ad9858116e63b0c5a4d7dc7f50f034c7247e56838dae22c1832712ffde48e694",
    "057ba03d6c44104863dc7361fe4578965d1887360f90a0895882e58a6248fc86",
    "8af148c12025605462afec24074be14fb4781056573d5490e6282dc1d977981f",
    "ca7e5f014bb04ceadef8fff8259a0ae557402bda21c58bd1743e053d5895cc0a",
    "2afe16a6d630d94cd07c68d5e35568655bf5f60bef29c4f1321fc857816afec9",
];

/// Two adjacent words with what separates them (`user:password` defaults, a command-line
/// password flag and its default).
const SEED_PAIRS: &[&str] = &[
    "8da193366e1554c08b2870c50f737b9587c3372b656151c4a96028af26f51334",
    "0fa88a7dc7913397c00dd2c7683fac2f7b3cc3b94d26c7e089f26ecbcdabf316",
    "e7dc7904129725d3a859fbf588fc643d12fb1ce5307f694938f4148583d15ddb",
];

fn digest(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.to_ascii_lowercase().as_bytes()))
}

/// Whether a credential's value is a seed default.
fn seed_value(value: &str) -> bool {
    SEED_VALUES.contains(&digest(unquote(value)).as_str())
}

/// The seed words and word pairs in a text.
fn seed_words(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        match (c.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, lower.len()));
    }
    let mut found = Vec::new();
    for (n, (a, b)) in words.iter().enumerate() {
        if SEED_WORDS.contains(&digest(&lower[*a..*b]).as_str()) {
            found.push(lower[*a..*b].to_string());
        }
        if let Some((c, d)) = words.get(n + 1) {
            let pair = &lower[*a..*d];
            let gap = &lower[*b..*c];
            if gap.len() <= 2 && SEED_PAIRS.contains(&digest(pair).as_str()) {
                found.push(pair.to_string());
            }
        }
    }
    found
}

/// Seed default credentials in a text: the never-acceptable words anywhere, and assignments
/// (`key = value`, `key: value`, `KEY=value`) of a credential-like key to a seed default.
pub fn seed_credentials(text: &str) -> Vec<String> {
    let mut found = seed_words(text);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        if credential_key(key) && seed_value(value) {
            found.push(line.trim().to_string());
        }
    }
    found
}

fn credential_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passwd", "secret", "key", "token", "passphrase"]
        .iter()
        .any(|k| key.contains(k))
}

fn unquote(v: &str) -> &str {
    v.trim().trim_matches(['"', '\'', ',', ' '])
}

/// Every (path, key, string value) in a document, for the credential scan.
fn strings<'a>(v: &'a Value, at: String, key: &'a str, out: &mut Vec<(String, &'a str, &'a str)>) {
    match v {
        Value::String(s) => out.push((at, key, s)),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, format!("{at}.{i}"), key, out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                strings(x, p, k, out);
            }
        }
        _ => {}
    }
}

/// The profile sets worth checking: none (the default services) and each profile alone with
/// the default services, and all together.
fn profile_sets(services: &serde_json::Map<String, Value>) -> Vec<BTreeSet<String>> {
    let all: BTreeSet<String> = services
        .values()
        .flat_map(|s| names(&s["profiles"]))
        .collect();
    let mut sets = vec![BTreeSet::new()];
    for p in &all {
        sets.push(BTreeSet::from([p.clone()]));
    }
    if all.len() > 1 {
        sets.push(all);
    }
    sets
}

fn enabled(service: &Value, profiles: &BTreeSet<String>) -> bool {
    let own = names(&service["profiles"]);
    own.is_empty() || own.iter().any(|p| profiles.contains(p))
}

fn describe(profiles: &BTreeSet<String>) -> String {
    if profiles.is_empty() {
        "the default services".into()
    } else {
        format!(
            "profiles {}",
            profiles.iter().cloned().collect::<Vec<_>>().join(",")
        )
    }
}

fn semantic(dir: &Path, model: &Model, report: &mut Report) {
    let doc = &model.doc;
    let Some(services) = doc["services"].as_object().filter(|s| !s.is_empty()) else {
        report.find(FILE, "services", "no services");
        return;
    };
    let declared = |key: &str| -> BTreeSet<String> { names(&doc[key]).into_iter().collect() };
    let volumes = declared("volumes");
    let networks = declared("networks");
    let secrets = declared("secrets");

    for (name, s) in services {
        let at = |k: &str| format!("services.{name}.{k}");
        match s["image"].as_str() {
            Some(image) => {
                if let Err(e) = pinned(image) {
                    report.find(FILE, at("image"), e);
                }
            }
            None if s["build"].is_null() => report.find(FILE, at("image"), "no image"),
            None => {}
        }
        let limit = s["mem_limit"]
            .as_str()
            .map(str::to_string)
            .or_else(|| s["mem_limit"].as_u64().map(|n| n.to_string()))
            .or_else(|| scalar(&s["deploy"]["resources"]["limits"]["memory"]));
        match limit {
            None => report.find(FILE, at("mem_limit"), "no memory limit"),
            Some(l) if parse_size(&l).is_none() => {
                report.find(FILE, at("mem_limit"), format!("{l:?} is not a size"))
            }
            Some(_) => {}
        }
        if long_lived(s) {
            if !has_healthcheck(s) {
                report.find(
                    FILE,
                    at("healthcheck"),
                    "a long-lived service without a healthcheck: nothing can wait for it",
                );
            } else if s["healthcheck"]["start_period"].is_null() {
                report.find(
                    FILE,
                    at("healthcheck.start_period"),
                    "no start_period: a slow first boot counts as failures",
                );
            }
        }
        // depends_on: list form (service_started) or mapping with conditions.
        let deps: Vec<(String, String, bool)> = match &s["depends_on"] {
            Value::Array(a) => a
                .iter()
                .filter_map(scalar)
                .map(|d| (d, "service_started".to_string(), true))
                .collect(),
            Value::Object(m) => m
                .iter()
                .map(|(d, c)| {
                    (
                        d.clone(),
                        c["condition"]
                            .as_str()
                            .unwrap_or("service_started")
                            .to_string(),
                        c["required"].as_bool() != Some(false),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        for (dep, cond, _) in &deps {
            let at = at(&format!("depends_on.{dep}"));
            let Some(target) = services.get(dep) else {
                report.find(FILE, at, format!("depends on {dep}, which is not defined"));
                continue;
            };
            match cond.as_str() {
                "service_started" => {}
                "service_healthy" if !has_healthcheck(target) => report.find(
                    FILE,
                    at,
                    format!("waits for {dep} to be healthy, but {dep} has no healthcheck"),
                ),
                "service_healthy" => {}
                "service_completed_successfully" if long_lived(target) => report.find(
                    FILE,
                    at,
                    format!(
                        "waits for {dep} to complete, but {dep} restarts ({}): it never completes",
                        target["restart"].as_str().unwrap_or_default()
                    ),
                ),
                "service_completed_successfully" => {}
                other => report.find(FILE, at, format!("unknown condition {other:?}")),
            }
        }
        for v in s["volumes"].as_array().into_iter().flatten() {
            let Some(v) = volume(v) else {
                report.find(
                    FILE,
                    at("volumes"),
                    "an entry is neither a string nor a mapping",
                );
                continue;
            };
            if v.bind {
                if let Some(rel) = v.source.strip_prefix("./") {
                    if !dir.join(rel).exists() {
                        report.find(
                            FILE,
                            at("volumes"),
                            format!("bind source {} does not exist in the bundle", v.source),
                        );
                    }
                }
            } else if !v.source.is_empty() && !volumes.contains(&v.source) {
                report.find(
                    FILE,
                    at("volumes"),
                    format!("named volume {} is not declared under `volumes:`", v.source),
                );
            }
        }
        for n in names(&s["networks"]) {
            if !networks.contains(&n) {
                report.find(
                    FILE,
                    at("networks"),
                    format!("network {n} is not declared under `networks:`"),
                );
            }
        }
        for entry in s["secrets"].as_array().into_iter().flatten() {
            let n = scalar(entry).or_else(|| scalar(&entry["source"]));
            if let Some(n) = n.filter(|n| !secrets.contains(n)) {
                report.find(
                    FILE,
                    at("secrets"),
                    format!("secret {n} is not declared under `secrets:`"),
                );
            }
        }
        let env_files: Vec<String> = match &s["env_file"] {
            Value::String(f) => vec![f.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|f| scalar(f).or_else(|| scalar(&f["path"])))
                .collect(),
            _ => Vec::new(),
        };
        for f in env_files {
            if !dir.join(&f).exists() {
                report.find(
                    FILE,
                    at("env_file"),
                    format!("{f} does not exist in the bundle"),
                );
            }
        }
        for p in s["ports"].as_array().into_iter().flatten() {
            if let Err(e) = published(p) {
                report.find(FILE, at("ports"), e);
            }
        }
        let publishes = s["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| published(p).is_ok_and(|v| !v.is_empty()));
        if publishes && s["labels"]["org.soc-toolkit.edge"].as_str() != Some("true") {
            report.find(
                FILE,
                at("ports"),
                "published, but not an edge service (org.soc-toolkit.edge): internal services \
                 are reached through the TLS proxy",
            );
        }
    }
    for (name, sec) in doc["secrets"].as_object().into_iter().flatten() {
        if let Some(f) = sec["file"].as_str() {
            let path = if is_path(f) && f.starts_with('/') {
                Path::new(f).to_path_buf()
            } else {
                dir.join(f)
            };
            if !path.exists() {
                report.find(
                    FILE,
                    format!("secrets.{name}.file"),
                    format!("{f} does not exist"),
                );
            }
        }
    }

    // Profiles: dependencies enabled, ports distinct, memory within budget.
    for set in profile_sets(services) {
        let on: Vec<(&String, &Value)> =
            services.iter().filter(|(_, s)| enabled(s, &set)).collect();
        let mut seen: Vec<(Published, &str)> = Vec::new();
        let mut memory = 0u64;
        for (name, s) in &on {
            for (dep, target) in s["depends_on"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect::<Vec<_>>())
                .unwrap_or_else(|| {
                    names(&s["depends_on"])
                        .into_iter()
                        .map(|d| (d, &Value::Null))
                        .collect()
                })
            {
                let required = target["required"].as_bool() != Some(false);
                if let Some(t) = services.get(&dep) {
                    if required && !enabled(t, &set) {
                        report.find(
                            FILE,
                            format!("services.{name}.depends_on.{dep}"),
                            format!("with {}, {dep} is disabled by its profile", describe(&set)),
                        );
                    }
                }
            }
            for p in s["ports"].as_array().into_iter().flatten() {
                for p in published(p).unwrap_or_default() {
                    if let Some((_, other)) = seen.iter().find(|(q, _)| clashes(q, &p)) {
                        report.find(
                            FILE,
                            format!("services.{name}.ports"),
                            format!(
                                "host port {}/{} is also published by {other} (with {})",
                                p.port,
                                p.proto,
                                describe(&set)
                            ),
                        );
                    }
                    seen.push((p, name.as_str()));
                }
            }
            // One-shot jobs exit before the stack is up: only long-lived services count.
            if !long_lived(s) {
                continue;
            }
            memory += s["mem_limit"]
                .as_str()
                .and_then(parse_size)
                .or_else(|| s["mem_limit"].as_u64())
                .or_else(|| {
                    scalar(&s["deploy"]["resources"]["limits"]["memory"])
                        .and_then(|m| parse_size(&m))
                })
                .unwrap_or(0);
        }
        if !set.is_empty() {
            // Optional profiles add to the default services: the host must be sized for them,
            // which preflight checks against the host's memory.
            report.checked.push(format!(
                "{FILE}: with {}, the memory limits add up to {:.1} GiB",
                describe(&set),
                memory as f64 / f64::from(1u32 << 30)
            ));
        } else if memory > MEMORY_BUDGET {
            report.find(
                FILE,
                "services",
                format!(
                    "with {}, the memory limits add up to {:.1} GiB, over the {:.1} GiB budget \
                     of a 16 GiB host",
                    describe(&set),
                    memory as f64 / f64::from(1u32 << 30),
                    MEMORY_BUDGET as f64 / f64::from(1u32 << 30)
                ),
            );
        }
    }

    // Seed default credentials: in the interpolated document and in .env.
    let mut all = Vec::new();
    strings(doc, String::new(), "", &mut all);
    for (at, key, value) in all {
        // The one place a known initial password may appear: given to a one-shot job that
        // replaces it (`*_IMAGE_DEFAULT_PASSWORD`, e.g. Cassandra's).
        let job = at
            .strip_prefix("services.")
            .and_then(|r| r.split('.').next())
            .and_then(|name| services.get(name))
            .is_some_and(|svc| !long_lived(svc));
        if job && key.ends_with("_IMAGE_DEFAULT_PASSWORD") {
            continue;
        }
        let assignment = value
            .split_once('=')
            .filter(|(k, _)| credential_key(k))
            .is_some_and(|(_, v)| seed_value(v));
        let seeded = !seed_words(value).is_empty()
            || (credential_key(key) && seed_value(value))
            || assignment;
        if seeded {
            report.find(FILE, at, "a seed default credential");
        }
    }
    let raw = fs::read_to_string(dir.join(FILE)).unwrap_or_default();
    for (k, v) in &model.env {
        if credential_key(k) && v.len() >= 12 && raw.contains(v.as_str()) {
            report.find(
                FILE,
                k.clone(),
                "holds a secret's value: use ${VAR} from .env",
            );
        }
    }
    for (k, v) in &model.env {
        if credential_key(k) && seed_value(v) {
            report.find(".env", k.clone(), "a seed default credential");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn interpolation_follows_compose() {
        let e = env(&[("A", "x"), ("EMPTY", "")]);
        assert_eq!(interpolate("$${A} ${A} $A-", &e).unwrap(), "${A} x x-");
        assert_eq!(
            interpolate("${B:-d} ${EMPTY:-d} ${EMPTY-d}", &e).unwrap(),
            "d d "
        );
        assert_eq!(interpolate("${A:+y}${B:+y}${EMPTY+z}", &e).unwrap(), "yz");
        assert_eq!(interpolate("cost $ 5", &e).unwrap(), "cost $ 5");
        let err = interpolate("${B} ${EMPTY:?must be set} ${A", &e).unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(err[0].contains("${B} is not set"), "{err:?}");
        assert!(err[1].contains("must be set"), "{err:?}");
        assert!(err[2].contains("unterminated"), "{err:?}");
    }

    #[test]
    fn ports_are_read_in_every_syntax() {
        let p = |s: &str| published(&Value::String(s.into())).unwrap();
        assert_eq!(p("9000"), vec![]);
        assert_eq!(p("8080:80")[0].port, 8080);
        assert_eq!(p("127.0.0.1:9000:9000")[0].ip, "127.0.0.1");
        assert_eq!(p("127.0.0.1:5000-5002:5000-5002/udp").len(), 3);
        assert_eq!(p("[::1]:9443:9443")[0].ip, "::1");
        let long = serde_json::json!({"target": 80, "published": "8081", "host_ip": "127.0.0.1"});
        assert_eq!(published(&long).unwrap()[0].port, 8081);
        assert!(published(&Value::String("a:b:c:d".into())).is_err());
        assert!(published(&Value::String("x:80".into())).is_err());
        let any = &p("9000:9000")[0];
        let lo = &p("127.0.0.1:9000:9000")[0];
        assert!(clashes(any, lo));
        assert!(!clashes(lo, &p("127.0.0.2:9000:9000")[0]));
        assert!(!clashes(lo, &p("127.0.0.1:9000:9000/udp")[0]));
    }

    #[test]
    fn images_must_name_an_exact_version() {
        assert!(pinned("strangebee/thehive:5.7.5").is_ok());
        assert!(pinned("localhost:5000/x@sha256:abcd").is_ok());
        for bad in [
            "cassandra",
            "cassandra:latest",
            "mariadb:10",
            "localhost:5000/x",
        ] {
            assert!(pinned(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_seed_credential_check_catches_seeds() {
        assert!(!seed_credentials("RUSTFS_SECRET_KEY=RustFSadmin").is_empty());
        assert!(!seed_credentials("  MYSQL_PASSWORD: example").is_empty());
        assert!(!seed_credentials("play.http.secret.key = \"secret\"").is_empty());
        assert!(!seed_credentials("url: http://elastic:elastic@es:9200").is_empty());
        assert!(!seed_credentials("cqlsh -u cassandra -p cassandra").is_empty());
        assert_eq!(
            seed_words("redis-cli -a redispassword ping"),
            ["redispassword"]
        );
        assert!(seed_credentials("username = \"elastic\"\npassword = ${X}").is_empty());
        assert!(seed_credentials("elastic: elasticsearch").is_empty());
        assert!(seed_credentials("a-cassandra-host").is_empty());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("lots"), None);
    }
}
