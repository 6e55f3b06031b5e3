//! `soc.toml`: one file describing the stack, with secrets only by reference.
//!
//! Every service section is optional (a missing one is skipped by `setup` and `doctor`).
//! Secrets are `{ env = "NAME" }` or `{ file = "path" }` (relative to the file), never inline.
//! `SOC_<SECTION>_<KEY>` environment variables override top-level keys of a section
//! (`SOC_MISP_URL`, `SOC_THEHIVE_ORGANISATION`); for a secret key the variable holds the secret
//! itself (`SOC_MISP_API_KEY`). Errors name the file, the line and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

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

/// Settings every service inherits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Per-request timeout (`"60s"`).
    pub request_timeout: Option<String>,
    /// Skip TLS verification: never in production; logged loudly.
    #[serde(default)]
    pub danger_accept_invalid_certs: bool,
}

/// Where `soc setup` keeps the credentials it creates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// The file (TOML, mode 0600), relative to `soc.toml`.
    pub file: PathBuf,
}

/// A TheHive user to create.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheHiveUser {
    /// Login (an email-like name).
    pub login: String,
    /// Display name.
    pub name: String,
    /// Profile: `analyst`, `org-admin`, `read-only`.
    #[serde(default = "analyst")]
    pub profile: String,
    /// Create an API key for it (stored in the secrets file).
    #[serde(default)]
    pub api_key: bool,
}

fn analyst() -> String {
    "analyst".into()
}

/// The TheHive section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheHiveConfig {
    /// Base URL.
    pub url: url::Url,
    /// The platform administrator's API key.
    pub api_key: SecretRef,
    /// The organisation the SOC works in.
    pub organisation: String,
    /// Its description.
    #[serde(default = "default_org_description")]
    pub organisation_description: String,
    /// Users to create in it.
    #[serde(default)]
    pub users: Vec<TheHiveUser>,
    /// The name TheHive gives the Cortex server (`cortexId` in jobs).
    #[serde(default = "default_cortex_name")]
    pub cortex_name: String,
    /// The name TheHive gives the MISP server.
    #[serde(default = "default_misp_name")]
    pub misp_name: String,
}

fn default_org_description() -> String {
    "Security operations".into()
}
fn default_cortex_name() -> String {
    "cortex".into()
}
fn default_misp_name() -> String {
    "misp".into()
}

/// An analyzer to enable in Cortex; `config` values may be secrets (`{ env = ".." }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerConfig {
    /// The definition id (`AbuseIPDB_1_0`).
    pub name: String,
    /// Its configuration items.
    #[serde(default)]
    pub config: BTreeMap<String, ConfigValue>,
}

/// A configuration value: plain, or a secret reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ConfigValue {
    /// `{ env = ".." }` / `{ file = ".." }`.
    Secret(SecretRefOnly),
    /// Anything else, as written.
    Plain(toml::Value),
}

/// A secret reference inside a free-form table (only the two reference shapes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRefOnly {
    /// Environment variable.
    pub env: Option<String>,
    /// File.
    pub file: Option<PathBuf>,
}

impl SecretRefOnly {
    /// As a [`SecretRef`].
    pub fn to_ref(&self) -> Option<SecretRef> {
        match (&self.env, &self.file) {
            (Some(e), None) => Some(SecretRef::Env(e.clone())),
            (None, Some(f)) => Some(SecretRef::File(f.clone())),
            _ => None,
        }
    }
}

/// The Cortex section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CortexConfig {
    /// Base URL.
    pub url: url::Url,
    /// The superadmin's login (created on a fresh Cortex).
    pub superadmin: String,
    /// The superadmin's password.
    pub superadmin_password: SecretRef,
    /// The superadmin's API key when Cortex already has users (otherwise read from the secrets
    /// file, where a first run stores the one it creates).
    pub superadmin_key: Option<SecretRef>,
    /// The organisation analyzers run in.
    pub organisation: String,
    /// Its administrator's login.
    pub org_admin: String,
    /// The read/analyze user TheHive's connector uses.
    #[serde(default = "default_thehive_user")]
    pub thehive_user: String,
    /// Analyzers to enable.
    #[serde(default)]
    pub analyzers: Vec<AnalyzerConfig>,
}

fn default_thehive_user() -> String {
    "thehive".into()
}

/// A MISP user to create.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MispUser {
    /// Email (the login).
    pub email: String,
    /// Role name (`User`, `Org Admin`, `Sync user`, `Publisher`, `read_only`).
    #[serde(default = "default_misp_role")]
    pub role: String,
    /// Create an auth key for it (stored in the secrets file).
    #[serde(default)]
    pub auth_key: bool,
}

fn default_misp_role() -> String {
    "User".into()
}

