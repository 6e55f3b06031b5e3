//! Tasks (`/api/v1/task`), their logs (`/api/v1/log`) and comments (`/api/v1/comment`).

use serde::Serialize;
use serde_json::{Map, Value};
use soc_http::Method;
use tokio::io::AsyncWrite;

use super::{finders, sub_finder, Organisations, WithIds};
use crate::client::NO_BODY;
use crate::model::{Comment, CommentId, InputComment, InputLog, Log, LogId, Share, Task, TaskId};
use crate::query::Query;
use crate::upload::{attachments_form, json_and_files, FileUpload};
use crate::{Error, Result, TheHive};

/// Tasks.
#[derive(Debug, Clone, Copy)]
pub struct Tasks<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Tasks<'_> {
    /// Gets a task.
    pub async fn get(&self, id: &TaskId) -> Result<Task> {
        self.hive.get(&["task", id.as_str()]).await
    }

    /// Deletes a task.
    pub async fn delete(&self, id: &TaskId) -> Result<()> {
        self.hive.delete(&["task", id.as_str()], NO_BODY).await
    }

    /// Changes fields (`{status?, assignee?, title?, dueDate? ...}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &TaskId, fields: &B) -> Result<()> {
        self.hive.patch(&["task", id.as_str()], fields).await
    }

    /// Applies one change to several tasks.
    pub async fn bulk_update<B: Serialize + ?Sized>(
        &self,
        ids: &[TaskId],
        fields: &B,
    ) -> Result<()> {
        self.hive
            .patch(&["task", "_bulk"], &WithIds { ids, fields })
            .await
    }

    /// Which organisations must act on the task, and whether they did.
    pub async fn required_actions(&self, id: &TaskId) -> Result<Map<String, Value>> {
        self.hive
            .get(&["task", id.as_str(), "actionRequired"])
            .await
    }

    /// Requires an organisation to act on the task.
    pub async fn set_action_required(&self, id: &TaskId, organisation: &str) -> Result<()> {
        self.hive
            .put_unit(
                &["task", id.as_str(), "actionRequired", organisation],
                NO_BODY,
            )
            .await
    }

    /// Marks an organisation's required action as done.
    pub async fn set_action_done(&self, id: &TaskId, organisation: &str) -> Result<()> {
        self.hive
            .put_unit(&["task", id.as_str(), "actionDone", organisation], NO_BODY)
            .await
    }

    /// The organisations the task is shared with.
    pub async fn shares(&self, id: &TaskId) -> Result<Vec<Share>> {
        self.hive.get(&["task", id.as_str(), "shares"]).await
    }

    /// Shares the task.
    pub async fn share(&self, id: &TaskId, organisations: &[&str]) -> Result<()> {
        self.hive
            .post_unit(
                &["task", id.as_str(), "shares"],
                Some(&Organisations { organisations }),
            )
            .await
    }

    /// Stops sharing the task.
    pub async fn unshare(&self, id: &TaskId, organisations: &[&str]) -> Result<()> {
        self.hive
            .delete(
                &["task", id.as_str(), "shares"],
                Some(&Organisations { organisations }),
            )
            .await
    }

    /// Writes a log on the task.
    pub async fn create_log(&self, id: &TaskId, log: &InputLog) -> Result<Log> {
        self.hive.post(&["task", id.as_str(), "log"], log).await
    }

    /// Writes a log with attached files (multipart `_json` + `attachments`).
    pub async fn create_log_with_files(
        &self,
        id: &TaskId,
        log: &InputLog,
        files: &[FileUpload],
    ) -> Result<Log> {
        let parts: Vec<(&str, &FileUpload)> = files.iter().map(|f| ("attachments", f)).collect();
        let form = json_and_files(log, &parts)?;
        self.hive
            .send_form(Method::POST, &["task", id.as_str(), "log"], form)
            .await
    }

    /// Tasks waiting for someone in the organisation (`waitingTasks`).
    pub async fn waiting(&self) -> Result<Vec<Task>> {
        self.hive
            .query()
            .run_named(&Query::new("waitingTasks"), Some("waiting-tasks"))
            .await
    }

    /// Tasks assigned to the current user (`myTasks`).
    pub async fn mine(&self) -> Result<Vec<Task>> {
        self.hive
            .query()
            .run_named(&Query::new("myTasks"), Some("my-tasks"))
            .await
    }

    finders!(Task, "tasks", "listTask", "tasks");
    sub_finder!(
        find_logs,
        TaskId,
        Log,
        "task's logs",
        "getTask",
        "logs",
        "case-task-logs"
    );
}

