//! Observables (`/api/v1/observable`).

use serde::Serialize;
use soc_http::Method;
use tokio::io::AsyncWrite;

use super::{finders, Organisations, WithIds};
use crate::client::NO_BODY;
use crate::model::{Observable, ObservableId, Share};
use crate::{Result, TheHive};

/// Observables: read, change, share, download their files.
#[derive(Debug, Clone, Copy)]
pub struct Observables<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Observables<'_> {
    /// Gets an observable.
    pub async fn get(&self, id: &ObservableId) -> Result<Observable> {
        self.hive.get(&["observable", id.as_str()]).await
    }

    /// Deletes an observable.
    pub async fn delete(&self, id: &ObservableId) -> Result<()> {
        self.hive
            .delete(&["observable", id.as_str()], NO_BODY)
            .await
    }

    /// Changes fields (`{ioc?, sighted?, tlp?, tags?, addTags?, removeTags?, message? ...}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &ObservableId, fields: &B) -> Result<()> {
        self.hive.patch(&["observable", id.as_str()], fields).await
    }

    /// Applies one change to several observables.
    pub async fn bulk_update<B: Serialize + ?Sized>(
        &self,
        ids: &[ObservableId],
        fields: &B,
    ) -> Result<()> {
        self.hive
            .patch(&["observable", "_bulk"], &WithIds { ids, fields })
            .await
    }

    /// Streams a file observable's content into `writer`. With `as_zip`, TheHive sends a zip
    /// protected by the password `malware`, safe to handle on an analyst's machine.
    pub async fn download_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &ObservableId,
        attachment: &str,
        as_zip: bool,
        writer: &mut W,
    ) -> Result<u64> {
        let mut r = self.hive.request(
            Method::GET,
            &[
                "observable",
                id.as_str(),
                "attachment",
                attachment,
                "download",
            ],
        );
        if as_zip {
            r = r.query_pair("asZip", "true");
        }
        Ok(r.download(writer).await?)
    }

    /// Streams a file observable's content for display (the route without `/download`).
    pub async fn get_attachment<W: AsyncWrite + Unpin>(
        &self,
        id: &ObservableId,
        attachment: &str,
        writer: &mut W,
    ) -> Result<u64> {
        self.hive
            .download(
                &["observable", id.as_str(), "attachment", attachment],
                writer,
            )
            .await
    }

    /// The organisations the observable is shared with.
    pub async fn shares(&self, id: &ObservableId) -> Result<Vec<Share>> {
        self.hive.get(&["observable", id.as_str(), "shares"]).await
    }

    /// Shares the observable with organisations that already share its case.
    pub async fn share(&self, id: &ObservableId, organisations: &[&str]) -> Result<()> {
        self.hive
            .post_unit(
                &["observable", id.as_str(), "shares"],
                Some(&Organisations { organisations }),
            )
            .await
    }

    /// Stops sharing the observable.
    pub async fn unshare(&self, id: &ObservableId, organisations: &[&str]) -> Result<()> {
        self.hive
            .delete(
                &["observable", id.as_str(), "shares"],
                Some(&Organisations { organisations }),
            )
            .await
    }

    finders!(Observable, "observables", "listObservable", "observables");
}
