//! Upgrades: from the images a bundle runs to a new pinned set, checked against the
//! compatibility matrix and ordered by dependency.
//!
//! [`plan`] compares two versions files (`deploy/versions.env` format) and answers the services
//! to restart, in order (data stores, then the applications on them, then the edge and
//! automation), or every reason the target set cannot be run:
//!
//! - Cortex 3 needs Elasticsearch 7, Cortex 4 needs Elasticsearch 8 (`es-index`);
//! - TheHive 5.5.10 and later run on Elasticsearch 7.11 to 9.1, earlier 5.x on 7.10 to 8.x;
//!   TheHive 5 needs Cassandra 4.0 or 4.1;
//! - Kibana and Logstash equal the SIEM Elasticsearch's version;
//! - no data store goes back a version (Elasticsearch, Cassandra, MariaDB cannot read newer
//!   data), and Elasticsearch moves one major at a time, into 9 only from 8.19;
//! - every image stays pinned to an exact version.

use std::collections::BTreeMap;

use crate::render::parse_env;

/// The services of the bundle by the image variable they run, in restart order.
pub const ORDER: &[(&str, &[&str])] = &[
    ("CASSANDRA_IMAGE", &["cassandra", "cassandra-init"]),
    ("ES_INDEX_IMAGE", &["es-index"]),
    ("ES_SIEM_IMAGE", &["es-siem"]),
    ("MARIADB_IMAGE", &["misp-db"]),
    ("VALKEY_IMAGE", &["redis"]),
    ("RUSTFS_IMAGE", &["s3"]),
    ("SEAWEEDFS_IMAGE", &["s3"]),
    ("GARAGE_IMAGE", &["s3"]),
    ("CORTEX_IMAGE", &["cortex"]),
    ("THEHIVE_IMAGE", &["thehive"]),
    ("MISP_MODULES_IMAGE", &["misp-modules"]),
    ("MISP_CORE_IMAGE", &["misp-core"]),
    ("KIBANA_IMAGE", &["kibana"]),
    ("LOGSTASH_IMAGE", &["logstash"]),
    ("ELASTALERT_IMAGE", &["elastalert"]),
    (
        "CURL_IMAGE",
        &["s3-init", "es-index-setup", "es-siem-setup"],
    ),
    ("DOCKER_PROXY_IMAGE", &["docker-proxy"]),
    ("PROXY_IMAGE", &["proxy"]),
    ("NODE_RED_IMAGE", &["node-red"]),
    ("PORTAINER_IMAGE", &["portainer"]),
    ("SHUFFLE_OPENSEARCH_IMAGE", &["shuffle-opensearch"]),
    ("SHUFFLE_BACKEND_IMAGE", &["shuffle-backend"]),
    ("SHUFFLE_FRONTEND_IMAGE", &["shuffle-frontend"]),
    ("SHUFFLE_ORBORUS_IMAGE", &["shuffle-orborus"]),
];

/// Data stores: never downgraded.
const DATA_STORES: &[&str] = &[
    "CASSANDRA_IMAGE",
    "ES_INDEX_IMAGE",
    "ES_SIEM_IMAGE",
    "MARIADB_IMAGE",
    "SHUFFLE_OPENSEARCH_IMAGE",
];

/// One image change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The versions-file variable.
    pub var: String,
    /// The image now.
    pub from: String,
    /// The image after.
    pub to: String,
    /// The services running it, restarted in this order.
    pub services: Vec<String>,
}

/// What an upgrade does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpgradePlan {
    /// The changes, in restart order.
    pub changes: Vec<Change>,
}

