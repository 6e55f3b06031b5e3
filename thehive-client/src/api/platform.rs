//! Platform routes: status, administration, data model description, user configuration,
//! audit, authentication, case reports and exports.

use serde::Serialize;
use serde_json::{json, Map, Value};
use soc_http::{Method, SecretString};
use tokio::io::AsyncWrite;

use crate::client::NO_BODY;
use crate::model::{CaseId, Entity, User};
use crate::query::Query;
use crate::upload::FileUpload;
use crate::{Result, TheHive};

/// Maintenance routes (`/api/v1/admin`): integrity checks, indexes, schema, logs.
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Admin<'_> {
    /// Sets the log level of a package (`org.thp.thehive.services`, `DEBUG`).
    pub async fn set_log_level(&self, package: &str, level: &str) -> Result<()> {
        self.hive
            .put_unit(&["admin", "log", "set", package, level], NO_BODY)
            .await
    }

    /// Runs every integrity check.
    pub async fn trigger_all_checks(&self) -> Result<()> {
        self.hive
            .put_unit(&["admin", "check", "_all", "trigger"], NO_BODY)
            .await
    }

    /// Runs one integrity check.
    pub async fn trigger_check(&self, name: &str) -> Result<()> {
        self.hive
            .put_unit(&["admin", "check", name, "trigger"], NO_BODY)
            .await
    }

    /// Runs the global part of one check.
    pub async fn trigger_global_check(&self, name: &str) -> Result<()> {
        self.hive
            .post_unit(&["admin", "check", name, "global", "trigger"], NO_BODY)
            .await
    }

    /// Runs the de-duplication part of one check.
    pub async fn trigger_dedup_check(&self, name: &str) -> Result<()> {
        self.hive
            .post_unit(&["admin", "check", name, "dedup", "trigger"], NO_BODY)
            .await
    }

    /// Cancels running checks.
    pub async fn cancel_checks(&self) -> Result<()> {
        self.hive
            .post_unit(&["admin", "check", "cancel"], NO_BODY)
            .await
    }

    /// Statistics of the integrity checks.
    pub async fn check_stats(&self) -> Result<Map<String, Value>> {
        self.hive.get(&["admin", "check", "stats"]).await
    }

    /// State of the search indexes.
    pub async fn index_status(&self) -> Result<Map<String, Value>> {
        self.hive.get(&["admin", "index", "status"]).await
    }

    /// Reindexes an index.
    pub async fn reindex(&self, name: &str) -> Result<()> {
        self.hive
            .post_unit(&["admin", "index", name, "reindex"], NO_BODY)
            .await
    }

    /// Rebuilds an index from scratch.
    pub async fn rebuild_index(&self, name: &str) -> Result<()> {
        self.hive
            .post_unit(&["admin", "index", name, "rebuild"], NO_BODY)
            .await
    }

    /// Repairs a schema; `select` and `filter` narrow what is repaired.
    pub async fn repair_schema(
        &self,
        schema: &str,
        select: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Map<String, Value>> {
        self.schema("repair", schema, select, filter).await
    }

    /// Describes a schema's state.
    pub async fn schema_info(
        &self,
        schema: &str,
        select: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Map<String, Value>> {
        self.schema("info", schema, select, filter).await
    }

    async fn schema(
        &self,
        op: &str,
        schema: &str,
        select: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Map<String, Value>> {
        let mut r = self
            .hive
            .request(Method::POST, &["admin", "schema", op, schema]);
        if let Some(s) = select {
            r = r.query_pair("select", s);
        }
        if let Some(f) = filter {
            r = r.query_pair("filter", f);
        }
        Ok(r.json().await?)
    }

    /// Database statistics.
    pub async fn stats(&self) -> Result<Map<String, Value>> {
        self.hive.get(&["admin", "stats"]).await
    }
}

/// The data model as TheHive describes it (`/api/v1/describe`).
#[derive(Debug, Clone, Copy)]
pub struct Describe<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Describe<'_> {
    /// Every entity's description, by model name.
    pub async fn all(&self) -> Result<Map<String, Value>> {
        self.hive.get(&["describe", "_all"]).await
    }

    /// One entity's description (`alert`, `case`, `case_artifact` ...): its attributes and their
    /// types.
    pub async fn model(&self, name: &str) -> Result<Value> {
        self.hive.get(&["describe", name]).await
    }
}

/// Per-user UI configuration (`/api/v1/config/user`).
#[derive(Debug, Clone, Copy)]
pub struct UserConfig<'a> {
    pub(crate) hive: &'a TheHive,
}

