//! Analyzers and responders: `/api/analyzer*`, `/api/responder*` and their organisation,
//! definition and configuration routes, one generic handler for both.

use std::marker::PhantomData;

use futures_util::Stream;
use serde::Serialize;
use serde_json::{json, Value};
use soc_http::{Method, Multipart, Part};

use super::Listed;
use crate::client::decode;
use crate::model::{
    EnableWorker, Job, JobInput, ResponderInput, Worker, WorkerConfig, WorkerDefinition,
};
use crate::query::{ListOptions, Q};
use crate::{Cortex, Error, FileUpload, Result};

/// Analyzers or responders.
pub trait WorkerKind {
    /// `analyzer` or `responder`.
    const NAME: &'static str;
    /// `analyzerdefinition` or `responderdefinition`.
    const DEFINITIONS: &'static str;
    /// `analyzerconfig` or `responderconfig`.
    const CONFIGS: &'static str;
}

/// Marker of the analyzer routes.
#[derive(Debug, Clone, Copy)]
pub enum Analyzer {}
/// Marker of the responder routes.
#[derive(Debug, Clone, Copy)]
pub enum Responder {}

impl WorkerKind for Analyzer {
    const NAME: &'static str = "analyzer";
    const DEFINITIONS: &'static str = "analyzerdefinition";
    const CONFIGS: &'static str = "analyzerconfig";
}

impl WorkerKind for Responder {
    const NAME: &'static str = "responder";
    const DEFINITIONS: &'static str = "responderdefinition";
    const CONFIGS: &'static str = "responderconfig";
}

/// Analyzers (`Workers<Analyzer>`) or responders (`Workers<Responder>`).
#[derive(Debug, Clone, Copy)]
pub struct Workers<'a, K> {
    pub(crate) cortex: &'a Cortex,
    pub(crate) kind: PhantomData<K>,
}

