//! A lab and a `soc.toml` pointing at it, in a private directory.

use std::path::PathBuf;

use soc_lab::{Lab, LabConfig};

#[path = "../common/lab_config.rs"]
mod lab_config;

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

/// A fresh lab (Cortex uninitialised) and a full `soc.toml` for it.
pub(crate) async fn stack(name: &str) -> Stack {
    let lab = Lab::start(LabConfig {
        cortex_fresh: true,
        ..Default::default()
    })
    .await
    .expect("lab");
    let dir = temp_dir(name);
    std::fs::write(dir.join("webhook.secret"), format!("{WEBHOOK_SECRET}\n")).expect("secret");
    // The feed (public: the lab answers it cannot fetch) and the webhook receiver.
    lab_config::write(
        &lab,
        &dir,
        r#"
[[misp.feeds]]
name = "CIRCL OSINT Feed"
url = "https://www.circl.lu/doc/misp/feed-osint"
provider = "CIRCL"

[serve]
listen = "127.0.0.1:0"
secret = { file = "webhook.secret" }
thehive_user = "svc-soc@soc.local"
"#,
    );
    Stack { lab, dir }
}
