//! A lab and a `soc.toml` pointing at it, in a private directory.

use std::path::PathBuf;

use soc_lab::{Lab, LabConfig, Service};

pub(crate) struct Stack {
    pub(crate) lab: Lab,
    pub(crate) dir: PathBuf,
}

impl Stack {
    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.join("soc.toml")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "soc-tools-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The `[serve].secret` webhook senders sign with.
pub(crate) const WEBHOOK_SECRET: &str = "lab-webhook-secret";

fn write_secret(dir: &std::path::Path, name: &str, value: &str) {
    std::fs::write(dir.join(name), format!("{value}\n")).expect("secret file");
}

/// A fresh lab (Cortex uninitialised) and a full `soc.toml` for it.
pub(crate) async fn stack(name: &str) -> Stack {
    let lab = Lab::start(LabConfig {
        cortex_fresh: true,
        ..Default::default()
    })
    .await
    .expect("lab");
    let dir = temp_dir(name);
    let e = |s| lab.endpoint(s);
    write_secret(
        &dir,
        "thehive.key",
        e(Service::TheHive).api_key().expect("key"),
    );
    write_secret(&dir, "misp.key", e(Service::Misp).api_key().expect("key"));
    write_secret(
        &dir,
        "es.password",
        e(Service::Elasticsearch).password().expect("password"),
    );
    write_secret(
        &dir,
        "s3.access",
        e(Service::S3).username.as_deref().expect("access key"),
    );
    write_secret(
        &dir,
        "s3.secret",
        e(Service::S3).password().expect("secret"),
    );
    write_secret(&dir, "cortex.password", "a-long-superadmin-password");
    write_secret(&dir, "abuseipdb.key", "lab-abuseipdb-key");
    write_secret(&dir, "webhook.secret", WEBHOOK_SECRET);
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
[[misp.feeds]]
name = "CIRCL OSINT Feed"
url = "https://www.circl.lu/doc/misp/feed-osint"
provider = "CIRCL"

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

[serve]
listen = "127.0.0.1:0"
secret = {{ file = "webhook.secret" }}
thehive_user = "svc-soc@soc.local"
"#,
        s3 = e(Service::S3).url,
        cortex = e(Service::Cortex).url,
        misp = e(Service::Misp).url,
        thehive = e(Service::TheHive).url,
        es = e(Service::Elasticsearch).url,
    );
    std::fs::write(dir.join("soc.toml"), toml).expect("soc.toml");
    Stack { lab, dir }
}
