//! `cargo xtask deploy`: the seed SOC stack as a rendered Docker Compose bundle.
//!
//! - `render [--out DIR] [--settings FILE]`: renders `deploy/templates` (plus optional settings,
//!   `deploy/settings.example.toml` shows them) into `DIR` (default `deploy/out`):
//!   `docker-compose.yml`, `.env`, service configurations, `secrets/` and a `soc.toml` that points
//!   the `soc` tool at the stack. Secrets are generated once from the OS random source and kept
//!   across renders: the existing `.env` is read first.
//! - `preflight [--out DIR] [--settings FILE]`: checks the host (Docker engine, Compose v2, free
//!   ports, RAM, `vm.max_map_count`, the Docker socket, writable data directories), printing each
//!   check with its status and fix; fails when any check fails.
//! - `up [--out DIR] [--settings FILE]`: preflight, render, `docker compose up -d`, then polls the
//!   services' health. It needs a Docker host and is not exercised by the tests.

// Preflight and `up` report on stdout.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `deploy/versions.env`: every image tag of the bundle.
const VERSIONS: &str = include_str!("../../deploy/versions.env");
/// The compose template; `{{S3_SERVICES}}` receives the chosen S3 backend's fragment.
const COMPOSE: &str = include_str!("../../deploy/templates/docker-compose.yml");

/// The S3 stores TheHive's attachments can live in: name, compose fragment, S3 port in the network.
const S3_BACKENDS: &[(&str, &str, u16)] = &[
    (
        "rustfs",
        include_str!("../../deploy/templates/s3/rustfs.yml"),
        9000,
    ),
    (
        "seaweedfs",
        include_str!("../../deploy/templates/s3/seaweedfs.yml"),
        8333,
    ),
    (
        "garage",
        include_str!("../../deploy/templates/s3/garage.yml"),
        3900,
    ),
];

/// A rendered file: its template, where it goes in the output, and for which S3 backend only.
struct Template {
    out: &'static str,
    text: &'static str,
    only_backend: Option<&'static str>,
}

const TEMPLATES: &[Template] = &[
    Template {
        out: "config/thehive/application.conf",
        text: include_str!("../../deploy/templates/thehive/application.conf"),
        only_backend: None,
    },
    Template {
        out: "config/cortex/application.conf",
        text: include_str!("../../deploy/templates/cortex/application.conf"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/config.yaml",
        text: include_str!("../../deploy/templates/elastalert/config.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/rules/ssh-bruteforce.yaml",
        text: include_str!("../../deploy/templates/elastalert/rules/ssh-bruteforce.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/rules/malware-detected.yaml",
        text: include_str!("../../deploy/templates/elastalert/rules/malware-detected.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/logstash/pipeline/beats.conf",
        text: include_str!("../../deploy/templates/logstash/pipeline/beats.conf"),
        only_backend: None,
    },
    Template {
        out: "config/misp/misp.env",
        text: include_str!("../../deploy/templates/misp/misp.env"),
        only_backend: None,
    },
    Template {
        out: "config/node-red/settings.js",
        text: include_str!("../../deploy/templates/node-red/settings.js"),
        only_backend: None,
    },
    Template {
        out: "config/init/s3-init.sh",
        text: include_str!("../../deploy/templates/init/s3-init.sh"),
        only_backend: None,
    },
    Template {
        out: "config/init/es-siem-setup.sh",
        text: include_str!("../../deploy/templates/init/es-siem-setup.sh"),
        only_backend: None,
    },
    Template {
        out: "config/garage/garage.toml",
        text: include_str!("../../deploy/templates/garage/garage.toml"),
        only_backend: Some("garage"),
    },
    Template {
        out: "soc.toml",
        text: include_str!("../../deploy/templates/soc.toml"),
        only_backend: None,
    },
];

/// The shape of a generated secret. Everything is alphanumeric: MISP, MariaDB and Redis choke on
/// special characters, and `$` would need escaping in compose files.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Letters and digits.
    Alnum(usize),
    /// Letters and digits with at least one upper-case letter, lower-case letter and digit
    /// (password policies of MISP and Portainer).
    Password(usize),
    /// Lower-case hex digits (Garage's RPC secret and secret keys).
    Hex(usize),
    /// `GK` and 24 hex digits: a Garage key id, valid on every S3 backend.
    GarageKeyId,
}

/// The secrets the stack needs: the `.env` variable, its shape. Each also lands in
/// `secrets/<variable in lower case>`, mode 0600, for `{ file = ... }` references.
const SECRETS: &[(&str, Kind)] = &[
    ("INDEX_ELASTIC_PASSWORD", Kind::Alnum(40)),
    ("ELASTIC_PASSWORD", Kind::Alnum(40)),
    ("KIBANA_SYSTEM_PASSWORD", Kind::Alnum(40)),
    ("KIBANA_ENCRYPTION_KEY", Kind::Alnum(48)),
    ("THEHIVE_SECRET", Kind::Alnum(64)),
    ("THEHIVE_ADMIN_PASSWORD", Kind::Password(32)),
    ("CORTEX_SECRET", Kind::Alnum(64)),
    ("CORTEX_ADMIN_PASSWORD", Kind::Password(32)),
    ("S3_ROOT_ACCESS_KEY", Kind::GarageKeyId),
    ("S3_ROOT_SECRET_KEY", Kind::Hex(64)),
    ("GARAGE_RPC_SECRET", Kind::Hex(64)),
    ("GARAGE_ADMIN_TOKEN", Kind::Alnum(40)),
    ("MISP_ADMIN_KEY", Kind::Alnum(40)),
    ("MISP_ADMIN_PASSWORD", Kind::Password(32)),
    ("MISP_MYSQL_PASSWORD", Kind::Alnum(32)),
    ("MISP_MYSQL_ROOT_PASSWORD", Kind::Alnum(32)),
    ("MISP_REDIS_PASSWORD", Kind::Alnum(32)),
    ("MISP_ENCRYPTION_KEY", Kind::Alnum(32)),
    ("MISP_SALT", Kind::Alnum(32)),
    ("MISP_GPG_PASSPHRASE", Kind::Alnum(32)),
    ("NODE_RED_ADMIN_PASSWORD", Kind::Password(32)),
    ("NODE_RED_CREDENTIAL_SECRET", Kind::Alnum(48)),
    ("PORTAINER_ADMIN_PASSWORD", Kind::Password(32)),
    ("SHUFFLE_ADMIN_PASSWORD", Kind::Password(32)),
    ("SHUFFLE_API_KEY", Kind::Alnum(40)),
];

/// Secrets issued by the running stack (not generated here): read from `secrets/` when present,
/// empty otherwise. Templates using them are written 0600 like any other secret holder.
const RUNTIME_SECRETS: &[&str] = &["ELASTALERT_THEHIVE_KEY"];

/// The host ports the bundle publishes: settings key, `.env` variable, default, compose profile.
const PORTS: &[(&str, &str, u16, Option<&str>)] = &[
    ("thehive", "THEHIVE_PORT", 9000, None),
    ("cortex", "CORTEX_PORT", 9001, None),
    ("s3", "S3_PORT", 9100, None),
    ("kibana", "KIBANA_PORT", 5601, None),
    ("es_siem", "ES_SIEM_PORT", 9200, None),
    ("logstash_beats", "LOGSTASH_BEATS_PORT", 5044, None),
    ("misp_https", "MISP_HTTPS_PORT", 8443, None),
    ("node_red", "NODE_RED_PORT", 1880, None),
    ("portainer", "PORTAINER_PORT", 9443, None),
    ("shuffle", "SHUFFLE_PORT", 3001, Some("shuffle")),
];

/// What a render can be tuned with: the `[section] key = value` pairs of a settings file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    values: BTreeMap<String, String>,
}

/// The keys a settings file may set, with their defaults (`section.key`).
const SETTINGS: &[(&str, &str)] = &[
    ("stack.project", "soc"),
    ("stack.domain", "soc.lab"),
    ("stack.organisation", "soc"),
    ("stack.public_host", "localhost"),
    ("stack.bind_address", "127.0.0.1"),
    ("stack.profiles", ""),
    ("s3.backend", "rustfs"),
    ("s3.bucket", "thehive"),
    ("s3.region", "us-east-1"),
    ("misp.organisation", "SOC"),
    ("misp.admin_email", "admin@soc.lab"),
    ("siem.index_prefix", "soc-events"),
    ("docker.socket", "/var/run/docker.sock"),
];

impl Settings {
    /// Reads a settings file: `[section]` headers and `key = value` lines whose values are
    /// strings, integers or booleans. Unknown keys are errors (a typo must not pass silently).
    pub(crate) fn parse(text: &str) -> Result<Settings, String> {
        let mut values = BTreeMap::new();
        let mut section = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
            let key = format!("{section}.{}", key.trim());
            let value = value.trim();
            let value = if let Some(s) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                s.to_string()
            } else if value.parse::<i64>().is_ok() || value == "true" || value == "false" {
                value.to_string()
            } else {
                return Err(format!(
                    "line {}: {key}: only quoted strings, integers and booleans are read",
                    n + 1
                ));
            };
            let known = SETTINGS.iter().any(|(k, _)| *k == key)
                || PORTS.iter().any(|(p, ..)| key == format!("ports.{p}"));
            if !known {
                return Err(format!("line {}: unknown setting {key}", n + 1));
            }
            values.insert(key, value);
        }
        let settings = Settings { values };
        let backend = settings.get("s3.backend");
        if !S3_BACKENDS.iter().any(|(b, ..)| *b == backend) {
            return Err(format!(
                "s3.backend: {backend:?} is not one of rustfs, seaweedfs, garage"
            ));
        }
        for (key, ..) in PORTS {
            settings.port(key)?;
        }
        Ok(settings)
    }

    /// A setting, or its default.
    fn get(&self, key: &str) -> String {
        if let Some(v) = self.values.get(key) {
            return v.clone();
        }
        SETTINGS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, d)| d.to_string())
            .unwrap_or_default()
    }

    /// A host port (`[ports]` key), or its default.
    fn port(&self, key: &str) -> Result<u16, String> {
        let default = PORTS
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, _, d, _)| *d)
            .ok_or_else(|| format!("no port {key}"))?;
        match self.values.get(&format!("ports.{key}")) {
            None => Ok(default),
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("ports.{key}: {v:?} is not a port")),
        }
    }

    /// The compose profiles to enable besides the default services.
    fn profiles(&self) -> Vec<String> {
        self.get("stack.profiles")
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// The host ports in use with these settings: (`.env` variable, port).
    fn active_ports(&self) -> Result<Vec<(&'static str, u16)>, String> {
        let profiles = self.profiles();
        let mut ports = Vec::new();
        for (key, var, _, profile) in PORTS {
            if profile.is_none_or(|p| profiles.iter().any(|q| q == p)) {
                ports.push((*var, self.port(key)?));
            }
        }
        Ok(ports)
    }
}

