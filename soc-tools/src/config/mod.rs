//! `soc.toml`: one file describing the stack, with secrets only by reference.
//!
//! Every service section is optional (a missing one is skipped by `setup` and `doctor`).
//! Secrets are `{ env = "NAME" }` or `{ file = "path" }` (relative to the file), never inline.
//! `SOC_<SECTION>_<KEY>` environment variables override top-level keys of a section
//! (`SOC_MISP_URL`, `SOC_THEHIVE_ORGANISATION`); for a secret key the variable holds the secret
//! itself (`SOC_MISP_API_KEY`). Errors name the file, the line and the key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

mod sections;

pub use sections::*;

/// A configuration error, naming the file, the line (when known) and the key.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {key}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file.
    pub path: PathBuf,
    /// The line of the key, 1-based.
    pub line: Option<usize>,
    /// The dotted key (`thehive.url`), or `-` for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A secret, referenced: from an environment variable or a file.
#[derive(Clone)]
pub enum SecretRef {
    /// `{ env = "NAME" }`.
    Env(String),
    /// `{ file = "path" }`, relative to the configuration file.
    File(PathBuf),
    /// Set by a `SOC_*` override: the variable's name and its value.
    Override(String, SecretString),
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "{{ env = {name:?} }}"),
            SecretRef::File(path) => write!(f, "{{ file = {:?} }}", path.display().to_string()),
            SecretRef::Override(var, _) => write!(f, "{{ from {var} }}"),
        }
    }
}

impl SecretRef {
    /// For `{ file = ... }`: the file's full path (relative paths are taken from the
    /// configuration file's directory).
    pub fn file_path(&self, config: &SocConfig) -> Option<PathBuf> {
        match self {
            SecretRef::File(path) => Some(config.relative(path)),
            _ => None,
        }
    }