/// A MISP feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Name.
    pub name: String,
    /// URL (or a local path with `input_source = "local"`).
    pub url: String,
    /// Provider.
    pub provider: String,
    /// `misp`, `freetext` or `csv`.
    #[serde(default = "default_feed_format")]
    pub source_format: String,
    /// `network` or `local`.
    #[serde(default = "default_input_source")]
    pub input_source: String,
    /// Enabled (fetched by `feed-sync`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Cached for correlation.
    #[serde(default = "yes")]
    pub caching: bool,
}

fn default_feed_format() -> String {
    "misp".into()
}
fn default_input_source() -> String {
    "network".into()
}
fn yes() -> bool {
    true
}

/// The MISP section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MispConfig {
    /// Base URL.
    pub url: url::Url,
    /// The site administrator's auth key.
    pub api_key: SecretRef,
    /// The organisation the SOC's users belong to.
    pub organisation: String,
    /// Users to create.
    #[serde(default)]
    pub users: Vec<MispUser>,
    /// The user whose key TheHive's MISP connector uses (created with a key).
    #[serde(default = "default_misp_thehive_user")]
    pub thehive_user: String,
    /// Server settings to hold (`"MISP.redis_host" = "redis"`).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
    /// Feeds.
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
}

fn default_misp_thehive_user() -> String {
    "thehive@soc.local".into()
}

/// An index template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// Name.
    pub name: String,
    /// Index patterns.
    pub patterns: Vec<String>,
    /// Primary shards.
    #[serde(default = "one")]
    pub shards: u32,
    /// Replicas (0 on a single node).
    #[serde(default)]
    pub replicas: u32,
    /// The retention policy its indices follow.
    pub retention: Option<String>,
    /// Priority among templates.
    #[serde(default = "default_priority")]
    pub priority: u32,
}

fn one() -> u32 {
    1
}
fn default_priority() -> u32 {
    200
}

/// A retention (ILM) policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Name.
    pub name: String,
    /// Delete indices this old (`"30d"`).
    pub delete_after: String,
    /// Roll over at this age (`"1d"`), for data behind a write alias.
    pub rollover_after: Option<String>,
}

/// A snapshot repository.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryConfig {
    /// Name.
    pub name: String,
    /// `fs` or `s3`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its settings (`bucket`, `location`...).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

/// The Elasticsearch section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsConfig {
    /// Base URL.
    pub url: url::Url,
    /// User for basic auth.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<SecretRef>,
    /// Or an API key (`id:key` base64, as Elasticsearch hands it out).
    pub api_key: Option<SecretRef>,
    /// Index templates.
    #[serde(default)]
    pub templates: Vec<TemplateConfig>,
    /// Retention policies.
    #[serde(default)]
    pub retention: Vec<RetentionConfig>,
    /// The snapshot repository.
    pub snapshot_repository: Option<RepositoryConfig>,
}

/// A bucket and the least-privilege user that may use it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    /// Bucket name.
    pub name: String,
    /// The access key of its own user (e.g. `thehive`), credentials stored in the secrets file.
    pub user: Option<String>,
    /// `read-write` (default) or `read-only`.
    #[serde(default = "default_access")]
    pub access: String,
}

fn default_access() -> String {
    "read-write".into()
}

/// The S3 section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint URL.
    pub url: url::Url,
    /// The root (or admin) access key.
    pub access_key: SecretRef,
    /// Its secret key.
    pub secret_key: SecretRef,
    /// Region.
    #[serde(default = "default_region")]
    pub region: String,
    /// Buckets.
    #[serde(default)]
    pub buckets: Vec<BucketConfig>,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// The `[serve]` section: `soc serve`'s webhooks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The shared secret webhook senders sign bodies with (HMAC-SHA256).
    pub secret: SecretRef,
    /// The TheHive user (with a key in the secrets file, see `[[thehive.users]]`) that creates
    /// alerts posted to `/alerts`.
    pub thehive_user: String,
    /// The `type` of alerts created from `/alerts`.
    #[serde(default = "default_alert_type")]
    pub alert_type: String,
}

fn default_listen() -> String {
    "127.0.0.1:8088".into()
}
fn default_alert_type() -> String {
    "webhook".into()
}

/// The `[feed_sync]` section: how `soc feed-sync` runs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSyncConfig {
    /// How long to wait for MISP's fetch and cache jobs (`"30m"`).
    pub job_timeout: Option<String>,
    /// MISP events to TheHive alerts (off when absent).
    pub to_thehive: Option<ToTheHiveConfig>,
}

