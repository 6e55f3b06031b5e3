//! Cases (`/api/v1/case`): the investigation, its tasks, observables, pages, links, shares.

use serde::Serialize;
use serde_json::{Map, Value};
use soc_http::{Method, SecretString};
use tokio::io::AsyncWrite;

use super::{finders, sub_finder, Ids, Organisations, WithIds};
use crate::client::NO_BODY;
use crate::model::{
    Alert, AlertId, Attachment, Attachments, Case, CaseId, CaseLink, CaseUpdate, Comment, Entity,
    InputCase, InputComment, InputCustomEvent, InputObservable, InputPage, InputProcedure,
    InputShare, InputTask, Observable, Page, Procedure, Share, ShareId, StatusDefinition, Task,
    Timeline,
};
use crate::upload::{attachments_form, json_and_files, FileUpload};
use crate::{Result, TheHive};

/// Cases and everything that hangs off them.
#[derive(Debug, Clone, Copy)]
pub struct Cases<'a> {
    pub(crate) hive: &'a TheHive,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseLinkBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    case_id: &'a CaseId,
}

#[derive(Serialize)]
struct UrlLinkBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    url: &'a str,
}

/// Which parts of a case template to apply to existing cases
/// (`POST /api/v1/case/_bulk/caseTemplate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyCaseTemplate {
    /// The cases.
    pub ids: Vec<CaseId>,
    /// The template name or id.
    pub case_template: String,
    /// Other switches (`updateTitlePrefix`, `updateTags`, `importTasks` ...), as the API names
    /// them.
    #[serde(flatten)]
    pub options: Map<String, Value>,
}