impl<K: WorkerKind> Workers<'_, K> {
    /// The workers enabled for the caller (`GET /api/<kind>`).
    pub async fn list(&self, opts: &ListOptions) -> Result<Listed<Worker>> {
        self.cortex.list(&[K::NAME], opts).await.map(Into::into)
    }

    /// Workers matching a query (`POST /api/<kind>/_search`).
    pub async fn search(&self, query: &Q, opts: &ListOptions) -> Result<Listed<Worker>> {
        self.cortex
            .search(
                Method::POST,
                &[K::NAME, "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Every worker matching a query, `page_size` at a time.
    pub fn stream(&self, query: Q, page_size: u64) -> impl Stream<Item = Result<Worker>> + 'static {
        self.cortex.stream_search(
            vec![K::NAME.to_owned(), "_search".to_owned()],
            query,
            ListOptions::new(),
            page_size,
        )
    }

    /// Gets a worker by id.
    pub async fn get(&self, id: &str) -> Result<Worker> {
        self.cortex.get(&[K::NAME, id]).await
    }

    /// Finds a worker by name.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no worker has that name.
    pub async fn get_by_name(&self, name: &str) -> Result<Worker> {
        let found = self
            .search(&Q::eq("name", name), &ListOptions::new().range(0, 1))
            .await?;
        found
            .items
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                entity: K::NAME,
                name: name.to_owned(),
            })
    }

    /// Workers accepting a data type.
    pub async fn for_data_type(&self, data_type: &str) -> Result<Vec<Worker>> {
        self.cortex.get(&[K::NAME, "type", data_type]).await
    }

    /// Changes a worker's configuration, rate limit or cache (`{configuration?, rate?, rateUnit?,
    /// jobCache?, jobTimeout?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Worker> {
        self.cortex.patch(&[K::NAME, id], fields).await
    }

    /// Disables (deletes) a worker in the caller's organisation.
    pub async fn disable(&self, id: &str) -> Result<()> {
        self.cortex.unit(Method::DELETE, &[K::NAME, id], None).await
    }

    /// Every worker that can be enabled.
    pub async fn definitions(&self) -> Result<Vec<WorkerDefinition>> {
        let v: Value = self.cortex.get(&[K::DEFINITIONS]).await?;
        definitions_from(v)
    }

    /// Reloads the catalogues of definitions.
    pub async fn rescan(&self) -> Result<()> {
        self.cortex
            .unit(Method::POST, &[K::DEFINITIONS, "scan"], None)
            .await
    }

    /// The workers enabled in the caller's organisation (`GET /api/organization/<kind>`).
    pub async fn enabled(&self, opts: &ListOptions) -> Result<Listed<Worker>> {
        self.cortex
            .list(&["organization", K::NAME], opts)
            .await
            .map(Into::into)
    }

    /// Enabled workers matching a query (`GET /api/organization/<kind>/_search`).
    pub async fn search_enabled(&self, query: &Q, opts: &ListOptions) -> Result<Listed<Worker>> {
        self.cortex
            .search(
                Method::GET,
                &["organization", K::NAME, "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Enables a definition in the caller's organisation, with its configuration.
    pub async fn enable(&self, definition_id: &str, settings: &EnableWorker) -> Result<Worker> {
        self.cortex
            .post(&["organization", K::NAME, definition_id], settings)
            .await
    }

    /// The shared configurations (`GET /api/<kind>config`).
    pub async fn configs(&self) -> Result<Vec<WorkerConfig>> {
        self.cortex.get(&[K::CONFIGS]).await
    }

    /// One shared configuration.
    pub async fn config(&self, name: &str) -> Result<WorkerConfig> {
        self.cortex.get(&[K::CONFIGS, name]).await
    }

    /// Sets a shared configuration (`{"config": {...}}`, such as the proxy or TLP checks).
    pub async fn update_config(&self, name: &str, config: &Value) -> Result<WorkerConfig> {
        self.cortex
            .patch(&[K::CONFIGS, name], &json!({ "config": config }))
            .await
    }
}

/// Cortex answers definitions as a list, or as a map by id on some versions.
fn definitions_from(v: Value) -> Result<Vec<WorkerDefinition>> {
    let items = match v {
        Value::Array(items) => items,
        Value::Object(map) => map.into_iter().map(|(_, d)| d).collect(),
        other => {
            return Err(Error::InvalidInput(format!(
                "worker definitions should be a list or a map, got {other}"
            )))
        }
    };
    items
        .into_iter()
        .map(|d| {
            serde_json::from_value(d)
                .map_err(|e| Error::InvalidInput(format!("worker definition: {e}")))
        })
        .collect()
}

impl Workers<'_, Analyzer> {
    /// Runs an analyzer on a value; `force` bypasses the job cache (which otherwise answers a
    /// recent identical job).
    pub async fn run(&self, id: &str, input: &JobInput, force: bool) -> Result<Job> {
        let mut r = self
            .cortex
            .request(Method::POST, &["analyzer", id, "run"])
            .json_body(input);
        if force {
            r = r.query_pair("force", "1");
        }
        decode(r).await
    }

    /// Runs an analyzer on a file (multipart `_json` + `attachment`).
    pub async fn run_file(
        &self,
        id: &str,
        input: &JobInput,
        file: &FileUpload,
        force: bool,
    ) -> Result<Job> {
        let form = Multipart::new()
            .part(Part::json("_json", input)?)
            .part(Part::file(
                "attachment",
                file.file_name.clone(),
                file.content_type.clone(),
                file.data.clone(),
            ));
        let mut r = self
            .cortex
            .request(Method::POST, &["analyzer", id, "run"])
            .multipart(form);
        if force {
            r = r.query_pair("force", "1");
        }
        decode(r).await
    }

    /// Finds an analyzer by name and runs it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no analyzer has that name.
    pub async fn run_by_name(&self, name: &str, input: &JobInput, force: bool) -> Result<Job> {
        let a = self.get_by_name(name).await?;
        self.run(a.id(), input, force).await
    }
}

impl Workers<'_, Responder> {
    /// Runs a responder on a TheHive entity.
    pub async fn run(&self, id: &str, input: &ResponderInput) -> Result<Job> {
        self.cortex.post(&["responder", id, "run"], input).await
    }

    /// Finds a responder by name and runs it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no responder has that name.
    pub async fn run_by_name(&self, name: &str, input: &ResponderInput) -> Result<Job> {
        let r = self.get_by_name(name).await?;
        self.run(r.id(), input).await
    }
}
