//! One generic handler for the entities that share plain CRUD routes (dashboards, list views,
//! functions, taxonomies, tags, ATT&CK catalogs and patterns), typed by a marker so that only
//! the routes TheHive serves exist.

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::client::NO_BODY;
use crate::model::Entity;
use crate::upload::{json_and_files, FileUpload};
use crate::{Result, TheHive};

/// A kind of record and the path of its routes.
pub trait RecordKind {
    /// The path segment (`dashboard`, `views` ...).
    const PATH: &'static str;
}
/// Kinds created with `POST /api/v1/<path>`.
pub trait Creatable: RecordKind {}
/// Kinds read with `GET /api/v1/<path>/{id}`.
pub trait Readable: RecordKind {}
/// Kinds changed with `PATCH /api/v1/<path>/{id}`.
pub trait Updatable: RecordKind {}
/// Kinds deleted with `DELETE /api/v1/<path>/{id}`.
pub trait Deletable: RecordKind {}

macro_rules! kind {
    ($(#[$m:meta])* $name:ident, $path:literal, [$($cap:ident),*]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub enum $name {}
        impl RecordKind for $name {
            const PATH: &'static str = $path;
        }
        $(impl $cap for $name {})*
    };
}

kind!(
    /// Dashboards (`/api/v1/dashboard`).
    Dashboard, "dashboard", [Creatable, Readable, Updatable, Deletable]
);
kind!(
    /// Saved list views (`/api/v1/views`).
    View, "views", [Creatable, Readable, Updatable, Deletable]
);
kind!(
    /// Functions: JavaScript automations (`/api/v1/function`).
    Function, "function", [Creatable, Readable, Updatable, Deletable]
);
kind!(
    /// Taxonomies (`/api/v1/taxonomy`).
    Taxonomy, "taxonomy", [Creatable, Readable, Deletable]
);
kind!(
    /// Tags of taxonomies (`/api/v1/tag`).
    Tag, "tag", [Readable, Updatable, Deletable]
);
kind!(
    /// ATT&CK pattern catalogs (`/api/v1/catalog`).
    Catalog, "catalog", [Creatable, Updatable, Deletable]
);
kind!(
    /// ATT&CK patterns (`/api/v1/pattern`).
    Pattern, "pattern", [Readable, Deletable]
);

/// Records of kind `K`.
#[derive(Debug, Clone, Copy)]
pub struct Records<'a, K> {
    pub(crate) hive: &'a TheHive,
    pub(crate) kind: PhantomData<K>,
}

impl<'a, K> Records<'a, K> {
    pub(crate) fn new(hive: &'a TheHive) -> Self {
        Self {
            hive,
            kind: PhantomData,
        }
    }
}

impl<K: Creatable> Records<'_, K> {
    /// Creates a record.
    pub async fn create<B: Serialize + ?Sized>(&self, record: &B) -> Result<Entity> {
        self.hive.post(&[K::PATH], record).await
    }
}

impl<K: Readable> Records<'_, K> {
    /// Gets a record.
    pub async fn get(&self, id: &str) -> Result<Entity> {
        self.hive.get(&[K::PATH, id]).await
    }
}

impl<K: Updatable> Records<'_, K> {
    /// Changes a record.
    pub async fn update<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<()> {
        self.hive.patch(&[K::PATH, id], fields).await
    }
}

impl<K: Deletable> Records<'_, K> {
    /// Deletes a record.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.hive.delete(&[K::PATH, id], NO_BODY).await
    }
}

impl Records<'_, Dashboard> {
    /// Gives a dashboard to another user.
    pub async fn change_owner(&self, id: &str, user: &str) -> Result<()> {
        self.hive
            .post_unit(&["dashboard", id, "owner"], Some(&json!({ "user": user })))
            .await
    }
}

impl Records<'_, Taxonomy> {
    /// Makes a taxonomy's tags available.
    pub async fn activate(&self, id: &str) -> Result<()> {
        self.hive
            .put_unit(&["taxonomy", id, "activate"], NO_BODY)
            .await
    }

    /// Hides a taxonomy's tags.
    pub async fn deactivate(&self, id: &str) -> Result<()> {
        self.hive
            .put_unit(&["taxonomy", id, "deactivate"], NO_BODY)
            .await
    }

    /// Imports taxonomies from a zip of MISP taxonomy folders; answers
    /// `{imported: [...], errors: [...]}` (TheHive answers 207 when some failed).
    pub async fn import_zip(&self, archive: &FileUpload) -> Result<Value> {
        let form = soc_http::Multipart::new().part(archive.part("file"));
        self.hive
            .send_form(Method::POST, &["taxonomy", "import-zip"], form)
            .await
    }
}

impl Records<'_, Pattern> {
    /// Imports MITRE ATT&CK patterns (a STIX bundle) into a catalog.
    pub async fn import_attack(&self, catalog: &str, bundle: &FileUpload) -> Result<Value> {
        let form = json_and_files(&json!({ "catalog": catalog }), &[("file", bundle)])?;
        self.hive
            .send_form(Method::POST, &["pattern", "import", "attack"], form)
            .await
    }
}

impl Records<'_, Function> {
    /// Calls a function of type `api` with a JSON input; `dry_run` runs it without writes.
    pub async fn invoke<B: Serialize + ?Sized>(
        &self,
        name: &str,
        input: &B,
        dry_run: bool,
    ) -> Result<Value> {
        let mut r = self
            .hive
            .request(Method::POST, &["function", name])
            .json_body(input);
        if dry_run {
            r = r.query_pair("dryRun", "true");
        }
        Ok(r.json().await?)
    }

    /// Calls an action function on an entity (`case`, `alert` ...); `sync` waits for it.
    pub async fn invoke_on(
        &self,
        name: &str,
        object_type: &str,
        object_id: &str,
        dry_run: bool,
        sync: bool,
    ) -> Result<Value> {
        let mut r = self
            .hive
            .request(Method::POST, &["function", name, object_type, object_id]);
        if dry_run {
            r = r.query_pair("dryRun", "true");
        }
        if sync {
            r = r.query_pair("sync", "true");
        }
        Ok(r.json().await?)
    }

    /// Runs a function definition without saving it (`{definition, input?, ...}`).
    pub async fn test<B: Serialize + ?Sized>(&self, test: &B) -> Result<Value> {
        Ok(self
            .hive
            .request(Method::POST, &["function", "_test"])
            .json_body(test)
            .json()
            .await?)
    }

    /// The documentation of the context functions receive.
    pub async fn context_documentation(&self) -> Result<Map<String, Value>> {
        self.hive
            .get(&["function", "_context", "documentation"])
            .await
    }
}