/// A line without its `#` comment (a `#` inside a quoted string is kept).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Reads `KEY=VALUE` lines (also `key = 'value'`), skipping comments and blank lines.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .unwrap_or(v);
            map.insert(k.trim().to_string(), v.to_string());
        }
    }
    map
}

/// Bytes from the OS random source.
fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(buf)
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
fn random_string(alphabet: &[u8], len: usize) -> Result<String, String> {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes(len * 2)? {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// A fresh secret of the given shape.
fn generate(kind: Kind) -> Result<String, String> {
    match kind {
        Kind::Alnum(n) => random_string(ALNUM, n),
        Kind::Hex(n) => random_string(HEX, n),
        Kind::GarageKeyId => Ok(format!("GK{}", random_string(HEX, 24)?)),
        Kind::Password(n) => loop {
            let s = random_string(ALNUM, n)?;
            if valid(kind, &s) {
                return Ok(s);
            }
        },
    }
}

/// Whether a (kept) secret has the shape its consumer needs.
fn valid(kind: Kind, s: &str) -> bool {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    let hex = |s: &str| s.bytes().all(|b| HEX.contains(&b));
    match kind {
        Kind::Alnum(n) => s.len() == n && alnum(s),
        Kind::Hex(n) => s.len() == n && hex(s),
        Kind::GarageKeyId => s.len() == 26 && s.starts_with("GK") && hex(&s[2..]),
        Kind::Password(n) => {
            s.len() == n
                && alnum(s)
                && s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes().any(|b| b.is_ascii_lowercase())
                && s.bytes().any(|b| b.is_ascii_digit())
        }
    }
}

/// The file under `secrets/` holding a secret.
fn secret_file(var: &str) -> String {
    format!("secrets/{}", var.to_ascii_lowercase())
}

/// Replaces every `{{NAME}}` with its value; an unknown name is an error. Returns the text and
/// the names used.
fn substitute(
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, BTreeSet<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut used = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "unterminated {{ in a template".to_string())?;
        let name = &after[..end];
        let value = values
            .get(name)
            .ok_or_else(|| format!("template placeholder {{{{{name}}}}} has no value"))?;
        out.push_str(value);
        used.insert(name.to_string());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// Writes a file with the given mode, also tightening the mode of an existing file.
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.set_permissions(fs::Permissions::from_mode(mode))
        .and_then(|()| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates a directory (and parents) and sets its mode.
fn make_dir(path: &Path, mode: u32) -> Result<(), String> {
    fs::create_dir_all(path)
        .and_then(|()| fs::set_permissions(path, fs::Permissions::from_mode(mode)))
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// What a render produced.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The output directory.
    pub(crate) out: PathBuf,
    /// The secrets generated by this render (empty when every secret was kept).
    pub(crate) generated: Vec<&'static str>,
}

/// Renders the bundle into `out`. Secrets already in `out/.env` (or, failing that, in
/// `out/secrets/`) are kept; missing ones are generated. Files holding secrets are 0600.
pub(crate) fn render(out: &Path, settings: &Settings) -> Result<Rendered, String> {
    make_dir(out, 0o700)?;
    let out = out
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", out.display()))?;
    make_dir(&out.join("secrets"), 0o700)?;
    // The job directory is shared with analyzer containers that run as other users.
    make_dir(&out.join("cortex-jobs"), 0o777)?;
    let meta = fs::metadata(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    let existing = match fs::read_to_string(out.join(".env")) {
        Ok(text) => parse_env(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(format!("cannot read the existing .env: {e}")),
    };
    let read_secret_file = |var: &str| {
        fs::read_to_string(out.join(secret_file(var)))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };

    let mut secrets = BTreeMap::new();
    let mut generated = Vec::new();
    for (var, kind) in SECRETS {
        let kept = existing
            .get(*var)
            .cloned()
            .filter(|s| !s.is_empty())
            .or_else(|| read_secret_file(var));
        let value = match kept {
            Some(v) if valid(*kind, &v) => v,
            Some(_) => {
                return Err(format!(
                    "{var} in {} does not have the expected shape ({kind:?}); fix it, or delete \
                     the line to generate a new one (some services only read it on first start)",
                    out.join(".env").display()
                ))
            }
            None => {
                generated.push(*var);
                generate(*kind)?
            }
        };
        secrets.insert(var.to_string(), value);
    }

    let backend = settings.get("s3.backend");
    let (_, fragment, s3_port) = S3_BACKENDS
        .iter()
        .find(|(b, ..)| *b == backend)
        .ok_or_else(|| format!("unknown S3 backend {backend}"))?;
    let versions = parse_env(VERSIONS);
    let docker_socket = settings.get("docker.socket");
    let docker_gid = fs::metadata(&docker_socket).map(|m| m.gid()).unwrap_or(999);

    let mut vars: Vec<(String, String)> = vec![
        ("COMPOSE_PROJECT_NAME".into(), settings.get("stack.project")),
        ("COMPOSE_PROFILES".into(), settings.profiles().join(",")),
        ("BIND_ADDRESS".into(), settings.get("stack.bind_address")),
    ];
    for (key, var, ..) in PORTS {
        vars.push((var.to_string(), settings.port(key)?.to_string()));
    }
    vars.extend([
        ("S3_BACKEND".into(), backend.clone()),
        ("S3_INTERNAL_PORT".into(), s3_port.to_string()),
        ("S3_BUCKET".into(), settings.get("s3.bucket")),
        ("S3_REGION".into(), settings.get("s3.region")),
        (
            "CORTEX_JOBS_DIR".into(),
            out.join("cortex-jobs").display().to_string(),
        ),
        ("DOCKER_SOCKET".into(), docker_socket),
        ("DOCKER_GID".into(), docker_gid.to_string()),
        ("HOST_UID".into(), meta.uid().to_string()),
        ("HOST_GID".into(), meta.gid().to_string()),
        ("SHUFFLE_ADMIN_USER".into(), "soc-admin".into()),
    ]);

    // Template values: the .env variables, the secrets, and a few derived names.
    let mut values: BTreeMap<String, String> = vars.iter().cloned().collect();
    values.extend(secrets.clone());
    values.extend(versions.clone());
    for var in RUNTIME_SECRETS {
        values.insert(var.to_string(), read_secret_file(var).unwrap_or_default());
    }
    for (k, d) in [
        ("DOMAIN", "stack.domain"),
        ("ORGANISATION", "stack.organisation"),
        ("PUBLIC_HOST", "stack.public_host"),
        ("MISP_ORGANISATION", "misp.organisation"),
        ("MISP_ADMIN_EMAIL", "misp.admin_email"),
    ] {
        values.insert(k.into(), settings.get(d));
    }
    let prefix = settings.get("siem.index_prefix");
    values.insert("SIEM_INDEX_PATTERN".into(), format!("{prefix}-*"));
    values.insert("SIEM_INDEX_PREFIX".into(), prefix);
    let (fragment, _) = substitute(fragment, &values)?;
    values.insert("S3_SERVICES".into(), fragment);

    let secret_names: BTreeSet<&str> = SECRETS
        .iter()
        .map(|(v, _)| *v)
        .chain(RUNTIME_SECRETS.iter().copied())
        .collect();
    let (compose, _) = substitute(COMPOSE, &values)?;
    write_file(&out.join("docker-compose.yml"), &compose, 0o644)?;
    for t in TEMPLATES {
        if t.only_backend.is_some_and(|b| b != backend) {
            continue;
        }
        let (text, used) = substitute(t.text, &values)?;
        let holds_secret = used.iter().any(|u| secret_names.contains(u.as_str()));
        let mode = if holds_secret {
            0o600
        } else if t.out.ends_with(".sh") {
            0o755
        } else {
            0o644
        };
        write_file(&out.join(t.out), &text, mode)?;
    }
    for (var, value) in &secrets {
        write_file(&out.join(secret_file(var)), value, 0o600)?;
    }

    let mut env = String::from(
        "# Rendered by `cargo xtask deploy render`; mode 0600: it holds the stack's secrets.\n\
         # Secrets are generated once and kept across renders. Elasticsearch passwords and MISP's\n\
         # database passwords are only read on a service's first start: rotating them later means\n\
         # changing them in the service too.\n\n# stack\n",
    );
    for (k, v) in &vars {
        env.push_str(&format!("{k}={v}\n"));
    }
    env.push_str("\n# images (deploy/versions.env)\n");
    for (k, v) in &versions {
        env.push_str(&format!("{k}={v}\n"));
    }
    env.push_str("\n# secrets\n");
    for (var, _) in SECRETS {
        env.push_str(&format!("{var}={}\n", secrets[*var]));
    }
    write_file(&out.join(".env"), &env, 0o600)?;
    Ok(Rendered { out, generated })
}

/// The outcome of one preflight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Warn,
    Fail,
}

/// One preflight check: what was checked, the outcome, what was seen, and how to fix it.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) detail: String,
    pub(crate) fix: String,
}

impl Check {
    fn new(name: &str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// Runs a command, returning its trimmed stdout when it succeeds, or why not.
fn run_capture(program: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("`{program}` is not installed (not on PATH)"))
        }
        Err(e) => Err(format!("cannot run `{program}`: {e}")),
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

/// Memory the enabled services may use, from the compose template's `mem_limit`s (bytes).
fn memory_budget(compose: &str, profiles: &[String]) -> u64 {
    let mut total = 0;
    let mut limit = 0;
    let mut enabled = true;
    let mut in_service = false;
    let mut finish = |limit: &mut u64, enabled: bool| {
        if enabled {
            total += *limit;
        }
        *limit = 0;
    };
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent <= 2 {
            if in_service {
                finish(&mut limit, enabled);
            }
            in_service = indent == 2 && t.ends_with(':') && !t.starts_with('-');
            enabled = true;
        } else if let Some(v) = t.strip_prefix("mem_limit:") {
            limit = parse_size(v.trim()).unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("profiles:") {
            enabled = profiles.iter().any(|p| v.contains(&format!("\"{p}\"")));
        }
    }
    if in_service {
        finish(&mut limit, enabled);
    }
    total
}

/// `512m`, `2g` and the like, in bytes.
fn parse_size(s: &str) -> Option<u64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => return None,
    };
    Some(n * mult)
}

/// The compose template with the chosen S3 fragment in place (for the memory budget).
fn compose_for(settings: &Settings) -> String {
    let backend = settings.get("s3.backend");
    let fragment = S3_BACKENDS
        .iter()
        .find(|(b, ..)| *b == backend)
        .map(|(_, f, _)| *f)
        .unwrap_or_default();
    COMPOSE.replace("{{S3_SERVICES}}", fragment)
}

/// Checks the host for what the stack needs. `docker` is the Docker CLI to ask (a parameter so
/// the tests can name one that does not exist).
pub(crate) fn preflight(settings: &Settings, out: &Path, docker: &str) -> Vec<Check> {
    let mut checks = Vec::new();

    // Docker engine and Compose v2.
    let engine = run_capture(docker, &["version", "--format", "{{.Server.Version}}"]);
    let engine_ok = engine.is_ok();
    checks.push(match engine {
        Ok(v) => Check::new("docker engine", Status::Ok, format!("server {v}"), ""),
        Err(e) => Check::new(
            "docker engine",
            Status::Fail,
            e,
            "install Docker Engine 25+ (https://docs.docker.com/engine/install/), start it, and \
             make sure this user may use it (member of the `docker` group)",
        ),
    });
    checks.push(if !engine_ok {
        Check::new(
            "docker compose v2",
            Status::Fail,
            "not checked: no usable Docker engine",
            "install the Compose v2 plugin (docker-compose-plugin), 2.20 or later",
        )
    } else {
        match run_capture(docker, &["compose", "version", "--short"]) {
            Ok(v) if compose_version_ok(&v) => {
                Check::new("docker compose v2", Status::Ok, format!("compose {v}"), "")
            }
            Ok(v) => Check::new(
                "docker compose v2",
                Status::Fail,
                format!("compose {v} is too old (healthcheck start_interval and depends_on conditions need 2.20+)"),
                "upgrade the Compose v2 plugin (docker-compose-plugin) to 2.20 or later",
            ),
            Err(e) => Check::new(
                "docker compose v2",
                Status::Fail,
                e,
                "install the Compose v2 plugin (docker-compose-plugin); the Python docker-compose 1.x cannot read this bundle",
            ),
        }
    });

    // Host ports: distinct, and free on the bind address.
    let bind = settings.get("stack.bind_address");
    match settings.active_ports() {
        Err(e) => checks.push(Check::new(
            "host ports",
            Status::Fail,
            e,
            "fix [ports] in the settings",
        )),
        Ok(ports) => {
            let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
            for (var, port) in &ports {
                if let Some(other) = seen.insert(*port, var) {
                    checks.push(Check::new(
                        &format!("port {port}"),
                        Status::Fail,
                        format!("{var} and {other} both use {port}"),
                        "give each service its own port in [ports] of the settings",
                    ));
                    continue;
                }
                let name = format!("port {port} ({var})");
                match std::net::TcpListener::bind((bind.as_str(), *port)) {
                    Ok(_) => checks.push(Check::new(&name, Status::Ok, format!("free on {bind}"), "")),
                    Err(e) => checks.push(Check::new(
                        &name,
                        Status::Fail,
                        format!("cannot bind {bind}:{port}: {e}"),
                        format!("stop what listens there (`ss -ltnp 'sport = :{port}'`) or move the service: [ports] in the settings"),
                    )),
                }
            }
            if let Some((_, 443)) = ports.iter().find(|(v, _)| *v == "MISP_HTTPS_PORT") {
                checks.push(Check::new(
                    "MISP port",
                    Status::Warn,
                    "MISP publishes 443, which the Wazuh dashboard also takes",
                    "keep MISP on 8443 (ports.misp_https) when Wazuh runs on this host",
                ));
            }
        }
    }

    // RAM against the memory limits of the enabled services.
    let budget = memory_budget(&compose_for(settings), &settings.profiles());
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    checks.push(match mem_total() {
        None => Check::new(
            "memory",
            Status::Warn,
            "cannot read /proc/meminfo",
            "make sure the host has 16 GiB of RAM",
        ),
        Some(total) if total >= budget + (1 << 30) => Check::new(
            "memory",
            Status::Ok,
            format!("{:.1} GiB, services limited to {:.1} GiB", gib(total), gib(budget)),
            "",
        ),
        Some(total) if total >= budget => Check::new(
            "memory",
            Status::Warn,
            format!("{:.1} GiB leaves under 1 GiB beside the services' {:.1} GiB", gib(total), gib(budget)),
            "add RAM (16 GiB recommended) or leave optional profiles off",
        ),
        Some(total) => Check::new(
            "memory",
            Status::Fail,
            format!("{:.1} GiB, but the services may use {:.1} GiB", gib(total), gib(budget)),
            "use a host with 16 GiB of RAM or lower the mem_limit values in the rendered docker-compose.yml",
        ),
    });

    // vm.max_map_count (Elasticsearch / OpenSearch outside single-node mode, Wazuh's indexer).
    checks.push(
        match fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            Some(n) if n >= 262_144 => {
                Check::new("vm.max_map_count", Status::Ok, n.to_string(), "")
            }
            Some(n) => Check::new(
                "vm.max_map_count",
                Status::Fail,
                format!("{n} < 262144"),
                "sudo sysctl -w vm.max_map_count=262144 and persist it: echo vm.max_map_count=262144 | sudo tee /etc/sysctl.d/99-soc.conf",
            ),
            None => Check::new(
                "vm.max_map_count",
                Status::Warn,
                "cannot read /proc/sys/vm/max_map_count",
                "on the Docker host, make sure vm.max_map_count >= 262144",
            ),
        },
    );

    // The Docker socket, for Cortex analyzers, Portainer and Shuffle's runner.
    let socket = settings.get("docker.socket");
    checks.push(match fs::metadata(&socket) {
        Err(e) => Check::new(
            "docker socket",
            Status::Fail,
            format!("{socket}: {e}"),
            "start the Docker engine, or set [docker] socket in the settings",
        ),
        Ok(m) if !std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => Check::new(
            "docker socket",
            Status::Fail,
            format!("{socket} is not a socket"),
            "set [docker] socket in the settings to the engine's socket",
        ),
        Ok(m) => match std::os::unix::net::UnixStream::connect(&socket) {
            Ok(_) => Check::new(
                "docker socket",
                Status::Ok,
                format!("{socket} (group {})", m.gid()),
                "",
            ),
            Err(e) => Check::new(
                "docker socket",
                Status::Fail,
                format!("cannot connect to {socket}: {e}"),
                "add this user to the socket's group (sudo usermod -aG docker $USER, then log in again)",
            ),
        },
    });

    // Writable data directories: the render target and Cortex's job directory.
    for (name, dir) in [
        ("output directory", out.to_path_buf()),
        ("cortex job directory", out.join("cortex-jobs")),
    ] {
        checks.push(match writable(&dir) {
            Ok(()) => Check::new(
                name,
                Status::Ok,
                format!("{} is writable", dir.display()),
                "",
            ),
            Err(e) => Check::new(
                name,
                Status::Fail,
                e,
                format!(
                    "make {} writable by this user, or render elsewhere with --out",
                    dir.display()
                ),
            ),
        });
    }
    checks
}

/// Whether Compose reports 2.20 or later (`2.29.7`, `v2.20.2-desktop.1`).
fn compose_version_ok(v: &str) -> bool {
    let mut parts = v.trim_start_matches('v').split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    major > 2 || (major == 2 && minor >= 20)
}

/// The host's RAM in bytes, from /proc/meminfo.
fn mem_total() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Creates `dir` if needed and writes then removes a probe file in it.
fn writable(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(format!(".preflight-{}", std::process::id()));
    fs::write(&probe, b"ok")
        .and_then(|()| fs::remove_file(&probe))
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// Prints the checks; true when none failed.
fn report(checks: &[Check]) -> bool {
    for c in checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        println!("[{tag}] {:<28} {}", c.name, c.detail);
        if c.status != Status::Ok && !c.fix.is_empty() {
            println!("       fix: {}", c.fix);
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    println!(
        "{} checks, {} failed, {} warnings",
        checks.len(),
        failed,
        checks.iter().filter(|c| c.status == Status::Warn).count()
    );
    failed == 0
}

/// `--out DIR` and `--settings FILE`, with their defaults.
struct Args {
    out: PathBuf,
    settings: Settings,
}

fn parse_args(args: &[String], root: &Path) -> Result<Args, Box<dyn Error>> {
    let mut out = root.join("deploy/out");
    let mut settings_path = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--settings" => {
                settings_path = Some(PathBuf::from(it.next().ok_or("--settings needs a file")?))
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let default = root.join("deploy/settings.toml");
    let path = settings_path.or_else(|| default.exists().then_some(default));
    let settings = match path {
        None => Settings::default(),
        Some(p) => {
            let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Settings::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
    };
    Ok(Args { out, settings })
}

/// `cargo xtask deploy <render|preflight|up>`.
pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?;
    let usage = "usage: cargo xtask deploy <render|preflight|up> [--out DIR] [--settings FILE]";
    let Some(cmd) = args.first() else {
        return Err(usage.into());
    };
    let a = parse_args(&args[1..], root)?;
    match cmd.as_str() {
        "render" => {
            let r = render(&a.out, &a.settings)?;
            print_rendered(&r);
            Ok(())
        }
        "preflight" => {
            if report(&preflight(&a.settings, &a.out, "docker")) {
                Ok(())
            } else {
                Err("preflight failed: fix the checks marked FAIL".into())
            }
        }
        "up" => up(&a),
        _ => Err(usage.into()),
    }
}

fn print_rendered(r: &Rendered) {
    println!("rendered {}", r.out.display());
    if r.generated.is_empty() {
        println!("all secrets kept from the existing .env");
    } else {
        println!(
            "generated {} secrets: {}",
            r.generated.len(),
            r.generated.join(", ")
        );
    }
}

/// Preflight, render, `docker compose up -d`, then waits for every long-lived service to be
/// healthy and every init job to have exited 0.
///
/// Not exercised by the tests (they run without Docker): only `render` and `preflight` are.
fn up(a: &Args) -> Result<(), Box<dyn Error>> {
    if !report(&preflight(&a.settings, &a.out, "docker")) {
        return Err(
            "preflight failed: fix the checks marked FAIL, then run `deploy up` again".into(),
        );
    }
    let r = render(&a.out, &a.settings)?;
    print_rendered(&r);
    let dir = r.out.display().to_string();
    let compose = |extra: &[&str]| {
        let mut v = vec!["compose", "--project-directory", dir.as_str()];
        v.extend_from_slice(extra);
        run_capture("docker", &v)
    };
    compose(&["up", "-d"])?;
    // First boots are slow (MISP, Cassandra, TheHive): a transient "unhealthy" is not fatal.
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut last = String::new();
    loop {
        let ps = compose(&["ps", "--all", "--format", "json"])?;
        let (pending, failed, summary) = health_summary(&ps);
        if summary != last {
            println!("{summary}");
            last = summary;
        }
        if let Some(job) = failed {
            let logs = compose(&["logs", "--tail", "50", &job]).unwrap_or_default();
            return Err(format!("{job} failed:\n{logs}").into());
        }
        if pending.is_empty() {
            println!("all services healthy; next: soc --config {dir}/soc.toml setup");
            return Ok(());
        }
        if Instant::now() > deadline {
            for s in &pending {
                println!(
                    "--- {s}\n{}",
                    compose(&["logs", "--tail", "30", s]).unwrap_or_default()
                );
            }
            return Err(format!("not healthy after 15 minutes: {}", pending.join(", ")).into());
        }
        std::thread::sleep(Duration::from_secs(10));
    }
}

/// From `docker compose ps --format json` (one object per line, or an array): the services not
/// yet healthy, an init job that exited non-zero, and a one-line summary.
fn health_summary(ps: &str) -> (Vec<String>, Option<String>, String) {
    let mut items: Vec<serde_json::Value> = Vec::new();
    if let Ok(serde_json::Value::Array(a)) = serde_json::from_str(ps) {
        items = a;
    } else {
        items.extend(ps.lines().filter_map(|l| serde_json::from_str(l).ok()));
    }
    let mut pending = Vec::new();
    let mut failed = None;
    let mut parts = Vec::new();
    for i in &items {
        let name = i["Service"].as_str().unwrap_or("?").to_string();
        let state = i["State"].as_str().unwrap_or("");
        let health = i["Health"].as_str().unwrap_or("");
        let done = match (state, health) {
            ("exited", _) => {
                if i["ExitCode"].as_i64() != Some(0) {
                    failed = Some(name.clone());
                }
                true
            }
            (_, "healthy") => true,
            _ => false,
        };
        parts.push(format!(
            "{name}:{}",
            if health.is_empty() { state } else { health }
        ));
        if !done {
            pending.push(name);
        }
    }
    (pending, failed, parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "xtask-deploy-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn settings_for(backend: &str) -> Settings {
        Settings::parse(&format!("[s3]\nbackend = \"{backend}\"\n")).unwrap()
    }

    fn render_into(dir: &TempDir, backend: &str) -> PathBuf {
        let out = dir.0.join("out");
        render(&out, &settings_for(backend)).unwrap();
        out
    }

    /// Every file of a rendered tree: (path relative to the root, text).
    fn files(root: &Path) -> Vec<(String, String)> {
        let mut all = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().display().to_string();
                    all.push((rel, fs::read_to_string(&p).unwrap()));
                }
            }
        }
        all.sort();
        all
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// A compose service, as line-based parsing sees it.
    #[derive(Debug)]
    struct Service {
        name: String,
        lines: Vec<String>,
    }
    impl Service {
        /// The value of a direct key (`    key: value`), or "" for a block key, None if absent.
        fn key(&self, key: &str) -> Option<String> {
            let prefix = format!("    {key}:");
            self.lines
                .iter()
                .find(|l| l.starts_with(&prefix) && !l.starts_with("     "))
                .map(|l| l[prefix.len()..].trim().trim_matches('"').to_string())
        }
        /// The block under a direct key: its lines, indented deeper than 4.
        fn block(&self, key: &str) -> Vec<String> {
            let head = format!("    {key}:");
            let Some(start) = self.lines.iter().position(|l| l.starts_with(&head)) else {
                return Vec::new();
            };
            self.lines[start + 1..]
                .iter()
                .take_while(|l| l.starts_with("      "))
                .cloned()
                .collect()
        }
        /// `depends_on` entries: (service, condition).
        fn depends_on(&self) -> Vec<(String, String)> {
            let block = self.block("depends_on");
            let mut deps = Vec::new();
            for (i, l) in block.iter().enumerate() {
                if l.starts_with("      ") && !l.starts_with("       ") {
                    let name = l.trim().trim_end_matches(':').to_string();
                    let cond = block
                        .get(i + 1)
                        .and_then(|c| c.trim().strip_prefix("condition:"))
                        .map(|c| c.trim().to_string())
                        .unwrap_or_default();
                    deps.push((name, cond));
                }
            }
            deps
        }
        fn long_lived(&self) -> bool {
            self.key("restart").as_deref() != Some("no")
        }
    }

    /// The services of a compose file and its top-level keys.
    fn parse_compose(text: &str) -> (Vec<String>, Vec<Service>) {
        let mut top = Vec::new();
        let mut services: Vec<Service> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if indent == 0 {
                section = t.split(':').next().unwrap().to_string();
                top.push(section.clone());
            } else if section == "services" && indent == 2 {
                assert!(t.ends_with(':'), "odd service line {line:?}");
                services.push(Service {
                    name: t.trim_end_matches(':').to_string(),
                    lines: Vec::new(),
                });
            } else if section == "services" {
                services
                    .last_mut()
                    .expect("service body before a service")
                    .lines
                    .push(line.to_string());
            }
        }
        (top, services)
    }

    /// `${NAME}` references (not `$${...}`, which compose passes through to the container).
    fn compose_vars(text: &str) -> BTreeSet<String> {
        let mut vars = BTreeSet::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(off) = text[i..].find("${") {
            let at = i + off;
            let escaped = at > 0 && bytes[at - 1] == b'$';
            let end = text[at..].find('}').map(|e| at + e).unwrap();
            if !escaped {
                vars.insert(text[at + 2..end].to_string());
            }
            i = end + 1;
        }
        vars
    }

    const BACKENDS: [&str; 3] = ["rustfs", "seaweedfs", "garage"];

    #[test]
    fn compose_variables_are_all_defined_in_env() {
        for backend in BACKENDS {
            let dir = TempDir::new();
            let out = render_into(&dir, backend);
            let compose = fs::read_to_string(out.join("docker-compose.yml")).unwrap();
            let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
            let vars = compose_vars(&compose);
            assert!(vars.len() > 30, "{vars:?}");
            for v in &vars {
                assert!(
                    !v.contains(':') && !v.contains('-'),
                    "{v}: no defaults in the compose file, the .env defines everything"
                );
                let value = env
                    .get(v)
                    .unwrap_or_else(|| panic!("{backend}: ${{{v}}} not in .env"));
                if v != "COMPOSE_PROFILES" {
                    assert!(!value.is_empty(), "{v} is empty");
                }
            }
        }
    }

    /// Values seed documents and upstream examples ship as credentials.
    const SEED_DEFAULTS: &[&str] = &[
        "secret",
        "admin",
        "password",
        "changeme",
        "example",
        "passphrase",
        "cassandra",
        "minioadmin",
        "rustfsadmin",
        "redispassword",
        "mysecretkey",
        "secretpassword",
    ];

    /// Seed default credentials in a file: the never-acceptable strings anywhere, and assignments
    /// of a credential-like key to a seed default value.
    fn seed_credentials(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let lower = text.to_ascii_lowercase();
        for s in [
            "minioadmin",
            "changeme",
            "rustfsadmin",
            "redispassword",
            "mysecretkey",
            "admin:admin",
            "elastic:elastic",
            "-p cassandra",
        ] {
            if lower.contains(s) {
                found.push(s.to_string());
            }
        }
        for line in lower.lines() {
            let Some((key, value)) = line.split_once(['=', ':']) else {
                continue;
            };
            let credential_key = ["password", "passwd", "secret", "key", "token", "passphrase"]
                .iter()
                .any(|k| key.contains(k));
            let value = value.trim().trim_matches(['"', '\'', ',', ' ']);
            if credential_key && SEED_DEFAULTS.contains(&value) {
                found.push(line.trim().to_string());
            }
        }
        found
    }

    #[test]
    fn the_seed_credential_check_catches_seeds() {
        assert!(!seed_credentials("MINIO_ROOT_PASSWORD=minioadmin").is_empty());
        assert!(!seed_credentials("  MYSQL_PASSWORD: example").is_empty());
        assert!(!seed_credentials("play.http.secret.key = \"secret\"").is_empty());
        assert!(seed_credentials("username = \"elastic\"\npassword = ${X}").is_empty());
    }

    #[test]
    fn no_seed_default_credential_in_the_output() {
        for backend in BACKENDS {
            let dir = TempDir::new();
            let out = render_into(&dir, backend);
            for (path, text) in files(&out) {
                let found = seed_credentials(&text);
                assert!(found.is_empty(), "{backend}: {path}: {found:?}");
                assert!(!text.contains("{{"), "{path}: unrendered placeholder");
            }
        }
    }

    #[test]
    fn secrets_are_kept_across_renders() {
        let dir = TempDir::new();
        let out = dir.0.join("out");
        let first = render(&out, &Settings::default()).unwrap();
        assert_eq!(first.generated.len(), SECRETS.len());
        let env1 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        let second = render(&out, &Settings::default()).unwrap();
        assert!(second.generated.is_empty(), "{:?}", second.generated);
        let env2 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (var, _) in SECRETS {
            assert_eq!(env1[*var], env2[*var], "{var} changed");
            let file = fs::read_to_string(out.join(secret_file(var))).unwrap();
            assert_eq!(file, env2[*var], "{var}: secrets file and .env differ");
        }
        // A removed line is regenerated, the others stay; a malformed one is refused.
        let text = fs::read_to_string(out.join(".env")).unwrap();
        let trimmed: String = text
            .lines()
            .filter(|l| !l.starts_with("MISP_SALT="))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(out.join(".env"), trimmed).unwrap();
        fs::remove_file(out.join(secret_file("MISP_SALT"))).unwrap();
        let third = render(&out, &Settings::default()).unwrap();
        assert_eq!(third.generated, vec!["MISP_SALT"]);
        let env3 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        assert_eq!(env3["MISP_ADMIN_KEY"], env1["MISP_ADMIN_KEY"]);
        let text = fs::read_to_string(out.join(".env"))
            .unwrap()
            .replace(&env3["MISP_ADMIN_KEY"], "short");
        fs::write(out.join(".env"), text).unwrap();
        let err = render(&out, &Settings::default()).unwrap_err();
        assert!(err.contains("MISP_ADMIN_KEY"), "{err}");
    }

    #[test]
    fn misp_admin_key_is_40_alphanumerics_and_reaches_misp() {
        let dir = TempDir::new();
        let out = render_into(&dir, "rustfs");
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        let key = &env["MISP_ADMIN_KEY"];
        assert_eq!(key.len(), 40);
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
        let misp = parse_env(&fs::read_to_string(out.join("config/misp/misp.env")).unwrap());
        assert_eq!(&misp["ADMIN_KEY"], key);
        assert_eq!(misp["BASE_URL"], "https://localhost:8443");
        assert_eq!(misp["MYSQL_PASSWORD"], env["MISP_MYSQL_PASSWORD"]);
        assert_eq!(misp["REDIS_PASSWORD"], env["MISP_REDIS_PASSWORD"]);
        for (var, kind) in SECRETS {
            assert!(valid(*kind, &env[*var]), "{var}");
            assert!(
                env[*var].bytes().all(|b| b.is_ascii_alphanumeric()),
                "{var}"
            );
        }
    }

    #[test]
    fn secret_holding_files_are_0600() {
        let dir = TempDir::new();
        let out = render_into(&dir, "garage");
        assert_eq!(mode(&out.join(".env")), 0o600);
        assert_eq!(mode(&out.join("secrets")), 0o700);
        for (var, _) in SECRETS {
            assert_eq!(mode(&out.join(secret_file(var))), 0o600, "{var}");
        }
        for f in [
            "config/misp/misp.env",
            "config/elastalert/rules/ssh-bruteforce.yaml",
        ] {
            assert_eq!(mode(&out.join(f)), 0o600, "{f}");
        }
        // Files without secrets stay readable by the containers' own users.
        assert_eq!(mode(&out.join("config/thehive/application.conf")), 0o644);
        // Every secret value appears only in 0600 files.
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (path, text) in files(&out) {
            if mode(&out.join(&path)) == 0o600 {
                continue;
            }
            for (var, _) in SECRETS {
                assert!(!text.contains(&env[*var]), "{path} holds {var}");
            }
        }
        // Tightens a pre-existing, too-open .env.
        fs::set_permissions(out.join(".env"), fs::Permissions::from_mode(0o644)).unwrap();
        render(&out, &settings_for("garage")).unwrap();
        assert_eq!(mode(&out.join(".env")), 0o600);
    }

    #[test]
    fn every_image_is_pinned_in_versions_env() {
        let versions = parse_env(VERSIONS);
        for (var, image) in &versions {
            assert!(var.ends_with("_IMAGE"), "{var}");
            let (_, tag) = image
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("{image}: no tag"));
            assert!(!tag.contains('/'), "{image}: no tag");
            assert_ne!(tag, "latest", "{image}");
            assert!(
                tag.contains('.') && tag.bytes().any(|b| b.is_ascii_digit()),
                "{image}: not an exact version"
            );
        }
        let mut used = BTreeSet::new();
        for backend in BACKENDS {
            let dir = TempDir::new();
            let out = render_into(&dir, backend);
            let compose = fs::read_to_string(out.join("docker-compose.yml")).unwrap();
            let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
            for line in compose.lines() {
                if let Some(image) = line.trim().strip_prefix("image:") {
                    let var = image
                        .trim()
                        .strip_prefix("${")
                        .and_then(|v| v.strip_suffix('}'))
                        .unwrap_or_else(|| panic!("{image}: images come from versions.env"));
                    assert_eq!(env[var], versions[var], "{var}");
                    used.insert(var.to_string());
                }
            }
        }
        let declared: BTreeSet<String> = versions.keys().cloned().collect();
        assert_eq!(used, declared, "versions.env entries no service uses");
    }

    #[test]
    fn compose_is_structurally_sane() {
        for backend in BACKENDS {
            let dir = TempDir::new();
            let out = render_into(&dir, backend);
            let compose = fs::read_to_string(out.join("docker-compose.yml")).unwrap();
            assert!(!compose.contains('\t'), "tabs in YAML");
            assert!(!compose.contains("ipv4_address"), "no static IPs");
            for line in compose.lines() {
                let indent = line.len() - line.trim_start().len();
                assert_eq!(indent % 2, 0, "odd indentation: {line:?}");
            }
            let (top, services) = parse_compose(&compose);
            assert_eq!(top, ["name", "services", "networks", "secrets", "volumes"]);
            let names: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names.len(), services.len(), "duplicate service");
            for want in [
                "cassandra",
                "es-index",
                "thehive",
                "cortex",
                "s3",
                "s3-init",
                "es-siem",
                "es-siem-setup",
                "kibana",
                "logstash",
                "elastalert",
                "misp-db",
                "redis",
                "misp-modules",
                "misp-core",
                "node-red",
                "portainer",
                "shuffle-backend",
            ] {
                assert!(names.contains(want), "{backend}: no {want}");
            }
            let declared_volumes: BTreeSet<String> = compose
                .split("\nvolumes:\n")
                .nth(1)
                .unwrap()
                .lines()
                .map(|l| l.trim().trim_end_matches(':').to_string())
                .collect();
            let mut host_ports = BTreeSet::new();
            for s in &services {
                let n = &s.name;
                assert!(s.key("image").is_some(), "{n}: no image");
                assert!(s.key("mem_limit").is_some(), "{n}: no memory limit");
                assert_eq!(s.block("networks"), ["      - soc"], "{n}: one network");
                let labels = s.block("labels");
                assert!(
                    labels
                        .iter()
                        .any(|l| l.trim() == format!("org.soc-toolkit.service: {n}")),
                    "{n}: labels"
                );
                assert!(s.key("container_name").is_none(), "{n}: container_name");
                if s.long_lived() {
                    assert_eq!(s.key("restart").as_deref(), Some("unless-stopped"), "{n}");
                    let hc = s.block("healthcheck");
                    assert!(
                        hc.iter().any(|l| l.trim().starts_with("test:")),
                        "{n}: no healthcheck"
                    );
                    assert!(
                        hc.iter().any(|l| l.trim().starts_with("start_period:")),
                        "{n}"
                    );
                }
                for (dep, cond) in s.depends_on() {
                    let target = services
                        .iter()
                        .find(|t| t.name == dep)
                        .unwrap_or_else(|| panic!("{n} depends on undefined {dep}"));
                    match cond.as_str() {
                        "service_healthy" => {
                            assert!(
                                target.long_lived() && target.key("healthcheck").is_some(),
                                "{n} -> {dep}"
                            )
                        }
                        "service_completed_successfully" => {
                            assert!(!target.long_lived(), "{n} -> {dep}: not a one-shot job")
                        }
                        other => panic!("{n} -> {dep}: condition {other:?}"),
                    }
                    // An optional profile's service may not gate a default one.
                    if s.key("profiles").is_none() {
                        assert!(target.key("profiles").is_none(), "{n} -> {dep}");
                    }
                }
                for v in s.block("volumes") {
                    let src = v
                        .trim()
                        .trim_start_matches("- ")
                        .split(':')
                        .next()
                        .unwrap()
                        .to_string();
                    if !src.starts_with('.') && !src.starts_with('$') && !src.starts_with('/') {
                        assert!(
                            declared_volumes.contains(&src),
                            "{n}: undeclared volume {src}"
                        );
                    }
                }
                for p in s.block("ports") {
                    let p = p
                        .trim()
                        .trim_start_matches("- ")
                        .trim_matches('"')
                        .to_string();
                    assert!(p.starts_with("${BIND_ADDRESS}:${"), "{n}: {p}");
                    assert!(
                        host_ports.insert(p.split(':').nth(1).unwrap().to_string()),
                        "{n}: {p} reused"
                    );
                }
            }
            // Default ports are distinct, and MISP is off 443.
            let ports = Settings::default().active_ports().unwrap();
            let distinct: BTreeSet<u16> = ports.iter().map(|(_, p)| *p).collect();
            assert_eq!(distinct.len(), ports.len());
            assert!(!distinct.contains(&443));
        }
    }

    #[test]
    fn memory_fits_a_16_gib_host() {
        let budget = memory_budget(&compose_for(&Settings::default()), &[]);
        assert!(budget > 10 << 30, "{budget}");
        assert!(budget <= 29 << 29, "{budget} bytes: over 14.5 GiB");
        let with_shuffle = memory_budget(&compose_for(&Settings::default()), &["shuffle".into()]);
        assert!(with_shuffle > budget);
    }

    #[test]
    fn soc_toml_references_secret_files() {
        let dir = TempDir::new();
        let out = render_into(&dir, "rustfs");
        let text = fs::read_to_string(out.join("soc.toml")).unwrap();
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (var, _) in SECRETS {
            assert!(!text.contains(&env[*var]), "soc.toml holds {var} inline");
        }
        let mut refs = 0;
        for line in text.lines() {
            if let Some(rest) = line.split("{ file = \"").nth(1) {
                let path = rest.split('"').next().unwrap();
                refs += 1;
                if path != "secrets/thehive_admin_key" {
                    assert!(out.join(path).is_file(), "{path} missing");
                }
            }
            assert!(
                !line.contains("env ="),
                "{line}: secrets come from files here"
            );
        }
        assert!(refs >= 6, "{refs}");
        assert!(text.contains("url = \"https://localhost:8443\""));
        assert!(text.contains("url = \"http://localhost:9100\""));
    }

    #[test]
    fn settings_are_parsed_and_checked() {
        let s = Settings::parse(
            "# comment\n[stack]\nprofiles = \"shuffle\"  # trailing\npublic_host = \"soc.example\"\n\
             [ports]\nmisp_https = 10443\n[s3]\nbackend = \"seaweedfs\"\n",
        )
        .unwrap();
        assert_eq!(s.get("stack.public_host"), "soc.example");
        assert_eq!(s.port("misp_https").unwrap(), 10443);
        assert_eq!(s.port("thehive").unwrap(), 9000);
        assert!(s.active_ports().unwrap().contains(&("SHUFFLE_PORT", 3001)));
        assert!(!Settings::default()
            .active_ports()
            .unwrap()
            .iter()
            .any(|(v, _)| *v == "SHUFFLE_PORT"));
        assert!(Settings::parse("[stack]\nprojet = \"x\"\n")
            .unwrap_err()
            .contains("unknown"));
        assert!(Settings::parse("[s3]\nbackend = \"minio\"\n").is_err());
        assert!(Settings::parse("[ports]\nthehive = 70000\n").is_err());

        let dir = TempDir::new();
        let out = dir.0.join("out");
        render(&out, &s).unwrap();
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        assert_eq!(env["COMPOSE_PROFILES"], "shuffle");
        assert_eq!(env["S3_INTERNAL_PORT"], "8333");
        assert_eq!(env["MISP_HTTPS_PORT"], "10443");
        let misp = fs::read_to_string(out.join("config/misp/misp.env")).unwrap();
        assert!(misp.contains("BASE_URL=https://soc.example:10443\n"));
        let thehive = fs::read_to_string(out.join("config/thehive/application.conf")).unwrap();
        assert!(thehive.contains("endpoint = \"http://s3:8333\""));
        assert!(!out.join("config/garage/garage.toml").exists());
    }

    #[test]
    fn generated_secrets_have_their_shape() {
        for kind in [
            Kind::Alnum(40),
            Kind::Password(12),
            Kind::Hex(64),
            Kind::GarageKeyId,
        ] {
            for _ in 0..20 {
                let s = generate(kind).unwrap();
                assert!(valid(kind, &s), "{kind:?}: {s}");
            }
        }
        assert_ne!(
            generate(Kind::Alnum(40)).unwrap(),
            generate(Kind::Alnum(40)).unwrap()
        );
        assert!(!valid(Kind::Alnum(40), &"a".repeat(39)));
        assert!(!valid(Kind::Alnum(4), "ab$d"));
    }

    #[test]
    fn preflight_reports_a_missing_docker_without_failing_hard() {
        let dir = TempDir::new();
        let checks = preflight(
            &Settings::default(),
            &dir.0.join("out"),
            "no-such-docker-cli",
        );
        let engine = checks.iter().find(|c| c.name == "docker engine").unwrap();
        assert_eq!(engine.status, Status::Fail);
        assert!(engine.detail.contains("not installed"), "{}", engine.detail);
        assert!(engine.fix.contains("install Docker Engine"));
        let compose = checks
            .iter()
            .find(|c| c.name == "docker compose v2")
            .unwrap();
        assert_eq!(compose.status, Status::Fail);
        for name in [
            "memory",
            "vm.max_map_count",
            "docker socket",
            "output directory",
            "cortex job directory",
        ] {
            assert!(checks.iter().any(|c| c.name == name), "no {name} check");
        }
        assert!(
            checks
                .iter()
                .filter(|c| c.name.starts_with("port "))
                .count()
                >= 9
        );
        assert!(checks
            .iter()
            .all(|c| c.status == Status::Ok || !c.fix.is_empty()));
        assert!(compose_version_ok("2.29.7"));
        assert!(compose_version_ok("v2.20.2-desktop.1"));
        assert!(!compose_version_ok("2.17.3"));
        assert!(!compose_version_ok("1.29.2"));
    }

    #[test]
    fn preflight_flags_port_clashes() {
        let dir = TempDir::new();
        let s = Settings::parse("[ports]\nmisp_https = 9000\n").unwrap();
        let checks = preflight(&s, &dir.0, "no-such-docker-cli");
        assert!(checks
            .iter()
            .any(|c| c.status == Status::Fail && c.detail.contains("both use 9000")));
        let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = busy.local_addr().unwrap().port();
        let s = Settings::parse(&format!("[ports]\nnode_red = {port}\n")).unwrap();
        let checks = preflight(&s, &dir.0, "no-such-docker-cli");
        let c = checks
            .iter()
            .find(|c| c.name.contains(&port.to_string()))
            .unwrap();
        assert_eq!(c.status, Status::Fail);
    }

    #[test]
    fn health_summary_reads_both_ps_formats() {
        let lines = "{\"Service\":\"thehive\",\"State\":\"running\",\"Health\":\"starting\"}\n\
                     {\"Service\":\"s3-init\",\"State\":\"exited\",\"Health\":\"\",\"ExitCode\":0}";
        let (pending, failed, _) = health_summary(lines);
        assert_eq!(pending, ["thehive"]);
        assert!(failed.is_none());
        let array =
            "[{\"Service\":\"s3-init\",\"State\":\"exited\",\"Health\":\"\",\"ExitCode\":1}]";
        assert_eq!(health_summary(array).1.as_deref(), Some("s3-init"));
    }
}
