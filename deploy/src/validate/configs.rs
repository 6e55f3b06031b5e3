//! The service configurations of a bundle, each checked in its own format.
//!
//! - Every file under `config/` is used by a service (bind-mounted, or an `env_file`): a file no
//!   service reads is a configuration that silently does nothing.
//! - HOCON (`config/thehive`, `config/cortex`): parsed; every `${NAME}` the file leaves to the
//!   environment is set in the `environment` of each service mounting it (`${?NAME}` is optional).
//! - ElastAlert2: `config.yaml` has the settings ElastAlert2 refuses to start without; every rule
//!   validates against ElastAlert2's rule schema and, for `hivealerter`, carries the alerter's
//!   required options (`hive_connection` with host, port and key; `hive_alert_config` with `type`
//!   and `source`; no duplicate observable mapping, which TheHive answers with a 400). The host
//!   has no path: ElastAlert2 appends the API path after the port, so a context path breaks it.
//! - YAML and TOML files parse; shell scripts pass `sh -n` (`bash -n` for a `#!/bin/bash` one);
//!   env files are `KEY=VALUE` lines.
//! - `soc.toml`: parses, and every `{ file = ... }` it names exists, except the keys the running
//!   stack issues on first setup ([`RUNTIME_SECRETS`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::compose::{dotted, Model};
use super::{Report, Schemas};

/// Secret files the stack issues itself after its first start (TheHive's admin key comes from
/// the bootstrap of its first administrator; ElastAlert2's TheHive key from `soc setup`): their
/// absence from a freshly rendered bundle is expected.
pub const RUNTIME_SECRETS: &[&str] = &[
    "secrets/thehive_admin_key",
    "secrets/elastalert_thehive_key",
    "secrets/soc-secrets.toml",
];

/// YAML (with anchors and merge keys resolved) as a JSON value; mapping keys must be strings.
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let mut v: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    v.apply_merge().map_err(|e| e.to_string())?;
    serde_json::to_value(v).map_err(|e| e.to_string())
}

pub(crate) fn check(dir: &Path, model: &Model, schemas: Option<&Schemas>, report: &mut Report) {
    let mut files = Vec::new();
    walk(&dir.join("config"), &mut files);
    files.sort();
    // Which services read each file: (service, target in the container, env_file or not).
    let mut readers: BTreeMap<PathBuf, Vec<(String, Value)>> = BTreeMap::new();
    for (name, service) in model.services() {
        for (source, _) in model.binds(service) {
            let Some(rel) = source.strip_prefix("./") else {
                continue;
            };
            let root = dir.join(rel);
            for f in files.iter().filter(|f| f.starts_with(&root)) {
                readers
                    .entry(f.clone())
                    .or_default()
                    .push((name.to_string(), service.clone()));
            }
        }
        let env_files: Vec<String> = match &service["env_file"] {
            Value::String(f) => vec![f.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        };
        for f in env_files {
            let p = dir.join(f.trim_start_matches("./"));
            readers
                .entry(p)
                .or_default()
                .push((name.to_string(), service.clone()));
        }
    }
    for f in &files {
        let rel = relative(dir, f);
        let Some(users) = readers.get(f) else {
            report.find(&rel, "", "no service mounts or reads this file");
            continue;
        };
        let text = match fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                report.find(&rel, "", format!("cannot read: {e}"));
                continue;
            }
        };
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or_default();
        let under = |d: &str| rel.starts_with(d);
        match ext {
            "conf" if under("config/thehive/") || under("config/cortex/") => {
                hocon(&rel, &text, users, report);
            }
            "conf" if under("config/proxy/") => nginx(dir, &rel, &text, users, model, report),
            "conf" => report.checked.push(format!(
                "{rel}: mounted (Logstash pipeline syntax is not parsed)"
            )),
            "yaml" | "yml" => yaml(&rel, &text, schemas, report),
            "toml" => match toml::from_str::<toml::Table>(&text) {
                Ok(_) => report.checked.push(format!("{rel}: TOML")),
                Err(e) => report.find(&rel, "", format!("not valid TOML: {e}")),
            },
            "sh" => shell(f, &rel, report),
            "env" => env_file(&rel, &text, report),
            _ => report
                .checked
                .push(format!("{rel}: mounted (its format is not parsed)")),
        }
    }
    soc_toml(dir, report);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn relative(dir: &Path, f: &Path) -> String {
    f.strip_prefix(dir).unwrap_or(f).display().to_string()
}