impl UpgradePlan {
    /// The services to restart, in order, each once.
    pub fn services(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.changes {
            for s in &c.services {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        out
    }
}

/// `major.minor.patch` of an image tag (`v2.5.42`, `8.19.20`, `5.7.5-1`, `2.33.1-alpine`).
pub fn version(image: &str) -> Option<(u64, u64, u64)> {
    let tag = image.rsplit_once(':')?.1;
    let tag = tag.trim_start_matches('v');
    let core = tag.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// Plans the move from `current` to `target` (both versions files), or every reason not to.
pub fn plan(current: &str, target: &str) -> Result<UpgradePlan, Vec<String>> {
    let now = parse_env(current);
    let next = parse_env(target);
    let mut problems = Vec::new();
    for (var, image) in &next {
        if !var.ends_with("_IMAGE") {
            problems.push(format!("{var}: not an image variable"));
            continue;
        }
        if version(image).is_none() || image.ends_with(":latest") || !image.contains(':') {
            problems.push(format!("{var}={image}: not pinned to an exact version"));
        }
    }
    for var in now.keys() {
        if !next.contains_key(var) {
            problems.push(format!("{var}: missing from the target set"));
        }
    }
    let v = |env: &BTreeMap<String, String>, var: &str| env.get(var).and_then(|i| version(i));
    // Data stores: forward only, Elasticsearch one major at a time and into 9 from 8.19.
    for var in DATA_STORES {
        if let (Some(a), Some(b)) = (v(&now, var), v(&next, var)) {
            if b < a {
                problems.push(format!(
                    "{var}: {}.{}.{} -> {}.{}.{} is a downgrade; a data store cannot read what a \
                     newer version wrote (restore a backup instead)",
                    a.0, a.1, a.2, b.0, b.1, b.2
                ));
            }
            if var.starts_with("ES_") {
                if b.0 > a.0 + 1 {
                    problems.push(format!(
                        "{var}: Elasticsearch {} -> {} skips a major version; upgrade through {} \
                         first",
                        a.0,
                        b.0,
                        a.0 + 1
                    ));
                }
                if b.0 == 9 && a.0 == 8 && a.1 < 19 {
                    problems.push(format!(
                        "{var}: Elasticsearch 9 upgrades from 8.19 only (now 8.{})",
                        a.1
                    ));
                }
            }
        }
    }
    // The matrix.
    if let (Some(cortex), Some(es)) = (v(&next, "CORTEX_IMAGE"), v(&next, "ES_INDEX_IMAGE")) {
        let wanted = if cortex.0 >= 4 { 8 } else { 7 };
        if es.0 != wanted {
            problems.push(format!(
                "Cortex {}.{} needs Elasticsearch {wanted}, es-index would run {}.{}",
                cortex.0, cortex.1, es.0, es.1
            ));
        }
    }
    if let (Some(th), Some(es)) = (v(&next, "THEHIVE_IMAGE"), v(&next, "ES_INDEX_IMAGE")) {
        let (lo, hi) = if th >= (5, 5, 10) {
            ((7, 11), (9, 1))
        } else {
            ((7, 10), (8, 99))
        };
        if (es.0, es.1) < lo || (es.0, es.1) > hi {
            problems.push(format!(
                "TheHive {}.{}.{} runs on Elasticsearch {}.{} to {}.{}, es-index would run {}.{}",
                th.0, th.1, th.2, lo.0, lo.1, hi.0, hi.1, es.0, es.1
            ));
        }
    }
    if let (Some(th), Some(c)) = (v(&next, "THEHIVE_IMAGE"), v(&next, "CASSANDRA_IMAGE")) {
        if th.0 == 5 && !(c.0 == 4 && c.1 <= 1) {
            problems.push(format!(
                "TheHive 5 needs Cassandra 4.0 or 4.1, cassandra would run {}.{}",
                c.0, c.1
            ));
        }
    }
    if let Some(es) = v(&next, "ES_SIEM_IMAGE") {
        for var in ["KIBANA_IMAGE", "LOGSTASH_IMAGE"] {
            if let Some(x) = v(&next, var) {
                if x != es {
                    problems.push(format!(
                        "{var}: {}.{}.{} must equal the SIEM Elasticsearch's {}.{}.{}",
                        x.0, x.1, x.2, es.0, es.1, es.2
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut changes = Vec::new();
    for (var, services) in ORDER {
        let (Some(from), Some(to)) = (now.get(*var), next.get(*var)) else {
            continue;
        };
        if from != to {
            changes.push(Change {
                var: (*var).to_string(),
                from: from.clone(),
                to: to.clone(),
                services: services.iter().map(|s| (*s).to_string()).collect(),
            });
        }
    }
    for var in next.keys() {
        if !ORDER.iter().any(|(v, _)| v == var) && now.get(var) != next.get(var) {
            return Err(vec![format!(
                "{var}: no service is known to run it; add it to the upgrade order"
            )]);
        }
    }
    Ok(UpgradePlan { changes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::VERSIONS;

    fn with(base: &str, var: &str, image: &str) -> String {
        base.lines()
            .map(|l| {
                if l.starts_with(&format!("{var}=")) {
                    format!("{var}={image}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    }

    #[test]
    fn versions_are_read_from_tags() {
        assert_eq!(
            version("ghcr.io/misp/misp-docker/misp-core:v2.5.42"),
            Some((2, 5, 42))
        );
        assert_eq!(version("strangebee/thehive:5.7.5-1"), Some((5, 7, 5)));
        assert_eq!(
            version("portainer/portainer-ce:2.33.1-alpine"),
            Some((2, 33, 1))
        );
        assert_eq!(version("localhost:5000/x:8.19"), Some((8, 19, 0)));
        assert_eq!(version("cassandra:latest"), None);
        assert_eq!(version("cassandra"), None);
    }

    #[test]
    fn the_pinned_set_plans_to_nothing_and_changes_are_ordered() {
        assert_eq!(plan(VERSIONS, VERSIONS).unwrap(), UpgradePlan::default());
        let target = with(VERSIONS, "THEHIVE_IMAGE", "strangebee/thehive:5.7.6");
        let target = with(&target, "CASSANDRA_IMAGE", "cassandra:4.1.13");
        let target = with(&target, "PROXY_IMAGE", "nginx:1.28.1-alpine");
        let p = plan(VERSIONS, &target).unwrap();
        assert_eq!(
            p.services(),
            ["cassandra", "cassandra-init", "thehive", "proxy"]
        );
        assert_eq!(p.changes[1].from, "strangebee/thehive:5.7.5");
    }

    #[test]
    fn the_matrix_and_data_stores_are_enforced() {
        let cases = [
            (
                "CORTEX_IMAGE",
                "thehiveproject/cortex:3.1.8-1",
                "needs Elasticsearch 7",
            ),
            ("CASSANDRA_IMAGE", "cassandra:5.0.2", "Cassandra 4.0 or 4.1"),
            ("CASSANDRA_IMAGE", "cassandra:4.0.1", "downgrade"),
            (
                "ES_INDEX_IMAGE",
                "docker.elastic.co/elasticsearch/elasticsearch:8.18.0",
                "downgrade",
            ),
            (
                "KIBANA_IMAGE",
                "docker.elastic.co/kibana/kibana:8.19.21",
                "must equal",
            ),
            ("MARIADB_IMAGE", "mariadb:latest", "not pinned"),
        ];
        for (var, image, why) in cases {
            let errs = plan(VERSIONS, &with(VERSIONS, var, image)).unwrap_err();
            assert!(
                errs.iter().any(|e| e.contains(why)),
                "{var}={image}: {errs:?}"
            );
        }
        // Elasticsearch 9 for es-index: Cortex 4 refuses it; from 8.18 it would also skip 8.19.
        let es9 = "docker.elastic.co/elasticsearch/elasticsearch:9.1.0";
        let errs = plan(VERSIONS, &with(VERSIONS, "ES_INDEX_IMAGE", es9)).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("Cortex 4.1 needs Elasticsearch 8")),
            "{errs:?}"
        );
        let old = with(
            VERSIONS,
            "ES_SIEM_IMAGE",
            "docker.elastic.co/elasticsearch/elasticsearch:8.18.0",
        );
        let errs = plan(&old, &with(&old, "ES_SIEM_IMAGE", es9)).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("from 8.19 only")),
            "{errs:?}"
        );
        let errs = plan(VERSIONS, "CASSANDRA_IMAGE=cassandra:4.1.12\n").unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("missing from the target set")),
            "{errs:?}"
        );
    }
}
