//! The instance: versions, settings, workers, diagnostics, and synchronisation servers.

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::Method;

use crate::model::{Setting, SettingValue};
use crate::{Error, Misp, Result};

/// Server administration.
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    pub(crate) misp: &'a Misp,
}

impl Admin<'_> {
    /// `{"version": "2.5.24", "perm_sync": ..., ...}`.
    pub async fn version(&self) -> Result<Value> {
        self.misp.get(&["servers", "getVersion"]).await
    }

    /// The PyMISP version this server recommends.
    pub async fn recommended_pymisp_version(&self) -> Result<Value> {
        self.misp.get(&["servers", "getPyMISPVersion"]).await
    }

    /// The instance UUID.
    pub async fn instance_uuid(&self) -> Result<Value> {
        self.misp.get(&["servers", "getInstanceUUID"]).await
    }

    /// The user the key belongs to (`users/view/me`: `User`, `Role`, `Organisation`).
    pub async fn me(&self) -> Result<Value> {
        self.misp.get(&["users", "view", "me"]).await
    }

    /// One setting, with its value, type and test.
    ///
    /// # Errors
    /// [`Error::Redacted`] for settings MISP never reads back (passwords, salts), a 404 for an
    /// unknown name.
    pub async fn setting(&self, name: &str) -> Result<Setting> {
        match self
            .misp
            .get::<Setting>(&["servers", "getSetting", name])
            .await
        {
            Err(e) if e.status() == Some(403) && redacted(&e) => Err(Error::Redacted {
                setting: name.to_owned(),
            }),
            other => other,
        }
    }

    /// Writes a setting. Booleans are sent as JSON booleans (MISP turns the string `"false"`
    /// into true); `force` skips the setting's own test.
    ///
    /// # Errors
    /// [`Error::SaveFailed`] with MISP's reason when the value fails its test or the config
    /// file is not writable; a 405 for settings only the command line may change.
    pub async fn set_setting(
        &self,
        name: &str,
        value: impl Into<SettingValue>,
        force: bool,
    ) -> Result<Value> {
        #[derive(Serialize)]
        struct Body {
            value: SettingValue,
            force: bool,
        }
        self.misp
            .post(
                &["servers", "serverSettingsEdit", name],
                &Body {
                    value: value.into(),
                    force,
                },
            )
            .await
    }

    /// Every setting with its diagnostics (`servers/serverSettings`: `finalSettings`,
    /// `redisInfo`, `workers`, `backgroundJobsStatus` ...).
    pub async fn diagnostics(&self) -> Result<Value> {
        self.misp.get(&["servers", "serverSettings"]).await
    }

    /// Worker queues and their processes.
    pub async fn workers(&self) -> Result<Value> {
        self.misp.get(&["servers", "getWorkers"]).await
    }

    /// Starts a worker of a queue (`default`, `email`, `scheduler`, `cache`, `prio`, `update`).
    pub async fn start_worker(&self, queue: &str) -> Result<Value> {
        self.misp
            .post_empty(&["servers", "startWorker", queue])
            .await
    }

    /// Stops a worker by process id.
    pub async fn stop_worker(&self, pid: &str) -> Result<Value> {
        self.misp.post_empty(&["servers", "stopWorker", pid]).await
    }

    /// Kills every worker.
    pub async fn kill_all_workers(&self) -> Result<Value> {
        self.misp.post_empty(&["servers", "killAllWorkers"]).await
    }

    /// Restarts every worker.
    pub async fn restart_workers(&self) -> Result<Value> {
        self.misp.post_empty(&["servers", "restartWorkers"]).await
    }

    /// Restarts dead workers only.
    pub async fn restart_dead_workers(&self) -> Result<Value> {
        self.misp
            .post_empty(&["servers", "restartDeadWorkers"])
            .await
    }

    /// Database schema diagnostics.
    pub async fn db_schema_diagnostic(&self) -> Result<Value> {
        self.misp.get(&["servers", "dbSchemaDiagnostic"]).await
    }

    /// Updates MISP (git pull on the server).
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["servers", "update"]).await
    }

    /// Every API action the user may call.
    pub async fn all_functions(&self) -> Result<Value> {
        self.misp
            .get(&["servers", "queryACL", "printAllFunctionNames"])
            .await
    }

    /// Why the caller may (not) reach something (`events/queryACL/{debug_type}`).
    pub async fn remote_acl(&self, debug_type: &str) -> Result<Value> {
        self.misp.get(&["events", "queryACL", debug_type]).await
    }

    /// Signs data with the instance key.
    pub async fn sign_blob(&self, blob: &str) -> Result<Value> {
        self.misp
            .post(
                &["cryptographicKeys", "serverSign"],
                &json!({ "data": blob }),
            )
            .await
    }
}

fn redacted(e: &Error) -> bool {
    let text = e.to_string();
    text.contains("redacted")
}

/// Synchronisation servers.
#[derive(Debug, Clone, Copy)]
pub struct Servers<'a> {
    pub(crate) misp: &'a Misp,
}

impl Servers<'_> {
    /// Connected servers.
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["servers"]).await
    }

    /// Adds a server (`{"Server": {url, name, remote_org_id, authkey, ...}}`).
    pub async fn add<B: Serialize + ?Sized>(&self, server: &B) -> Result<Value> {
        self.misp.post(&["servers", "add"], server).await
    }

    /// Changes a server.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::PUT, &["servers", "edit", id])
                .json_body(fields),
        )
        .await
    }

    /// Removes a server.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["servers", "delete", id]).await
    }

    /// Pulls from a server (`technique`: `full`, `incremental`, `update` ...).
    pub async fn pull(&self, id: &str, technique: &str) -> Result<Value> {
        self.misp.get(&["servers", "pull", id, technique]).await
    }

    /// Pushes to a server.
    pub async fn push(&self, id: &str, technique: &str) -> Result<Value> {
        self.misp.get(&["servers", "push", id, technique]).await
    }

    /// Tests the connection to a server.
    pub async fn test(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["servers", "testConnection", id])
            .await
    }

    /// Caches a server's events for correlation.
    pub async fn cache(&self, id: Option<&str>) -> Result<Value> {
        let body = id.map_or_else(|| json!({}), |i| json!({ "id": i }));
        self.misp.post(&["servers", "cache"], &body).await
    }

    /// This instance's sync configuration, to import elsewhere.
    pub async fn create_sync(&self) -> Result<Value> {
        self.misp.post_empty(&["servers", "createSync"]).await
    }

    /// Imports a sync configuration made by another instance.
    pub async fn import<B: Serialize + ?Sized>(&self, config: &B) -> Result<Value> {
        self.misp.post(&["servers", "import"], config).await
    }
}