/// HOCON: parse, then every environment substitution is provided by each reader.
fn hocon(rel: &str, text: &str, readers: &[(String, Value)], report: &mut Report) {
    let (required, _optional) = substitutions(text);
    // Strict: a file that does not parse completely is an error (the lenient mode keeps what it
    // could read). Resolution stops at the first substitution left to the environment, which
    // means parsing got through; the environment is checked below.
    let parsed = hocon::HoconLoader::new()
        .no_system()
        .strict()
        .load_str(text)
        .and_then(|l| l.hocon());
    match parsed {
        Ok(_) => {}
        Err(hocon::Error::KeyNotFound { key }) if required.contains(&key) => {}
        Err(e) => {
            report.find(rel, "", format!("not valid HOCON: {e}"));
            return;
        }
    }
    let defined = defined_paths(text);
    for (service, def) in readers {
        let env = Model::environment(def);
        for name in &required {
            if defined.contains(name) {
                continue;
            }
            if !env.contains_key(name) {
                report.find(
                    rel,
                    format!("${{{name}}}"),
                    format!("read from the environment, but service {service} does not set {name}"),
                );
            }
        }
    }
    report
        .checked
        .push(format!("{rel}: HOCON, environment substitutions provided"));
}

/// The TLS proxy's nginx configuration: every listener but loopback serves TLS, every port the
/// proxy's service publishes has a TLS listener, and `nginx -t` accepts the file (when nginx is
/// installed) with the container paths mapped to the files the service mounts.
fn nginx(
    dir: &Path,
    rel: &str,
    text: &str,
    readers: &[(String, Value)],
    model: &Model,
    report: &mut Report,
) {
    let mut tls_ports = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or_default().trim();
        let Some(rest) = t.strip_prefix("listen ") else {
            continue;
        };
        let words: Vec<&str> = rest.trim_end_matches(';').split_whitespace().collect();
        let addr = words.first().copied().unwrap_or_default();
        let port = addr.rsplit(':').next().unwrap_or(addr);
        let loopback = addr.starts_with("127.0.0.1:") || addr.starts_with("[::1]:");
        if words.contains(&"ssl") {
            tls_ports.insert(port.to_string());
        } else if !loopback {
            report.find(
                rel,
                format!("line {}", n + 1),
                format!("listen {addr} without ssl: a public endpoint in clear text"),
            );
        }
    }
    for (service, def) in readers {
        for p in def["ports"].as_array().into_iter().flatten() {
            let spec = p.as_str().unwrap_or_default();
            let container = spec
                .split('/')
                .next()
                .unwrap_or_default()
                .rsplit(':')
                .next()
                .unwrap_or_default();
            if !tls_ports.contains(container) {
                report.find(
                    rel,
                    "",
                    format!(
                        "{service} publishes {spec:?}, but no TLS listener is on port {container}"
                    ),
                );
            }
        }
    }
    let Some((_, def)) = readers.first() else {
        return;
    };
    // nginx -t on a copy whose container paths point at the mounted files.
    let mut copy = text.to_string();
    for (source, target) in model.binds(def) {
        if let Some(rel_src) = source.strip_prefix("./") {
            copy = copy.replace(&target, &dir.join(rel_src).display().to_string());
        }
    }
    let work = std::env::temp_dir().join(format!(
        "soc-deploy-nginx-{}-{}",
        std::process::id(),
        NGINX_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let conf = work.join("nginx.conf");
    let ran = fs::create_dir_all(&work)
        .and_then(|()| fs::write(&conf, &copy))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            Command::new("nginx")
                .args(["-t", "-q", "-e", "stderr", "-p"])
                .arg(&work)
                .arg("-c")
                .arg(&conf)
                .output()
                .map_err(|e| e.to_string())
        });
    let _ = fs::remove_dir_all(&work);
    match ran {
        Ok(o) if o.status.success() => report
            .checked
            .push(format!("{rel}: nginx -t, TLS on every public listener")),
        Ok(o) => report.find(
            rel,
            "",
            format!("nginx -t: {}", String::from_utf8_lossy(&o.stderr).trim()),
        ),
        Err(e) => report.checked.push(format!(
            "{rel}: TLS on every public listener (nginx -t not run: {e})"
        )),
    }
}