impl UserConfig<'_> {
    /// Every setting, or those under `path`.
    pub async fn all(&self, path: Option<&str>) -> Result<Value> {
        let mut r = self.hive.request(Method::GET, &["config", "user"]);
        if let Some(p) = path {
            r = r.query_pair("path", p);
        }
        Ok(r.json().await?)
    }

    /// One setting (`{path, defaultValue, value}`).
    pub async fn get(&self, path: &str) -> Result<Value> {
        self.hive.get(&["config", "user", path]).await
    }

    /// Sets one setting.
    pub async fn set(&self, path: &str, value: &Value) -> Result<Value> {
        self.hive
            .put(&["config", "user", path], &json!({ "value": value }))
            .await
    }
}

/// The audit trail (`/api/v1/flow`, `/api/v1/stream`).
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Audit<'_> {
    /// Recent audit entries, for one case (`root_id`) or all, at most `count`.
    pub async fn flow(&self, root_id: Option<&str>, count: Option<u32>) -> Result<Vec<Value>> {
        let mut r = self.hive.request(Method::GET, &["flow"]);
        if let Some(id) = root_id {
            r = r.query_pair("rootId", id);
        }
        if let Some(c) = count {
            r = r.query_pair("count", &c.to_string());
        }
        Ok(r.json().await?)
    }

    /// Opens an event stream; answers its id.
    pub async fn open_stream(&self) -> Result<String> {
        let id = self.hive.request(Method::POST, &["stream"]).text().await?;
        Ok(id.trim().to_owned())
    }

    /// Waits for the next events of a stream (TheHive long-polls; allow a long timeout).
    pub async fn next_events(&self, stream_id: &str) -> Result<Vec<Value>> {
        self.hive.get(&["stream", stream_id]).await
    }
}

/// Session authentication and second factor (`/api/v1/login`, `/api/v1/auth`).
#[derive(Debug, Clone, Copy)]
pub struct Auth<'a> {
    pub(crate) hive: &'a TheHive,
}

#[derive(Serialize)]
struct Login<'a> {
    user: &'a str,
    #[serde(serialize_with = "soc_http::serialize_secret")]
    password: &'a SecretString,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

impl Auth<'_> {
    /// Checks a login and password (and MFA code); answers the user. The session cookie is
    /// not kept: this client authenticates each request with its own credentials.
    pub async fn login(
        &self,
        user: &str,
        password: &SecretString,
        mfa_code: Option<&str>,
    ) -> Result<User> {
        self.hive
            .post(
                &["login"],
                &Login {
                    user,
                    password,
                    code: mfa_code,
                },
            )
            .await
    }

    /// Ends the session.
    pub async fn logout(&self) -> Result<()> {
        self.hive.post_unit(&["logout"], NO_BODY).await
    }

    /// Generates a TOTP secret for the current user (`{secret, uri}`).
    pub async fn totp_secret(&self) -> Result<Value> {
        self.hive.get(&["auth", "totp", "get"]).await
    }

    /// Turns TOTP on with a secret and a code from it.
    pub async fn totp_set(&self, secret: &SecretString, code: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
            #[serde(serialize_with = "soc_http::serialize_secret")]
            secret: &'a SecretString,
        }
        self.hive
            .post_unit(&["auth", "totp", "set"], Some(&Body { code, secret }))
            .await
    }

    /// Turns TOTP off for the current user.
    pub async fn totp_unset(&self) -> Result<()> {
        self.hive
            .post_unit(&["auth", "totp", "unset"], NO_BODY)
            .await
    }

    /// Turns TOTP off for another user (an administrator's call).
    pub async fn totp_unset_for(&self, user: &str) -> Result<()> {
        self.hive
            .post_unit(&["auth", "totp", "unset", user], NO_BODY)
            .await
    }

    /// The local password policy.
    pub async fn password_policy(&self) -> Result<Map<String, Value>> {
        self.hive.get(&["auth", "local", "passwordPolicy"]).await
    }
}

