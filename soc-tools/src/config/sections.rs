//! The sections of `soc.toml`, as read (validation is in the parent module).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::SecretRef;

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
    /// First start of a fresh TheHive: `soc setup` logs in as `admin@thehive.local` with the
    /// image's initial password, replaces it with this one, issues the account an API key and
    /// writes it to `api_key`'s file (which must then be a `{ file = ... }`). Later runs find the
    /// key file and leave both alone.
    #[serde(default)]
    pub bootstrap_password: Option<SecretRef>,
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
    /// How long analyzer jobs are kept (`"90d"`): `soc doctor` reports older ones and
    /// `soc prune` deletes them. Unset, nothing is deleted.
    #[serde(default)]
    pub job_retention: Option<String>,
    /// Cortex's URL as TheHive reaches it, for TheHive's Cortex connector (in the deploy bundle
    /// `http://cortex:9001`, the service on the internal network). Defaults to `url`.
    #[serde(default)]
    pub thehive_url: Option<url::Url>,
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
    /// MISP's URL as TheHive reaches it, for TheHive's MISP connector (in the deploy bundle
    /// `https://misp-core`). Defaults to `url`.
    #[serde(default)]
    pub thehive_url: Option<url::Url>,
    /// A PEM CA file inside TheHive's container that TheHive's MISP connector trusts for MISP's
    /// certificate (its `wsConfig.ssl.trustManager`), e.g. the bundle's
    /// `/etc/thehive/local-ca.crt`. Without it TheHive uses its JVM's trust store.
    #[serde(default)]
    pub thehive_ca_file: Option<String>,
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
    /// A feed not fetched for this long is stale for `soc doctor` (`"48h"` when unset).
    pub stale_after: Option<String>,
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