static NGINX_RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// `${NAME}` (required) and `${?NAME}` (optional) substitutions outside strings and comments.
pub fn substitutions(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut required = BTreeSet::new();
    let mut optional = BTreeSet::new();
    for line in text.lines() {
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => break,
                '/' if !quoted && line[i..].starts_with("//") => break,
                '$' if !quoted && line[i..].starts_with("${") => {
                    let body = &line[i + 2..];
                    if let Some(end) = body.find('}') {
                        let expr = &body[..end];
                        match expr.strip_prefix('?') {
                            Some(n) => optional.insert(n.trim().to_string()),
                            None => required.insert(expr.trim().to_string()),
                        };
                    }
                }
                _ => {}
            }
        }
    }
    (required, optional)
}

/// Dotted paths assigned in a HOCON text at the top level of a line (`a.b = ...`), so that a
/// substitution of a path the file defines is not taken for an environment variable. Nested
/// blocks are not tracked: environment variable names are upper case, paths are not.
fn defined_paths(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let end = l.find(['=', ':', '{', ' '])?;
            Some(l[..end].trim().to_string())
        })
        .filter(|k| !k.is_empty())
        .collect()
}

fn yaml(rel: &str, text: &str, schemas: Option<&Schemas>, report: &mut Report) {
    let doc = match yaml_to_json(text) {
        Ok(d) => d,
        Err(e) => {
            report.find(rel, "", format!("not valid YAML: {e}"));
            return;
        }
    };
    if rel.starts_with("config/elastalert/rules/") {
        elastalert_rule(rel, &doc, schemas, report);
    } else if rel == "config/elastalert/config.yaml" {
        // ElastAlert2 exits at start without these (config.py required_globals, and the rules
        // loader's rules_folder).
        for key in [
            "run_every",
            "es_host",
            "es_port",
            "writeback_index",
            "buffer_time",
            "rules_folder",
        ] {
            if doc[key].is_null() {
                report.find(rel, key, "required by ElastAlert2, missing");
            }
        }
        report
            .checked
            .push(format!("{rel}: YAML, ElastAlert2's required settings"));
    } else {
        report.checked.push(format!("{rel}: YAML"));
    }
}