/// Task logs.
#[derive(Debug, Clone, Copy)]
pub struct Logs<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Logs<'_> {
    /// Gets a log (through the Query API: TheHive has no GET route for logs).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such log.
    pub async fn get(&self, id: &LogId) -> Result<Log> {
        one(
            self.hive,
            Query::get("getLog", id.as_str()),
            "log",
            id.as_str(),
        )
        .await
    }

    /// Deletes a log.
    pub async fn delete(&self, id: &LogId) -> Result<()> {
        self.hive.delete(&["log", id.as_str()], NO_BODY).await
    }

    /// Changes a log (`{message?, includeInTimeline?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &LogId, fields: &B) -> Result<()> {
        self.hive.patch(&["log", id.as_str()], fields).await
    }

    /// Attaches files to a log.
    pub async fn add_attachments(&self, id: &LogId, files: &[FileUpload]) -> Result<()> {
        let form = attachments_form(files, &[])?;
        self.hive
            .send_form_unit(Method::POST, &["log", id.as_str(), "attachments"], form)
            .await
    }

    /// Removes a file from a log.
    pub async fn delete_attachment(&self, id: &LogId, attachment: &str) -> Result<()> {
        self.hive
            .delete(&["log", id.as_str(), "attachments", attachment], NO_BODY)
            .await
    }

    /// Streams a log's file into `writer`.
    pub async fn download_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &LogId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(
                &["log", id.as_str(), "attachment", attachment, "download"],
                writer,
            )
            .await
    }

    /// Streams a log's file for display (the route without `/download`).
    pub async fn get_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &LogId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(&["log", id.as_str(), "attachment", attachment], writer)
            .await
    }

    finders!(Log, "task logs", "listLog", "logs");
}

/// Comments on alerts and cases.
#[derive(Debug, Clone, Copy)]
pub struct Comments<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Comments<'_> {
    /// Gets a comment (through the Query API).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such comment.
    pub async fn get(&self, id: &CommentId) -> Result<Comment> {
        one(
            self.hive,
            Query::get("getComment", id.as_str()),
            "comment",
            id.as_str(),
        )
        .await
    }

    /// Changes a comment's text.
    pub async fn update(&self, id: &CommentId, message: &str) -> Result<()> {
        self.hive
            .patch(&["comment", id.as_str()], &InputComment::new(message))
            .await
    }

    /// Deletes a comment.
    pub async fn delete(&self, id: &CommentId) -> Result<()> {
        self.hive.delete(&["comment", id.as_str()], NO_BODY).await
    }

    finders!(Comment, "comments", "listComment", "comments");
}

/// The one entity a `get<Entity>` query selects. TheHive answers the object itself; a list (of
/// one, or empty) is accepted too.
pub(crate) async fn one<T: serde::de::DeserializeOwned>(
    hive: &TheHive,
    query: Query,
    entity: &'static str,
    id: &str,
) -> Result<T> {
    let v: serde_json::Value = hive.query().run_value(&query, Some(entity)).await?;
    let item = match v {
        serde_json::Value::Array(items) => items.into_iter().next(),
        serde_json::Value::Null => None,
        other => Some(other),
    };
    let item = item.ok_or_else(|| Error::NotFound {
        entity,
        id: id.to_owned(),
    })?;
    soc_http::decode_json(item.to_string().as_bytes()).map_err(Error::from)
}