/// Case reports rendered from report templates (`/api/v1/caseReport`).
#[derive(Debug, Clone, Copy)]
pub struct CaseReports<'a> {
    pub(crate) hive: &'a TheHive,
}

impl CaseReports<'_> {
    /// Generates and stores a report of a case (`format`: `pdf`, `html` ...).
    pub async fn generate(&self, case: &CaseId, template_id: &str, format: &str) -> Result<Entity> {
        self.hive
            .post(
                &["case", case.as_str(), "report"],
                &json!({ "caseReportTemplateId": template_id, "format": format }),
            )
            .await
    }

    /// Stores a report file made elsewhere.
    pub async fn upload(&self, case: &CaseId, file: &FileUpload) -> Result<Entity> {
        let form = soc_http::Multipart::new().part(file.part("file"));
        self.hive
            .send_form(
                Method::POST,
                &["case", case.as_str(), "report", "upload"],
                form,
            )
            .await
    }

    /// The formats reports can be rendered in.
    pub async fn formats(&self) -> Result<Value> {
        self.hive.get(&["caseReport", "formats"]).await
    }

    /// Renders a report without storing it and streams it into `writer`.
    pub async fn render<W: AsyncWrite + Unpin>(
        &self,
        case: &CaseId,
        template_id: &str,
        format: &str,
        writer: &mut W,
    ) -> Result<u64> {
        Ok(self
            .hive
            .request(Method::GET, &["caseReport", "render"])
            .query_pair("format", format)
            .query_pair("caseReportTemplateId", template_id)
            .query_pair("caseId", case.as_str())
            .timeout(self.hive.download_timeout)
            .download(writer)
            .await?)
    }

    /// Renders a report from a full request body (`{format, template?, data? ...}`).
    pub async fn render_with<B: Serialize + ?Sized, W: AsyncWrite + Unpin>(
        &self,
        request: &B,
        writer: &mut W,
    ) -> Result<u64> {
        Ok(self
            .hive
            .request(Method::POST, &["caseReport", "render"])
            .idempotent(true)
            .json_body(request)
            .timeout(self.hive.download_timeout)
            .download(writer)
            .await?)
    }

    /// Replaces a stored report's file.
    pub async fn replace(&self, report_id: &str, file: &FileUpload) -> Result<()> {
        let form = soc_http::Multipart::new().part(file.part("file"));
        self.hive
            .send_form_unit(Method::PATCH, &["caseReport", report_id], form)
            .await
    }

    /// Deletes a stored report.
    pub async fn delete(&self, report_id: &str) -> Result<()> {
        self.hive.delete(&["caseReport", report_id], NO_BODY).await
    }

    /// Streams a stored report into `writer` as an attachment.
    pub async fn download<W: AsyncWrite + Unpin>(
        &self,
        report_id: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["caseReport", report_id, "download"], writer)
            .await
    }

    /// Streams a stored report into `writer` for display.
    pub async fn view<W: AsyncWrite + Unpin>(
        &self,
        report_id: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["caseReport", report_id, "view"], writer)
            .await
    }
}

/// Exports of query results as files (`/api/v1/export`).
#[derive(Debug, Clone, Copy)]
pub struct Export<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Export<'_> {
    /// Streams the result of `query` as a file into `writer`; `options` chooses the format
    /// and fields (`{"format": "csv", "fields": [...]}`).
    pub async fn run<W: AsyncWrite + Unpin>(
        &self,
        query: &Query,
        options: &Value,
        writer: &mut W,
    ) -> Result<u64> {
        let q = serde_json::to_string(query.operations())
            .map_err(|e| crate::Error::InvalidInput(format!("query cannot be serialised: {e}")))?;
        Ok(self
            .hive
            .request(Method::GET, &["export"])
            .query_pair("query", &q)
            .query_pair("options", &options.to_string())
            .timeout(self.hive.download_timeout)
            .download(writer)
            .await?)
    }

    /// The fields that can be exported, per entity.
    pub async fn fields(&self) -> Result<Value> {
        self.hive.get(&["export", "_fields"]).await
    }
}