fn elastalert_rule(rel: &str, doc: &Value, schemas: Option<&Schemas>, report: &mut Report) {
    if let Some(s) = schemas {
        for (at, message) in s.check_elastalert_rule(doc) {
            report.find(
                rel,
                dotted(&at),
                format!("ElastAlert2 rule schema: {message}"),
            );
        }
    }
    let alerts: Vec<&str> = match &doc["alert"] {
        Value::String(a) => vec![a.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if alerts.contains(&"hivealerter") {
        let conn = &doc["hive_connection"];
        match conn["hive_host"].as_str() {
            None => report.find(rel, "hive_connection.hive_host", "missing"),
            Some(h) => {
                let after_scheme = h.split_once("://").map_or(h, |(_, r)| r);
                if !(h.starts_with("http://") || h.starts_with("https://")) {
                    report.find(
                        rel,
                        "hive_connection.hive_host",
                        format!("{h:?} needs its scheme (http:// or https://)"),
                    );
                }
                if after_scheme.contains('/') || after_scheme.contains(':') {
                    report.find(
                        rel,
                        "hive_connection.hive_host",
                        format!(
                            "{h:?}: scheme and host only; the port goes in hive_port and \
                             ElastAlert2 appends /api/alert after the port, so a context path \
                             cannot be reached"
                        ),
                    );
                }
            }
        }
        if !conn["hive_port"].is_u64() {
            report.find(rel, "hive_connection.hive_port", "missing or not a number");
        }
        match conn["hive_apikey"].as_str() {
            None => report.find(rel, "hive_connection.hive_apikey", "missing"),
            Some("") => report.checked.push(format!(
                "{rel}: hive_apikey is empty until the stack issues ElastAlert2's TheHive key \
                 (`cargo xtask deploy` renders again after bootstrapping)"
            )),
            Some(_) => {}
        }
        for key in ["type", "source"] {
            if doc["hive_alert_config"][key].as_str().is_none() {
                report.find(
                    rel,
                    format!("hive_alert_config.{key}"),
                    "required by the TheHive alerter, missing",
                );
            }
        }
        let mut seen = BTreeSet::new();
        for (i, m) in doc["hive_observable_data_mapping"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let pairs: Vec<(String, String)> = m
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| !matches!(k.as_str(), "tlp" | "message" | "tags"))
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            if pairs.len() != 1 {
                report.find(
                    rel,
                    format!("hive_observable_data_mapping.{i}"),
                    "one data type per entry",
                );
            }
            for p in pairs {
                if !seen.insert(p.clone()) {
                    report.find(
                        rel,
                        format!("hive_observable_data_mapping.{i}"),
                        format!(
                            "{}: {} is mapped twice (TheHive refuses the duplicate observable)",
                            p.0, p.1
                        ),
                    );
                }
            }
        }
    }
    report.checked.push(format!(
        "{rel}: ElastAlert2 rule{}",
        if schemas.is_some() {
            " schema and alerter options"
        } else {
            " alerter options (no schema given)"
        }
    ));
}

fn shell(path: &Path, rel: &str, report: &mut Report) {
    // The interpreter the script names (`#!/bin/bash`), else POSIX sh.
    let first = fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let shell = if first.starts_with("#!") && first.contains("bash") {
        "bash"
    } else {
        "sh"
    };
    match Command::new(shell).arg("-n").arg(path).output() {
        Ok(o) if o.status.success() => report.checked.push(format!("{rel}: {shell} -n")),
        Ok(o) => report.find(
            rel,
            "",
            format!(
                "shell syntax: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ),
        Err(e) => report
            .checked
            .push(format!("{rel}: not checked (cannot run sh: {e})")),
    }
}

fn env_file(rel: &str, text: &str, report: &mut Report) {
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let key = t.split_once('=').map(|(k, _)| k.trim());
        let ok = key.is_some_and(|k| {
            !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !k.as_bytes()[0].is_ascii_digit()
        });
        if !ok {
            report.find(rel, format!("line {}", n + 1), "not a KEY=VALUE line");
        }
    }
    report.checked.push(format!("{rel}: env file"));
}

fn soc_toml(dir: &Path, report: &mut Report) {
    let path = dir.join("soc.toml");
    let Ok(text) = fs::read_to_string(&path) else {
        return;
    };
    let table = match toml::from_str::<toml::Table>(&text) {
        Ok(t) => t,
        Err(e) => {
            report.find("soc.toml", "", format!("not valid TOML: {e}"));
            return;
        }
    };
    // TLS: every URL https, the CA file present, verification never turned off.
    if let Some(ca) = table
        .get("defaults")
        .and_then(|d| d.get("ca_file"))
        .and_then(toml::Value::as_str)
    {
        if !dir.join(ca).is_file() {
            report.find(
                "soc.toml",
                "defaults.ca_file",
                format!("{ca} does not exist in the bundle"),
            );
        }
    }
    if table
        .get("defaults")
        .and_then(|d| d.get("danger_accept_invalid_certs"))
        .and_then(toml::Value::as_bool)
        == Some(true)
    {
        report.find(
            "soc.toml",
            "defaults.danger_accept_invalid_certs",
            "certificate verification is off: the bundle's CA (defaults.ca_file) is the answer",
        );
    }
    for (section, v) in &table {
        if let Some(url) = v.get("url").and_then(toml::Value::as_str) {
            if !url.starts_with("https://") {
                report.find(
                    "soc.toml",
                    format!("{section}.url"),
                    format!("{url}: not https"),
                );
            }
        }
    }
    let mut refs = Vec::new();
    file_refs(&toml::Value::Table(table), String::new(), &mut refs);
    for (at, file) in refs {
        if at == "secrets.file" || RUNTIME_SECRETS.contains(&file.as_str()) {
            continue;
        }
        if !dir.join(&file).exists() {
            report.find(
                "soc.toml",
                at,
                format!("{file} does not exist in the bundle"),
            );
        }
    }
    report
        .checked
        .push("soc.toml: TOML, https everywhere with the bundle's CA, secret files present".into());
}

/// `{ file = "..." }` references (and `[secrets] file`): (dotted key, file).
fn file_refs(v: &toml::Value, at: String, out: &mut Vec<(String, String)>) {
    if let toml::Value::Table(t) = v {
        for (k, x) in t {
            let p = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match x {
                toml::Value::String(s) if k == "file" => out.push((p, s.clone())),
                toml::Value::Table(_) => file_refs(x, p, out),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_skip_strings_and_comments() {
        let (req, opt) = substitutions(
            "a = ${A}\nb = \"${NOT}\" # ${NOR}\nc = ${?C} // ${NEITHER}\nd = ${a.b}\n",
        );
        assert_eq!(
            req.into_iter().collect::<Vec<_>>(),
            vec!["A".to_string(), "a.b".to_string()]
        );
        assert_eq!(opt.into_iter().collect::<Vec<_>>(), vec!["C".to_string()]);
    }

    #[test]
    fn yaml_merge_keys_are_resolved() {
        let v = yaml_to_json("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(v["child"]["x"], 1);
        assert!(yaml_to_json("a: [").is_err());
    }
}