impl Cases<'_> {
    /// Creates a case.
    pub async fn create(&self, case: &InputCase) -> Result<Case> {
        self.hive.post(&["case"], case).await
    }

    /// Gets a case by id (`~123`) or number.
    pub async fn get(&self, id: &CaseId) -> Result<Case> {
        self.hive.get(&["case", id.as_str()]).await
    }

    /// Deletes a case.
    pub async fn delete(&self, id: &CaseId) -> Result<()> {
        self.hive.delete(&["case", id.as_str()], NO_BODY).await
    }

    /// Changes the fields set in `update`.
    pub async fn update(&self, id: &CaseId, update: &CaseUpdate) -> Result<()> {
        self.hive.patch(&["case", id.as_str()], update).await
    }

    /// Applies one update to several cases.
    pub async fn bulk_update(&self, ids: &[CaseId], update: &CaseUpdate) -> Result<()> {
        self.hive
            .patch(
                &["case", "_bulk"],
                &WithIds {
                    ids,
                    fields: update,
                },
            )
            .await
    }

    /// Closes a case with a closing status (`TruePositive`, `FalsePositive`, `Indeterminate`,
    /// `Other`, `Duplicated` or an organisation's own), a summary and an impact status.
    pub async fn close(
        &self,
        id: &CaseId,
        status: &str,
        summary: &str,
        impact_status: Option<&str>,
    ) -> Result<()> {
        let update = CaseUpdate {
            status: Some(status.to_owned()),
            summary: Some(Some(summary.to_owned())),
            impact_status: impact_status.map(str::to_owned),
            ..CaseUpdate::default()
        };
        self.update(id, &update).await
    }

    /// Reopens a closed case with an open status (`New`, `InProgress` or an organisation's own).
    pub async fn reopen(&self, id: &CaseId, status: &str) -> Result<()> {
        let update = CaseUpdate {
            status: Some(status.to_owned()),
            ..CaseUpdate::default()
        };
        self.update(id, &update).await
    }

    /// Merges cases into a new one and answers it.
    pub async fn merge(&self, ids: &[CaseId]) -> Result<Case> {
        let joined = ids.iter().map(CaseId::as_str).collect::<Vec<_>>().join(",");
        self.hive.post_empty(&["case", "_merge", &joined]).await
    }

    /// Removes an alert from the case.
    pub async fn unlink_alert(&self, id: &CaseId, alert: &AlertId) -> Result<()> {
        self.hive
            .delete(&["case", id.as_str(), "alert", alert.as_str()], NO_BODY)
            .await
    }

    /// Merges the case's observables that share a value; answers the merge report.
    pub async fn merge_similar_observables(&self, id: &CaseId) -> Result<Value> {
        self.hive
            .post_empty(&["case", id.as_str(), "observable", "_merge"])
            .await
    }

    /// Cases linked to this one by shared observables (deprecated by TheHive in favour of the
    /// `similarCasesLight` query).
    pub async fn links(&self, id: &CaseId) -> Result<Vec<CaseLink>> {
        self.hive.get(&["case", id.as_str(), "links"]).await
    }

    /// Deletes a custom field value from a case.
    pub async fn delete_custom_field(&self, custom_field_value: &str) -> Result<()> {
        self.hive
            .delete(&["case", "customField", custom_field_value], NO_BODY)
            .await
    }

    /// Imports a case archive (`.thar`) exported from TheHive.
    pub async fn import(&self, password: &SecretString, archive: &FileUpload) -> Result<Value> {
        #[derive(Serialize)]
        struct ImportMeta<'a> {
            #[serde(serialize_with = "soc_http::serialize_secret")]
            password: &'a SecretString,
        }
        let meta = ImportMeta { password };
        let form = json_and_files(&meta, &[("file", archive)])?;
        self.hive
            .send_form(Method::POST, &["case", "import"], form)
            .await
    }

    /// Streams an encrypted export of the case (`.thar`) into `writer`.
    pub async fn export<W: AsyncWrite + Unpin>(
        &self,
        id: &CaseId,
        password: &SecretString,
        writer: &mut W,
    ) -> Result<u64> {
        Ok(self
            .hive
            .request(Method::GET, &["case", id.as_str(), "export"])
            .query_secret("password", password)
            .timeout(self.hive.download_timeout)
            .download(writer)
            .await?)
    }

    /// Applies a case template to existing cases.
    pub async fn apply_case_template(&self, apply: &ApplyCaseTemplate) -> Result<()> {
        self.hive
            .post_unit(&["case", "_bulk", "caseTemplate"], Some(apply))
            .await
    }

    /// Gives the case to another organisation (`{organisation, keepProfile?, taskRule?, observableRule?}`).
    pub async fn change_owner<B: Serialize + ?Sized>(
        &self,
        id: &CaseId,
        ownership: &B,
    ) -> Result<()> {
        self.hive
            .post_unit(&["case", id.as_str(), "owner"], Some(ownership))
            .await
    }

    /// Restricts who sees the case; `access` is one of TheHive's access kinds, such as
    /// `{"_kind": "UserAccessKind", "users": ["a@soc.example"]}`.
    pub async fn manage_access(&self, id: &CaseId, access: &Value) -> Result<()> {
        self.hive
            .post_unit(
                &["case", id.as_str(), "access"],
                Some(&serde_json::json!({ "access": access })),
            )
            .await
    }

    /// Sets the access of several cases.
    pub async fn bulk_manage_access(&self, ids: &[CaseId], access: &Value) -> Result<()> {
        self.hive
            .post_unit(
                &["case", "_bulk", "access"],
                Some(&serde_json::json!({ "ids": ids, "access": access })),
            )
            .await
    }

    /// Observables the case shares with an alert or another case.
    pub async fn similar_observables(
        &self,
        id: &CaseId,
        alert_or_case: &str,
    ) -> Result<Vec<Observable>> {
        self.hive
            .get(&["case", id.as_str(), "similar", alert_or_case, "observables"])
            .await
    }

    /// Links another case with a link type.
    pub async fn link_case(&self, id: &CaseId, link_type: &str, other: &CaseId) -> Result<()> {
        let body = CaseLinkBody {
            kind: link_type,
            case_id: other,
        };
        self.hive
            .post_unit(&["case", id.as_str(), "link", "case", "add"], Some(&body))
            .await
    }

    /// Removes a link to another case.
    pub async fn unlink_case(&self, id: &CaseId, link_type: &str, other: &CaseId) -> Result<()> {
        let body = CaseLinkBody {
            kind: link_type,
            case_id: other,
        };
        self.hive
            .post_unit(
                &["case", id.as_str(), "link", "case", "remove"],
                Some(&body),
            )
            .await
    }

    /// Links an external URL with a link type.
    pub async fn link_url(&self, id: &CaseId, link_type: &str, url: &str) -> Result<()> {
        let body = UrlLinkBody {
            kind: link_type,
            url,
        };
        self.hive
            .post_unit(
                &["case", id.as_str(), "link", "external", "add"],
                Some(&body),
            )
            .await
    }

    /// Removes a link to an external URL.
    pub async fn unlink_url(&self, id: &CaseId, link_type: &str, url: &str) -> Result<()> {
        let body = UrlLinkBody {
            kind: link_type,
            url,
        };
        self.hive
            .post_unit(
                &["case", id.as_str(), "link", "external", "remove"],
                Some(&body),
            )
            .await
    }

    /// The link types in use.
    pub async fn link_types(&self) -> Result<Vec<String>> {
        self.hive.get(&["case", "link", "types"]).await
    }

    /// The case's timeline.
    pub async fn timeline(&self, id: &CaseId) -> Result<Timeline> {
        self.hive.get(&["case", id.as_str(), "timeline"]).await
    }

    /// Adds a custom event to the timeline.
    pub async fn create_custom_event(
        &self,
        id: &CaseId,
        event: &InputCustomEvent,
    ) -> Result<Entity> {
        self.hive
            .post(&["case", id.as_str(), "customEvent"], event)
            .await
    }

    /// Updates a custom timeline event.
    pub async fn update_custom_event<B: Serialize + ?Sized>(
        &self,
        event_id: &str,
        fields: &B,
    ) -> Result<()> {
        self.hive.patch(&["customEvent", event_id], fields).await
    }

    /// Deletes a custom timeline event.
    pub async fn delete_custom_event(&self, event_id: &str) -> Result<()> {
        self.hive.delete(&["customEvent", event_id], NO_BODY).await
    }

    /// Uploads files to the case.
    pub async fn add_attachments(
        &self,
        id: &CaseId,
        files: &[FileUpload],
    ) -> Result<Vec<Attachment>> {
        let form = attachments_form(files, &[])?;
        let a: Attachments = self
            .hive
            .send_form(Method::POST, &["case", id.as_str(), "attachments"], form)
            .await?;
        Ok(a.attachments)
    }

    /// Streams an attachment into `writer`.
    pub async fn download_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &CaseId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(
                &["case", id.as_str(), "attachment", attachment, "download"],
                writer,
            )
            .await
    }

    /// Streams an attachment for display (the route without `/download`).
    pub async fn get_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &CaseId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["case", id.as_str(), "attachment", attachment], writer)
            .await
    }

    /// Marks an attachment as external or not.
    pub async fn update_attachment(
        &self,
        id: &CaseId,
        attachment: &str,
        external: bool,
    ) -> Result<()> {
        self.hive
            .patch(
                &["case", id.as_str(), "attachment", attachment],
                &serde_json::json!({ "external": external }),
            )
            .await
    }

    /// Deletes an attachment.
    pub async fn delete_attachment(&self, id: &CaseId, attachment: &str) -> Result<()> {
        self.hive
            .delete(&["case", id.as_str(), "attachment", attachment], NO_BODY)
            .await
    }

    /// The organisations the case is shared with.
    pub async fn shares(&self, id: &CaseId) -> Result<Vec<Share>> {
        self.hive.get(&["case", id.as_str(), "shares"]).await
    }

    /// Shares the case with more organisations.
    pub async fn share(&self, id: &CaseId, shares: &[InputShare]) -> Result<Vec<Share>> {
        self.hive
            .post(
                &["case", id.as_str(), "shares"],
                &serde_json::json!({ "shares": shares }),
            )
            .await
    }

    /// Sets the case's shares to exactly `shares`.
    pub async fn set_shares(&self, id: &CaseId, shares: &[InputShare]) -> Result<Vec<Share>> {
        self.hive
            .put(
                &["case", id.as_str(), "shares"],
                &serde_json::json!({ "shares": shares }),
            )
            .await
    }

    /// Stops sharing the case with organisations.
    pub async fn unshare(&self, id: &CaseId, organisations: &[&str]) -> Result<()> {
        self.hive
            .delete(
                &["case", id.as_str(), "shares"],
                Some(&Organisations { organisations }),
            )
            .await
    }

    /// Deletes one share.
    pub async fn remove_share(&self, share: &ShareId) -> Result<()> {
        self.hive
            .delete(&["case", "share", share.as_str()], NO_BODY)
            .await
    }

    /// Changes the profile of a share.
    pub async fn update_share(&self, share: &ShareId, profile: &str) -> Result<()> {
        self.hive
            .patch(
                &["case", "share", share.as_str()],
                &serde_json::json!({ "profile": profile }),
            )
            .await
    }

    /// Deletes several shares.
    pub async fn remove_shares(&self, shares: &[ShareId]) -> Result<()> {
        self.hive
            .delete(&["case", "shares"], Some(&Ids { ids: shares }))
            .await
    }

    /// Adds a task.
    pub async fn create_task(&self, id: &CaseId, task: &InputTask) -> Result<Task> {
        self.hive.post(&["case", id.as_str(), "task"], task).await
    }

    /// Adds observables; one [`InputObservable`] with several values creates several.
    pub async fn create_observable(
        &self,
        id: &CaseId,
        observable: &InputObservable,
    ) -> Result<Vec<Observable>> {
        self.hive
            .post(&["case", id.as_str(), "observable"], observable)
            .await
    }

    /// Adds a file observable (multipart `_json` + `attachment`).
    pub async fn create_file_observable(
        &self,
        id: &CaseId,
        observable: &InputObservable,
        file: &FileUpload,
    ) -> Result<Vec<Observable>> {
        let form = json_and_files(observable, &[("attachment", file)])?;
        self.hive
            .send_form(Method::POST, &["case", id.as_str(), "observable"], form)
            .await
    }

    /// Records a TTP.
    pub async fn create_procedure(
        &self,
        id: &CaseId,
        procedure: &InputProcedure,
    ) -> Result<Procedure> {
        self.hive
            .post(&["case", id.as_str(), "procedure"], procedure)
            .await
    }

    /// Records several TTPs.
    pub async fn bulk_create_procedures(
        &self,
        id: &CaseId,
        procedures: &[InputProcedure],
    ) -> Result<Vec<Procedure>> {
        self.hive
            .post(
                &["case", id.as_str(), "procedures"],
                &serde_json::json!({ "procedures": procedures }),
            )
            .await
    }

    /// Adds a page.
    pub async fn create_page(&self, id: &CaseId, page: &InputPage) -> Result<Page> {
        self.hive.post(&["case", id.as_str(), "page"], page).await
    }

    /// Changes a page (`{title?, content?, order?, category?}`).
    pub async fn update_page<B: Serialize + ?Sized>(
        &self,
        id: &CaseId,
        page_id: &str,
        fields: &B,
    ) -> Result<()> {
        self.hive
            .patch(&["case", id.as_str(), "page", page_id], fields)
            .await
    }

    /// Deletes a page.
    pub async fn delete_page(&self, id: &CaseId, page_id: &str) -> Result<()> {
        self.hive
            .delete(&["case", id.as_str(), "page", page_id], NO_BODY)
            .await
    }

    /// Comments on the case.
    pub async fn add_comment(&self, id: &CaseId, message: &str) -> Result<Comment> {
        self.hive
            .post(
                &["case", id.as_str(), "comment"],
                &InputComment::new(message),
            )
            .await
    }

    /// The MITRE ATT&CK patterns of the case's procedures.
    pub async fn patterns(&self, id: &CaseId) -> Result<Vec<Entity>> {
        self.hive.get(&["pattern", "case", id.as_str()]).await
    }

    finders!(Case, "cases", "listCase", "cases");
    sub_finder!(
        find_tasks,
        CaseId,
        Task,
        "case's tasks",
        "getCase",
        "tasks",
        "case-tasks"
    );
    sub_finder!(
        find_observables,
        CaseId,
        Observable,
        "case's observables",
        "getCase",
        "observables",
        "case-observables"
    );
    sub_finder!(
        find_procedures,
        CaseId,
        Procedure,
        "case's procedures",
        "getCase",
        "procedures",
        "case-procedures"
    );
    sub_finder!(
        find_pages,
        CaseId,
        Page,
        "case's pages",
        "getCase",
        "pages",
        "case-pages"
    );
    sub_finder!(
        find_attachments,
        CaseId,
        Attachment,
        "case's attachments",
        "getCase",
        "attachments",
        "case-attachments"
    );
    sub_finder!(
        find_comments,
        CaseId,
        Comment,
        "case's comments",
        "getCase",
        "comments",
        "case-comments"
    );
    sub_finder!(
        find_alerts,
        CaseId,
        Alert,
        "alerts merged into the case",
        "getCase",
        "alerts",
        "case-alerts"
    );

    /// Lists the case statuses defined in the organisation (`listCaseStatus`).
    pub async fn statuses(&self) -> Result<Vec<StatusDefinition>> {
        self.hive
            .query()
            .run_named(
                &crate::query::Query::new("listCaseStatus"),
                Some("case-statuses"),
            )
            .await
    }
}