    /// Reads the secret. Errors name the key, and the variable or file that failed.
    pub fn resolve(&self, config: &SocConfig, key: &str) -> Result<SecretString, ConfigError> {
        match self {
            SecretRef::Override(_, value) => Ok(value.clone()),
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(SecretString::from(v)),
                Ok(_) => Err(config.error(key, format!("environment variable {name} is empty"))),
                Err(_) => Err(config.error(key, format!("environment variable {name} is not set"))),
            },
            SecretRef::File(path) => {
                let full = config.relative(path);
                let text = std::fs::read_to_string(&full).map_err(|e| {
                    config.error(
                        key,
                        format!("cannot read the secret file {}: {e}", full.display()),
                    )
                })?;
                let value = text.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(
                        config.error(key, format!("the secret file {} is empty", full.display()))
                    );
                }
                Ok(SecretString::from(value.to_owned()))
            }
        }
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            env: Option<String>,
            file: Option<PathBuf>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Inline(#[allow(dead_code)] String),
            Ref(Raw),
        }
        match Either::deserialize(d)? {
            Either::Inline(_) => Err(serde::de::Error::custom(
                "secrets are not written inline: use { env = \"NAME\" } or { file = \"path\" }",
            )),
            Either::Ref(Raw {
                env: Some(e),
                file: None,
            }) if !e.is_empty() => Ok(SecretRef::Env(e)),
            Either::Ref(Raw {
                env: None,
                file: Some(f),
            }) => Ok(SecretRef::File(f)),
            Either::Ref(_) => Err(serde::de::Error::custom(
                "a secret is { env = \"NAME\" } or { file = \"path\" }, one of the two",
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    defaults: Defaults,
    secrets: Option<SecretsConfig>,
    thehive: Option<TheHiveConfig>,
    cortex: Option<CortexConfig>,
    misp: Option<MispConfig>,
    elasticsearch: Option<EsConfig>,
    s3: Option<S3Config>,
    serve: Option<ServeConfig>,
    #[serde(default)]
    feed_sync: FeedSyncConfig,
    enrich: Option<EnrichConfig>,
}

/// The whole configuration, as read from `soc.toml` with the `SOC_*` overrides applied.
#[derive(Debug, Clone)]
pub struct SocConfig {
    /// Where it was read from.
    pub path: PathBuf,
    source: String,
    /// Defaults for every service.
    pub defaults: Defaults,
    /// The secrets file `setup` writes (default: `soc-secrets.toml` beside `soc.toml`).
    pub secrets_file: PathBuf,
    /// TheHive, when configured.
    pub thehive: Option<TheHiveConfig>,
    /// Cortex, when configured.
    pub cortex: Option<CortexConfig>,
    /// MISP, when configured.
    pub misp: Option<MispConfig>,
    /// Elasticsearch, when configured.
    pub elasticsearch: Option<EsConfig>,
    /// The S3 store, when configured.
    pub s3: Option<S3Config>,
    /// `soc serve`, when configured.
    pub serve: Option<ServeConfig>,
    /// `soc feed-sync`.
    pub feed_sync: FeedSyncConfig,
    /// `soc enrich`, when configured.
    pub enrich: Option<EnrichConfig>,
}

/// Keys holding secrets: an override of one of these is taken as the secret's value.
const SECRET_KEYS: &[&str] = &[
    "api_key",
    "bootstrap_password",
    "password",
    "superadmin_password",
    "superadmin_key",
    "access_key",
    "secret_key",
];
/// The scalar keys a `SOC_<SECTION>_<KEY>` variable may override, per section. Other `SOC_*`
/// variables (other tools share the prefix) are left alone.
const OVERRIDABLE: &[(&str, &[&str])] = &[
    (
        "thehive",
        &[
            "url",
            "api_key",
            "bootstrap_password",
            "organisation",
            "organisation_description",
            "cortex_name",
            "misp_name",
        ],
    ),
    (
        "cortex",
        &[
            "url",
            "superadmin",
            "superadmin_password",
            "superadmin_key",
            "organisation",
            "org_admin",
            "thehive_user",
        ],
    ),
    ("misp", &["url", "api_key", "organisation", "thehive_user"]),
    ("elasticsearch", &["url", "username", "password", "api_key"]),
    ("s3", &["url", "access_key", "secret_key", "region"]),
    ("defaults", &["ca_file", "request_timeout"]),
];

impl SocConfig {
    /// Reads and checks a configuration file, applying `SOC_*` overrides from the environment.
    pub fn load(path: impl AsRef<Path>) -> Result<SocConfig, ConfigError> {
        let path = path.as_ref().to_path_buf();
        let source = std::fs::read_to_string(&path).map_err(|e| ConfigError {
            path: path.clone(),
            line: None,
            key: "-".into(),
            message: format!("cannot read: {e}"),
        })?;
        let vars: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("SOC_"))
            .collect();
        Self::parse(path, source, &vars)
    }

    /// Parses configuration text as if read from `path`, with the given `SOC_*` variables.
    pub fn parse(
        path: PathBuf,
        source: String,
        vars: &[(String, String)],
    ) -> Result<SocConfig, ConfigError> {
        let mut doc: toml_edit::DocumentMut =
            source
                .parse()
                .map_err(|e: toml_edit::TomlError| ConfigError {
                    line: e.span().map(|s| line_of(&source, s.start)),
                    path: path.clone(),
                    key: "-".into(),
                    message: e.message().to_owned(),
                })?;
        let mut secret_overrides = Vec::new();
        for (var, value) in vars {
            let Some(rest) = var.strip_prefix("SOC_") else {
                continue;
            };
            let lower = rest.to_ascii_lowercase();
            let Some((section, key)) = OVERRIDABLE.iter().find_map(|(section, keys)| {
                let key = lower.strip_prefix(section)?.strip_prefix('_')?;
                keys.contains(&key).then_some((*section, key))
            }) else {
                continue;
            };
            if SECRET_KEYS.contains(&key) {
                secret_overrides.push((
                    section.to_string(),
                    key.to_owned(),
                    var.clone(),
                    value.clone(),
                ));
                // A placeholder reference keeps the section valid; replaced below.
                doc[section][key] =
                    toml_edit::value(toml_edit::InlineTable::from_iter([("env", var.as_str())]));
            } else {
                doc[section][key] = toml_edit::value(value.as_str());
            }
        }
        let text = doc.to_string();
        let raw: Raw = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start));
            ConfigError {
                path: path.clone(),
                line,
                key: key_at(&text, e.span().map(|s| s.start)).unwrap_or_else(|| "-".into()),
                message: e.message().to_owned(),
            }
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = SocConfig {
            secrets_file: raw
                .secrets
                .map(|s| s.file)
                .unwrap_or_else(|| PathBuf::from("soc-secrets.toml")),
            path,
            source: text,
            defaults: raw.defaults,
            thehive: raw.thehive,
            cortex: raw.cortex,
            misp: raw.misp,
            elasticsearch: raw.elasticsearch,
            s3: raw.s3,
            serve: raw.serve,
            feed_sync: raw.feed_sync,
            enrich: raw.enrich,
        };
        if config.secrets_file.is_relative() {
            config.secrets_file = dir.join(&config.secrets_file);
        }
        for (section, key, var, value) in secret_overrides {
            let secret = SecretRef::Override(var, SecretString::from(value));
            config.set_secret(&section, &key, secret);
        }
        config.validate()?;
        Ok(config)
    }

    fn set_secret(&mut self, section: &str, key: &str, secret: SecretRef) {
        match (section, key) {
            ("thehive", "api_key") => {
                if let Some(t) = &mut self.thehive {
                    t.api_key = secret;
                }
            }
            ("thehive", "bootstrap_password") => {
                if let Some(t) = &mut self.thehive {
                    t.bootstrap_password = Some(secret);
                }
            }
            ("cortex", "superadmin_password") => {
                if let Some(c) = &mut self.cortex {
                    c.superadmin_password = secret;
                }
            }
            ("cortex", "superadmin_key") => {
                if let Some(c) = &mut self.cortex {
                    c.superadmin_key = Some(secret);
                }
            }
            ("misp", "api_key") => {
                if let Some(m) = &mut self.misp {
                    m.api_key = secret;
                }
            }
            ("elasticsearch", "password") => {
                if let Some(e) = &mut self.elasticsearch {
                    e.password = Some(secret);
                }
            }
            ("elasticsearch", "api_key") => {
                if let Some(e) = &mut self.elasticsearch {
                    e.api_key = Some(secret);
                }
            }
            ("s3", "access_key") => {
                if let Some(s) = &mut self.s3 {
                    s.access_key = secret;
                }
            }
            ("s3", "secret_key") => {
                if let Some(s) = &mut self.s3 {
                    s.secret_key = secret;
                }
            }
            _ => {}
        }
    }

    /// An error about `key`, with its line in the file when it is there.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: line_of_key(&self.source, key),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// A path from the file, relative to the file's directory.
    pub fn relative(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path
                .parent()
                .map(|d| d.join(p))
                .unwrap_or_else(|| p.to_path_buf())
        }
    }

    /// The request timeout from `defaults`.
    pub fn request_timeout(&self) -> Result<Option<Duration>, ConfigError> {
        self.defaults
            .request_timeout
            .as_deref()
            .map(|t| parse_duration(t).map_err(|e| self.error("defaults.request_timeout", e)))
            .transpose()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.request_timeout()?;
        if let Some(ca) = &self.defaults.ca_file {
            let full = self.relative(ca);
            if !full.is_file() {
                return Err(self.error(
                    "defaults.ca_file",
                    format!("{} is not a file", full.display()),
                ));
            }
        }
        let urls = [
            ("thehive.url", self.thehive.as_ref().map(|s| &s.url)),
            ("cortex.url", self.cortex.as_ref().map(|s| &s.url)),
            ("misp.url", self.misp.as_ref().map(|s| &s.url)),
            (
                "elasticsearch.url",
                self.elasticsearch.as_ref().map(|s| &s.url),
            ),
            ("s3.url", self.s3.as_ref().map(|s| &s.url)),
        ];
        for (key, url) in urls {
            if let Some(url) = url {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(self.error(key, format!("{url}: expected an http or https URL")));
                }
            }
        }
        if let Some(t) = &self.thehive {
            if t.bootstrap_password.is_some() && !matches!(t.api_key, SecretRef::File(_)) {
                return Err(self.error(
                    "thehive.api_key",
                    "with bootstrap_password, the key is written to a file: use { file = \"...\" }",
                ));
            }
            for (i, u) in t.users.iter().enumerate() {
                if !matches!(u.profile.as_str(), "analyst" | "org-admin" | "read-only") {
                    return Err(self.error(
                        &format!("thehive.users[{i}].profile"),
                        format!("{}: expected analyst, org-admin or read-only", u.profile),
                    ));
                }
            }
        }
        if let Some(es) = &self.elasticsearch {
            if es.password.is_some() && es.username.is_none() {
                return Err(self.error("elasticsearch.username", "a password needs a username"));
            }
            let names: Vec<&str> = es.retention.iter().map(|r| r.name.as_str()).collect();
            for (i, r) in es.retention.iter().enumerate() {
                parse_duration(&r.delete_after).map_err(|e| {
                    self.error(&format!("elasticsearch.retention[{i}].delete_after"), e)
                })?;
                if let Some(roll) = &r.rollover_after {
                    parse_duration(roll).map_err(|e| {
                        self.error(&format!("elasticsearch.retention[{i}].rollover_after"), e)
                    })?;
                }
            }
            for (i, t) in es.templates.iter().enumerate() {
                if t.patterns.is_empty() {
                    return Err(self.error(
                        &format!("elasticsearch.templates[{i}].patterns"),
                        "needs at least one index pattern",
                    ));
                }
                if let Some(r) = &t.retention {
                    if !names.contains(&r.as_str()) {
                        return Err(self.error(
                            &format!("elasticsearch.templates[{i}].retention"),
                            format!(
                                "{r} is not one of the retention policies ({})",
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(s3) = &self.s3 {
            for (i, b) in s3.buckets.iter().enumerate() {
                if !matches!(b.access.as_str(), "read-write" | "read-only") {
                    return Err(self.error(
                        &format!("s3.buckets[{i}].access"),
                        format!("{}: expected read-write or read-only", b.access),
                    ));
                }
            }
        }
        if let Some(e) = &self.enrich {
            for (key, value) in [
                ("enrich.window", &e.window),
                ("enrich.cache_ttl", &e.cache_ttl),
                ("enrich.cortex_deadline", &e.cortex_deadline),
            ] {
                parse_duration(value).map_err(|m| self.error(key, m))?;
            }
            if let Some(r) = &e.elasticsearch {
                parse_duration(&r.window)
                    .map_err(|m| self.error("enrich.elasticsearch.window", m))?;
            }
            if e.case_threshold > 100 {
                return Err(self.error("enrich.case_threshold", "a score is 0 to 100"));
            }
            if let Some(n) = &e.notify {
                if !matches!(n.format.as_str(), "json" | "slack") {
                    return Err(self.error(
                        "enrich.notify.format",
                        format!("{}: expected json or slack", n.format),
                    ));
                }
            }
            let c = &e.concurrency;
            if [c.alerts, c.misp, c.cortex, c.elasticsearch].contains(&0) {
                return Err(self.error("enrich.concurrency", "every limit must be at least 1"));
            }
        }
        if let Some(t) = &self.feed_sync.job_timeout {
            parse_duration(t).map_err(|e| self.error("feed_sync.job_timeout", e))?;
        }
        if let Some(t) = &self.feed_sync.to_thehive {
            parse_duration(&t.window).map_err(|e| self.error("feed_sync.to_thehive.window", e))?;
        }
        if let Some(m) = &self.misp {
            for (i, f) in m.feeds.iter().enumerate() {
                if !matches!(f.source_format.as_str(), "misp" | "freetext" | "csv") {
                    return Err(self.error(
                        &format!("misp.feeds[{i}].source_format"),
                        format!("{}: expected misp, freetext or csv", f.source_format),
                    ));
                }
                if !matches!(f.input_source.as_str(), "network" | "local") {
                    return Err(self.error(
                        &format!("misp.feeds[{i}].input_source"),
                        format!("{}: expected network or local", f.input_source),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Parses `"90s"`, `"15m"`, `"24h"`, `"7d"` (a number and one unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!("{text:?}: expected a number and a unit, such as 30s, 15m, 24h or 7d")
    })?;
    let secs = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (ms, s, m, h or d)"
            ))
        }
    };
    Ok(Duration::from_secs(secs))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of a dotted key (`misp.feeds[1].url`) in the file, when it is written there.
fn line_of_key(source: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(source).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    let mut last_span = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let next = item.get(name)?;
        last_span = next.span().or(last_span);
        item = next;
        if let Some(i) = index {
            item = match item {
                toml_edit::Item::ArrayOfTables(a) => {
                    let t = a.get(i)?;
                    last_span = t.span().or(last_span);
                    return t
                        .get(key.rsplit('.').next().unwrap_or_default())
                        .and_then(toml_edit::Item::span)
                        .or(last_span)
                        .map(|s| line_of(source, s.start));
                }
                other => other.get(i)?,
            };
            last_span = item.span().or(last_span);
        }
    }
    last_span.map(|s| line_of(source, s.start))
}

/// The dotted key of the deepest table header or key before `offset`, for parse errors.
fn key_at(text: &str, offset: Option<usize>) -> Option<String> {
    let offset = offset?;
    let before = &text[..offset.min(text.len())];
    let mut section = String::new();
    let mut key = None;
    for line in before.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            section = l.trim_matches(|c| c == '[' || c == ']').trim().to_owned();
            key = None;
        } else if let Some((k, _)) = l.split_once('=') {
            key = Some(k.trim().trim_matches('"').to_owned());
        }
    }
    // The line of the offset itself names the key when it is `key = value`.
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[line_start..]
        .find('\n')
        .map(|i| line_start + i)
        .unwrap_or(text.len());
    if let Some((k, _)) = text[line_start..line_end].split_once('=') {
        key = Some(k.trim().trim_matches('"').to_owned());
    }
    match (section.is_empty(), key) {
        (true, Some(k)) => Some(k),
        (false, Some(k)) => Some(format!("{section}.{k}")),
        (false, None) => Some(section),
        (true, None) => None,
    }
}
