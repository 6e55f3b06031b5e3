//! Alerts (`/api/v1/alert`).

use serde::Serialize;
use soc_http::Method;
use tokio::io::AsyncWrite;

use super::{finders, sub_finder, Ids, WithIds};
use crate::client::NO_BODY;
use crate::model::{
    Alert, AlertId, AlertUpdate, Attachment, Attachments, Case, CaseId, Comment, InputAlert,
    InputComment, InputObservable, InputProcedure, Observable, Procedure, PromoteAlert,
};
use crate::upload::{attachments_form, json_and_files, FileUpload};
use crate::{Error, Result, TheHive};

/// Alerts: create, triage, promote, merge.
#[derive(Debug, Clone, Copy)]
pub struct Alerts<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Alerts<'_> {
    /// Creates an alert, with its observables (`POST /api/v1/alert`).
    ///
    /// Never retried once sent: a replay could create a duplicate.
    ///
    /// # Errors
    /// [`Error::AlertAlreadyExists`] when an alert with the same `type`, `source` and
    /// `sourceRef` exists (TheHive answers 400); any other status or transport error.
    pub async fn create(&self, alert: &InputAlert) -> Result<Alert> {
        self.hive
            .request(Method::POST, &["alert"])
            .json_body(alert)
            .json()
            .await
            .map_err(Error::from_alert_create)
    }

    /// Creates an alert whose file observables travel as multipart parts: each
    /// `(part name, file)` pair is referenced by an observable built with
    /// [`InputObservable::file_in_part`].
    ///
    /// # Errors
    /// As [`Alerts::create`].
    pub async fn create_with_files(
        &self,
        alert: &InputAlert,
        files: &[(&str, &FileUpload)],
    ) -> Result<Alert> {
        let form = json_and_files(alert, files)?;
        self.hive
            .request(Method::POST, &["alert"])
            .multipart(form)
            .json()
            .await
            .map_err(Error::from_alert_create)
    }

    /// Gets an alert by id, or by `type;source;sourceRef`.
    pub async fn get(&self, id: &AlertId) -> Result<Alert> {
        self.hive.get(&["alert", id.as_str()]).await
    }

    /// Deletes an alert.
    pub async fn delete(&self, id: &AlertId) -> Result<()> {
        self.hive.delete(&["alert", id.as_str()], NO_BODY).await
    }

    /// Changes the fields set in `update`.
    pub async fn update(&self, id: &AlertId, update: &AlertUpdate) -> Result<()> {
        self.hive.patch(&["alert", id.as_str()], update).await
    }

    /// Applies one update to several alerts (`PATCH /api/v1/alert/_bulk`).
    pub async fn bulk_update(&self, ids: &[AlertId], update: &AlertUpdate) -> Result<()> {
        self.hive
            .patch(
                &["alert", "_bulk"],
                &WithIds {
                    ids,
                    fields: update,
                },
            )
            .await
    }

    /// Deletes several alerts.
    pub async fn bulk_delete(&self, ids: &[AlertId]) -> Result<()> {
        self.hive
            .post_unit(&["alert", "delete", "_bulk"], Some(&Ids { ids }))
            .await
    }

    /// Creates a case from the alert.
    pub async fn promote_to_case(&self, id: &AlertId, options: &PromoteAlert) -> Result<Case> {
        self.hive
            .post(&["alert", id.as_str(), "case"], options)
            .await
    }

    /// Follows the alert's updates from its source.
    pub async fn follow(&self, id: &AlertId) -> Result<()> {
        self.hive
            .post_unit(&["alert", id.as_str(), "follow"], NO_BODY)
            .await
    }

    /// Stops following the alert's updates.
    pub async fn unfollow(&self, id: &AlertId) -> Result<()> {
        self.hive
            .post_unit(&["alert", id.as_str(), "unfollow"], NO_BODY)
            .await
    }

    /// Merges the alert into a case and answers the case.
    pub async fn merge_into_case(&self, id: &AlertId, case: &CaseId) -> Result<Case> {
        self.hive
            .post_empty(&["alert", id.as_str(), "merge", case.as_str()])
            .await
    }

    /// Imports the alert's observables into a case and answers the case.
    pub async fn import_into_case(&self, id: &AlertId, case: &CaseId) -> Result<Case> {
        self.hive
            .post_empty(&["alert", id.as_str(), "import", case.as_str()])
            .await
    }

    /// Merges several alerts into a case.
    pub async fn bulk_merge_into_case(&self, case: &CaseId, alerts: &[AlertId]) -> Result<Case> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            case_id: &'a CaseId,
            alert_ids: &'a [AlertId],
        }
        self.hive
            .post(
                &["alert", "merge", "_bulk"],
                &Body {
                    case_id: case,
                    alert_ids: alerts,
                },
            )
            .await
    }

    /// Observables the alert shares with another alert or a case.
    pub async fn similar_observables(
        &self,
        id: &AlertId,
        alert_or_case: &str,
    ) -> Result<Vec<Observable>> {
        self.hive
            .get(&[
                "alert",
                id.as_str(),
                "similar",
                alert_or_case,
                "observables",
            ])
            .await
    }

    /// Adds observables to the alert. Several values in one [`InputObservable`] create several
    /// observables; TheHive answers all of them.
    pub async fn create_observable(
        &self,
        id: &AlertId,
        observable: &InputObservable,
    ) -> Result<Vec<Observable>> {
        self.hive
            .post(&["alert", id.as_str(), "observable"], observable)
            .await
    }

    /// Adds a file observable (multipart `_json` + `attachment`).
    pub async fn create_file_observable(
        &self,
        id: &AlertId,
        observable: &InputObservable,
        file: &FileUpload,
    ) -> Result<Vec<Observable>> {
        let form = json_and_files(observable, &[("attachment", file)])?;
        self.hive
            .send_form(Method::POST, &["alert", id.as_str(), "observable"], form)
            .await
    }

    /// Uploads files to the alert; `can_rename` lets TheHive rename clashing names.
    pub async fn add_attachments(
        &self,
        id: &AlertId,
        files: &[FileUpload],
        can_rename: bool,
    ) -> Result<Vec<Attachment>> {
        let form = attachments_form(files, &[("canRename", can_rename.to_string())])?;
        let a: Attachments = self
            .hive
            .send_form(Method::POST, &["alert", id.as_str(), "attachments"], form)
            .await?;
        Ok(a.attachments)
    }

    /// Streams an attachment's content into `writer`; answers the bytes written.
    pub async fn download_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &AlertId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(
                &["alert", id.as_str(), "attachment", attachment, "download"],
                writer,
            )
            .await
    }

    /// Streams an attachment for display (the route without `/download`).
    pub async fn get_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &AlertId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["alert", id.as_str(), "attachment", attachment], writer)
            .await
    }

    /// Deletes an attachment.
    pub async fn delete_attachment(&self, id: &AlertId, attachment: &str) -> Result<()> {
        self.hive
            .delete(&["alert", id.as_str(), "attachment", attachment], NO_BODY)
            .await
    }

    /// Comments on the alert.
    pub async fn add_comment(&self, id: &AlertId, message: &str) -> Result<Comment> {
        self.hive
            .post(
                &["alert", id.as_str(), "comment"],
                &InputComment::new(message),
            )
            .await
    }

    /// Records a TTP on the alert.
    pub async fn create_procedure(
        &self,
        id: &AlertId,
        procedure: &InputProcedure,
    ) -> Result<Procedure> {
        self.hive
            .post(&["alert", id.as_str(), "procedure"], procedure)
            .await
    }

    /// Records several TTPs on the alert.
    pub async fn bulk_create_procedures(
        &self,
        id: &AlertId,
        procedures: &[InputProcedure],
    ) -> Result<Vec<Procedure>> {
        self.hive
            .post(
                &["alert", id.as_str(), "procedures"],
                &serde_json::json!({ "procedures": procedures }),
            )
            .await
    }

    finders!(Alert, "alerts", "listAlert", "alerts");
    sub_finder!(
        find_observables,
        AlertId,
        Observable,
        "alert's observables",
        "getAlert",
        "observables",
        "alert-observables"
    );
    sub_finder!(
        find_comments,
        AlertId,
        Comment,
        "alert's comments",
        "getAlert",
        "comments",
        "alert-comments"
    );
    sub_finder!(
        find_procedures,
        AlertId,
        Procedure,
        "alert's procedures",
        "getAlert",
        "procedures",
        "alert-procedures"
    );
    sub_finder!(
        find_attachments,
        AlertId,
        Attachment,
        "alert's attachments",
        "getAlert",
        "attachments",
        "alert-attachments"
    );

    /// Lists the alert statuses defined in the organisation (`listAlertStatus`).
    pub async fn statuses(&self) -> Result<Vec<crate::model::StatusDefinition>> {
        self.hive
            .query()
            .run_named(
                &crate::query::Query::new("listAlertStatus"),
                Some("alert-statuses"),
            )
            .await
    }
}
