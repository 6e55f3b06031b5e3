//! A `soc.toml` for a running lab, and the secret files it names: shared by the integration
//! tests (`tests/it/support.rs`) and the benchmarks (`benches/common`), included by path.

use std::path::{Path, PathBuf};

use soc_lab::{Lab, Service};

fn write_secret(dir: &Path, name: &str, value: &str) {
    std::fs::write(dir.join(name), format!("{value}\n")).expect("secret file");
}

/// Writes into `dir` the lab's credentials (one file each) and a `soc.toml` configuring every
/// service (S3 bucket user, Cortex with two analyzers, MISP with a user, TheHive with an analyst
/// and a keyed service account, Elasticsearch with a template, retention and a snapshot
/// repository), `extra` appended; answers the `soc.toml` path.
pub(crate) fn write(lab: &Lab, dir: &Path, extra: &str) -> PathBuf {
    let e = |s| lab.endpoint(s);
    write_secret(
        dir,
        "thehive.key",
        e(Service::TheHive).api_key().expect("key"),
    );
    write_secret(dir, "misp.key", e(Service::Misp).api_key().expect("key"));
    write_secret(
        dir,
        "es.password",
        e(Service::Elasticsearch).password().expect("password"),
    );
    write_secret(
        dir,
        "s3.access",
        e(Service::S3).username.as_deref().expect("access key"),
    );
    write_secret(dir, "s3.secret", e(Service::S3).password().expect("secret"));
    write_secret(dir, "cortex.password", "a-long-superadmin-password");
    write_secret(dir, "abuseipdb.key", "lab-abuseipdb-key");
    let toml = format!(
        r#"
[secrets]
file = "soc-secrets.toml"

[s3]
url = "{s3}"
access_key = {{ file = "s3.access" }}
secret_key = {{ file = "s3.secret" }}
[[s3.buckets]]
name = "thehive"
user = "thehive"

[cortex]
url = "{cortex}"
superadmin = "admin@soc.local"
superadmin_password = {{ file = "cortex.password" }}
organisation = "soc"
org_admin = "soc-admin@soc.local"
[[cortex.analyzers]]
name = "AbuseIPDB_1_0"
config = {{ key = {{ file = "abuseipdb.key" }} }}
[[cortex.analyzers]]
name = "Lab_Reputation_1_0"

[misp]
url = "{misp}"
api_key = {{ file = "misp.key" }}
organisation = "SOC"
[[misp.users]]
email = "analyst@soc.local"
auth_key = true
[misp.settings]
"MISP.redis_host" = "redis"
"SimpleBackgroundJobs.redis_host" = "redis"
"SimpleBackgroundJobs.enabled" = true

[thehive]
url = "{thehive}"
api_key = {{ file = "thehive.key" }}
organisation = "soc"
[[thehive.users]]
login = "analyst@soc.local"
name = "SOC analyst"
[[thehive.users]]
login = "svc-soc@soc.local"
name = "soc automation"
api_key = true

[elasticsearch]
url = "{es}"
username = "elastic"
password = {{ file = "es.password" }}
[[elasticsearch.retention]]
name = "soc-30d"
delete_after = "30d"
[[elasticsearch.templates]]
name = "soc-events"
patterns = ["soc-events-*"]
retention = "soc-30d"
[elasticsearch.snapshot_repository]
name = "soc-backups"
type = "s3"
settings = {{ bucket = "es-snapshots", endpoint = "{s3}" }}
{extra}"#,
        s3 = e(Service::S3).url,
        cortex = e(Service::Cortex).url,
        misp = e(Service::Misp).url,
        thehive = e(Service::TheHive).url,
        es = e(Service::Elasticsearch).url,
    );
    let path = dir.join("soc.toml");
    std::fs::write(&path, toml).expect("soc.toml");
    path
}