/// Which MISP events become TheHive alerts, and how.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToTheHiveConfig {
    /// Events carrying any of these tags (all events when empty).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only published events.
    #[serde(default = "yes")]
    pub published: bool,
    /// Events changed within this window (`"7d"`).
    #[serde(default = "default_window")]
    pub window: String,
    /// The TheHive user (with a key in the secrets file) that creates the alerts.
    pub thehive_user: String,
    /// The alerts' `type`.
    #[serde(default = "default_misp_alert_type")]
    pub alert_type: String,
}

fn default_window() -> String {
    "7d".into()
}
fn default_misp_alert_type() -> String {
    "misp-event".into()
}

/// The `[enrich]` section: what `soc enrich` takes, where it looks, how it scores.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichConfig {
    /// The TheHive user (with a key in the secrets file) enrichment writes as.
    pub thehive_user: String,
    /// Alerts of at least this severity (1 low to 4 critical).
    #[serde(default = "default_min_severity")]
    pub min_severity: i64,
    /// Alerts in one of these statuses.
    #[serde(default = "default_statuses")]
    pub statuses: Vec<String>,
    /// Alerts created within this window (`"7d"`).
    #[serde(default = "default_window")]
    pub window: String,
    /// How long a lookup's answer is reused across passes of `--watch` (`"1h"`).
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: String,
    /// How long to wait for a Cortex job (`"2m"`).
    #[serde(default = "default_cortex_deadline")]
    pub cortex_deadline: String,
    /// Requests in flight per service.
    #[serde(default)]
    pub concurrency: Concurrency,
    /// Cortex analyzers per TheHive data type (`ip = ["AbuseIPDB_1_0"]`).
    #[serde(default)]
    pub analyzers: BTreeMap<String, Vec<String>>,
    /// Related events in Elasticsearch.
    pub elasticsearch: Option<RelatedEventsConfig>,
    /// Score weights.
    #[serde(default)]
    pub score: ScoreWeights,
    /// From this score (0 to 100) an alert becomes a case.
    #[serde(default = "default_case_threshold")]
    pub case_threshold: u32,
    /// A webhook told of every enriched alert.
    pub notify: Option<NotifyConfig>,
}

fn default_min_severity() -> i64 {
    2
}
fn default_statuses() -> Vec<String> {
    vec!["New".into()]
}
fn default_cache_ttl() -> String {
    "1h".into()
}
fn default_cortex_deadline() -> String {
    "2m".into()
}
fn default_case_threshold() -> u32 {
    70
}

/// Requests in flight per service during enrichment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Concurrency {
    /// Alerts processed at once.
    pub alerts: usize,
    /// MISP searches.
    pub misp: usize,
    /// Cortex jobs.
    pub cortex: usize,
    /// Elasticsearch searches.
    pub elasticsearch: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            alerts: 16,
            misp: 4,
            cortex: 8,
            elasticsearch: 8,
        }
    }
}

/// Where related events are searched.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedEventsConfig {
    /// Index pattern (`"logs-*"`).
    pub index: String,
    /// How far back (`"24h"`).
    #[serde(default = "default_related_window")]
    pub window: String,
    /// The time field.
    #[serde(default = "default_time_field")]
    pub time_field: String,
}

fn default_related_window() -> String {
    "24h".into()
}
fn default_time_field() -> String {
    "@timestamp".into()
}

/// The threat score's weights: an indicator scores the sum of what applies to it, an alert the
/// sum over its indicators, capped at 100.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreWeights {
    /// The indicator is in MISP.
    pub misp_hit: u32,
    /// ... as an IDS attribute.
    pub misp_to_ids: u32,
    /// ... in an event of high threat level.
    pub misp_threat_high: u32,
    /// ... of medium threat level.
    pub misp_threat_medium: u32,
    /// ... of low threat level.
    pub misp_threat_low: u32,
    /// A Cortex analyzer says malicious.
    pub cortex_malicious: u32,
    /// A Cortex analyzer says suspicious.
    pub cortex_suspicious: u32,
    /// Per related event in Elasticsearch.
    pub related_event: u32,
    /// At most this much from related events.
    pub related_events_max: u32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            misp_hit: 25,
            misp_to_ids: 15,
            misp_threat_high: 20,
            misp_threat_medium: 10,
            misp_threat_low: 5,
            cortex_malicious: 40,
            cortex_suspicious: 15,
            related_event: 2,
            related_events_max: 20,
        }
    }
}

/// A webhook for enrichment results.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Where to POST.
    pub url: url::Url,
    /// `json` (the result object) or `slack` (`{"text": ...}`).
    #[serde(default = "default_notify_format")]
    pub format: String,
    /// Only alerts scoring at least this much.
    #[serde(default)]
    pub min_score: u32,
}

fn default_notify_format() -> String {
    "json".into()
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
