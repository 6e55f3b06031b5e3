//! The settings a bundle is rendered with (`deploy/settings.example.toml` lists them).

use std::collections::BTreeMap;

use crate::Error;

/// The S3 stores TheHive's attachments can live in (`[s3] backend`).
pub const S3_BACKENDS: &[&str] = &["rustfs", "seaweedfs", "garage"];

/// The host ports the bundle publishes: settings key, `.env` variable, default, compose profile.
pub(crate) const PORTS: &[(&str, &str, u16, Option<&str>)] = &[
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
pub struct Settings {
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
    ("s3.snapshot_bucket", "es-snapshots"),
    ("s3.region", "us-east-1"),
    ("misp.organisation", "SOC"),
    ("misp.admin_email", "admin@soc.lab"),
    ("siem.index_prefix", "soc-events"),
    ("docker.socket", "/var/run/docker.sock"),
    ("tls.cert", ""),
    ("tls.key", ""),
    ("tls.ca", ""),
    ("k8s.namespace", "soc"),
    ("k8s.storage_class", ""),
    ("k8s.rwx_storage_class", ""),
    ("k8s.es_nodes", "3"),
    ("k8s.cassandra_nodes", "3"),
    ("k8s.s3_nodes", "3"),
];

impl Settings {
    /// Reads a settings file: `[section]` headers and `key = value` lines whose values are
    /// strings, integers or booleans. Unknown keys are errors (a typo must not pass silently).
    pub fn parse(text: &str) -> Result<Settings, Error> {
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
            let (key, value) = line.split_once('=').ok_or_else(|| Error::Settings {
                line: n + 1,
                message: "expected `key = value`".into(),
            })?;
            let key = format!("{section}.{}", key.trim());
            let value = value.trim();
            let value = if let Some(s) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                s.to_string()
            } else if value.parse::<i64>().is_ok() || value == "true" || value == "false" {
                value.to_string()
            } else {
                return Err(Error::Settings {
                    line: n + 1,
                    message: format!("{key}: only quoted strings, integers and booleans are read"),
                });
            };
            let known = SETTINGS.iter().any(|(k, _)| *k == key)
                || PORTS.iter().any(|(p, ..)| key == format!("ports.{p}"));
            if !known {
                return Err(Error::Settings {
                    line: n + 1,
                    message: format!("unknown setting {key}"),
                });
            }
            values.insert(key, value);
        }
        let settings = Settings { values };
        let backend = settings.get("s3.backend");
        if !S3_BACKENDS.contains(&backend.as_str()) {
            return Err(Error::Setting {
                key: "s3.backend".into(),
                message: format!("{backend:?} is not one of {}", S3_BACKENDS.join(", ")),
            });
        }
        for (key, ..) in PORTS {
            settings.port(key)?;
        }
        Ok(settings)
    }

    /// A setting, or its default.
    pub fn get(&self, key: &str) -> String {
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
    pub fn port(&self, key: &str) -> Result<u16, Error> {
        let default = PORTS
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, _, d, _)| *d)
            .ok_or_else(|| Error::Setting {
                key: format!("ports.{key}"),
                message: "no such port".into(),
            })?;
        match self.values.get(&format!("ports.{key}")) {
            None => Ok(default),
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| Error::Setting {
                    key: format!("ports.{key}"),
                    message: format!("{v:?} is not a port"),
                }),
        }
    }

    /// The compose profiles to enable besides the default services.
    pub fn profiles(&self) -> Vec<String> {
        self.get("stack.profiles")
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// The host ports in use with these settings: (`.env` variable, port).
    pub fn active_ports(&self) -> Result<Vec<(&'static str, u16)>, Error> {
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
