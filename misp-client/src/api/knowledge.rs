//! Knowledge bases: tags and tagging, taxonomies, warninglists, noticelists, correlation
//! exclusions, galaxies and clusters, decaying models.

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::Method;

use super::{unwrap, unwrap_list};
use crate::model::{Galaxy, GalaxyCluster, Tag};
use crate::{Misp, Result};

/// Tags, and tagging any entity by UUID.
#[derive(Debug, Clone, Copy)]
pub struct Tags<'a> {
    pub(crate) misp: &'a Misp,
}

impl Tags<'_> {
    /// Every tag.
    pub async fn list(&self) -> Result<Vec<Tag>> {
        unwrap_list(self.misp.get(&["tags"]).await?, "Tag")
    }

    /// A tag.
    pub async fn get(&self, id: &str) -> Result<Tag> {
        super::unwrap(self.misp.get(&["tags", "view", id]).await?, "Tag")
    }

    /// Creates a tag (`{name, colour, exportable}`).
    pub async fn add<B: Serialize + ?Sized>(&self, tag: &B) -> Result<Tag> {
        super::unwrap(
            self.misp
                .post(&["tags", "add"], &json!({ "Tag": tag }))
                .await?,
            "Tag",
        )
    }

    /// Changes a tag (hide it with `{"hide_tag": true}`).
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        self.misp
            .post(&["tags", "edit", id], &json!({ "Tag": fields }))
            .await
    }

    /// Deletes a tag.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["tags", "delete", id]).await
    }

    /// Tags whose name matches (`GET /tags/search/{term}`, `%` wildcards).
    pub async fn search(&self, term: &str) -> Result<Vec<Value>> {
        self.misp.get(&["tags", "search", term]).await
    }

    /// Attaches a tag by name to any entity by UUID (event, attribute, object, report,
    /// cluster); `local` tags are not synchronised.
    pub async fn attach(&self, uuid: &str, tag: &str, local: bool) -> Result<Value> {
        self.misp
            .post(
                &["tags", "attachTagToObject"],
                &json!({ "uuid": uuid, "tag": tag, "local": local }),
            )
            .await
    }

    /// Removes a tag by name from an entity by UUID.
    pub async fn detach(&self, uuid: &str, tag: &str) -> Result<Value> {
        self.misp
            .post(
                &["tags", "removeTagFromObject"],
                &json!({ "uuid": uuid, "tag": tag }),
            )
            .await
    }

    /// Tag usage statistics.
    pub async fn statistics(&self, percentage: bool, name_sort: bool) -> Result<Value> {
        let p = if percentage { "1" } else { "0" };
        let n = if name_sort { "1" } else { "0" };
        self.misp.get(&["tags", "tagStatistics", p, n]).await
    }
}

/// Taxonomies.
#[derive(Debug, Clone, Copy)]
pub struct Taxonomies<'a> {
    pub(crate) misp: &'a Misp,
}

impl Taxonomies<'_> {
    /// Every taxonomy.
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["taxonomies"]).await
    }
    /// A taxonomy with its entries.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["taxonomies", "view", id]).await
    }
    /// Enables a taxonomy.
    pub async fn enable(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["taxonomies", "enable", id]).await
    }
    /// Disables a taxonomy.
    pub async fn disable(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["taxonomies", "disable", id]).await
    }
    /// Creates the tags of every entry of a taxonomy.
    pub async fn enable_tags(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["taxonomies", "addTag", id]).await
    }
    /// Hides the tags of a taxonomy.
    pub async fn disable_tags(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["taxonomies", "disableTag", id])
            .await
    }
    /// Makes a taxonomy required (or not) on events.
    pub async fn set_required(&self, id: &str, required: bool) -> Result<Value> {
        self.misp
            .post(
                &["taxonomies", "toggleRequired", id],
                &json!({ "Taxonomy": { "required": required } }),
            )
            .await
    }
    /// Reloads taxonomies from disk.
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["taxonomies", "update"]).await
    }
    /// The tags of a taxonomy.
    pub async fn tags(&self, id: &str) -> Result<Value> {
        self.misp.get(&["taxonomies", "taxonomy_tags", id]).await
    }
    /// A taxonomy in MISP taxonomy format.
    pub async fn export(&self, id: &str) -> Result<Value> {
        self.misp.get(&["taxonomies", "export", id]).await
    }
}

/// Warninglists.
#[derive(Debug, Clone, Copy)]
pub struct Warninglists<'a> {
    pub(crate) misp: &'a Misp,
}

impl Warninglists<'_> {
    /// Every warninglist.
    pub async fn list(&self) -> Result<Value> {
        self.misp.get(&["warninglists"]).await
    }
    /// Warninglists matching filters (`{"value": ..., "enabled": ...}`).
    pub async fn search(&self, filters: &Value) -> Result<Value> {
        self.misp.read(&["warninglists"], filters).await
    }
    /// A warninglist with its entries.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["warninglists", "view", id]).await
    }
    /// Enables or disables warninglists by id.
    pub async fn toggle(&self, ids: &[&str], enabled: bool) -> Result<Value> {
        self.misp
            .post(
                &["warninglists", "toggleEnable"],
                &json!({ "id": ids, "enabled": enabled }),
            )
            .await
    }
    /// Which warninglists each value hits (`{value: [{id, name, matched}]}`).
    pub async fn check_values(&self, values: &[&str]) -> Result<Value> {
        self.misp
            .read(&["warninglists", "checkValue"], &values)
            .await
    }
    /// Reloads warninglists from disk.
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["warninglists", "update"]).await
    }
}

/// Noticelists.
#[derive(Debug, Clone, Copy)]
pub struct Noticelists<'a> {
    pub(crate) misp: &'a Misp,
}

impl Noticelists<'_> {
    /// Every noticelist.
    pub async fn list(&self) -> Result<Value> {
        self.misp.get(&["noticelists"]).await
    }
    /// A noticelist.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["noticelists", "view", id]).await
    }
    /// Enables or disables a noticelist.
    pub async fn toggle(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["noticelists", "toggleEnable", id])
            .await
    }
    /// Enables a noticelist (`enableNoticelist/{id}/true`, PyMISP's form).
    pub async fn enable(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["noticelists", "enableNoticelist", id, "true"])
            .await
    }
    /// Disables a noticelist.
    pub async fn disable(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["noticelists", "enableNoticelist", id])
            .await
    }
    /// Reloads noticelists from disk.
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["noticelists", "update"]).await
    }
}

/// Correlation exclusions.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationExclusions<'a> {
    pub(crate) misp: &'a Misp,
}

impl CorrelationExclusions<'_> {
    /// Every exclusion.
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["correlation_exclusions"]).await
    }
    /// An exclusion.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["correlation_exclusions", "view", id]).await
    }
    /// Excludes a value from correlation.
    pub async fn add(&self, value: &str, comment: Option<&str>) -> Result<Value> {
        let mut body = json!({ "value": value });
        if let Some(c) = comment {
            body["comment"] = c.into();
        }
        self.misp
            .post(&["correlation_exclusions", "add"], &body)
            .await
    }
    /// Removes an exclusion.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["correlation_exclusions", "delete", id])
            .await
    }
    /// Removes correlations that exclusions now forbid.
    pub async fn clean(&self) -> Result<Value> {
        self.misp
            .post_empty(&["correlation_exclusions", "clean"])
            .await
    }
}

/// Galaxies, clusters and cluster relations.
#[derive(Debug, Clone, Copy)]
pub struct Galaxies<'a> {
    pub(crate) misp: &'a Misp,
}

impl Galaxies<'_> {
    /// Every galaxy.
    pub async fn list(&self) -> Result<Vec<Galaxy>> {
        unwrap_list(self.misp.get(&["galaxies"]).await?, "Galaxy")
    }
    /// Galaxies matching a value.
    pub async fn search(&self, value: &str) -> Result<Vec<Galaxy>> {
        unwrap_list(
            self.misp
                .read(&["galaxies"], &json!({ "value": value }))
                .await?,
            "Galaxy",
        )
    }
    /// A galaxy.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["galaxies", "view", id]).await
    }
    /// Reloads galaxies from disk.
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["galaxies", "update"]).await
    }
    /// Deletes a galaxy.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["galaxies", "delete", id]),
        )
        .await
    }
    /// Imports clusters (a list of `{"GalaxyCluster": ...}`).
    pub async fn import(&self, clusters: &Value) -> Result<Value> {
        self.misp.post(&["galaxies", "import"], clusters).await
    }
    /// Exports a galaxy's clusters (`{"Galaxy": {"default", "custom", "distribution", "format"}}`).
    pub async fn export(&self, id: &str, options: &Value) -> Result<Value> {
        self.misp.post(&["galaxies", "export", id], options).await
    }
    /// Attaches a cluster to an event, attribute or tag collection.
    pub async fn attach_cluster(
        &self,
        target_id: &str,
        target_type: &str,
        cluster_id: &str,
        local: bool,
    ) -> Result<Value> {
        let local = if local { "local:1" } else { "local:0" };
        self.misp
            .post(
                &["galaxies", "attachCluster", target_id, target_type, local],
                &json!({ "Galaxy": { "target_id": cluster_id } }),
            )
            .await
    }
    /// The clusters of a galaxy.
    pub async fn clusters(&self, galaxy_id: &str) -> Result<Vec<GalaxyCluster>> {
        unwrap_list(
            self.misp
                .get(&["galaxy_clusters", "index", galaxy_id])
                .await?,
            "GalaxyCluster",
        )
    }
    /// Clusters of a galaxy matching filters (`{"context": "all", "searchall": ...}`).
    pub async fn search_clusters(
        &self,
        galaxy_id: &str,
        filters: &Value,
    ) -> Result<Vec<GalaxyCluster>> {
        unwrap_list(
            self.misp
                .read(&["galaxy_clusters", "index", galaxy_id], filters)
                .await?,
            "GalaxyCluster",
        )
    }
    /// A cluster.
    pub async fn cluster(&self, id: &str) -> Result<GalaxyCluster> {
        unwrap(
            self.misp.get(&["galaxy_clusters", "view", id]).await?,
            "GalaxyCluster",
        )
    }
    /// Adds a cluster to a galaxy.
    pub async fn add_cluster<B: Serialize + ?Sized>(
        &self,
        galaxy_id: &str,
        cluster: &B,
    ) -> Result<GalaxyCluster> {
        unwrap(
            self.misp
                .post(&["galaxy_clusters", "add", galaxy_id], cluster)
                .await?,
            "GalaxyCluster",
        )
    }
    /// Forks a cluster into a galaxy.
    pub async fn fork_cluster<B: Serialize + ?Sized>(
        &self,
        galaxy_id: &str,
        cluster_uuid: &str,
        cluster: &B,
    ) -> Result<Value> {
        let seg = format!("forkUUID:{cluster_uuid}");
        self.misp
            .post(&["galaxy_clusters", "add", galaxy_id, &seg], cluster)
            .await
    }
    /// Changes a cluster.
    pub async fn edit_cluster<B: Serialize + ?Sized>(
        &self,
        id: &str,
        fields: &B,
    ) -> Result<GalaxyCluster> {
        let v: Value = crate::client::decode(
            self.misp
                .request(Method::PUT, &["galaxy_clusters", "edit", id])
                .json_body(fields),
        )
        .await?;
        unwrap(v, "GalaxyCluster")
    }
    /// Publishes a cluster.
    pub async fn publish_cluster(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["galaxy_clusters", "publish", id])
            .await
    }
    /// Unpublishes a cluster.
    pub async fn unpublish_cluster(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["galaxy_clusters", "unpublish", id])
            .await
    }
    /// Deletes a cluster (soft unless `hard`).
    pub async fn delete_cluster(&self, id: &str, hard: bool) -> Result<Value> {
        let body = if hard {
            json!({ "hard": 1 })
        } else {
            json!({})
        };
        self.misp
            .post(&["galaxy_clusters", "delete", id], &body)
            .await
    }
    /// Restores a soft-deleted cluster.
    pub async fn restore_cluster(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["galaxy_clusters", "restore", id])
            .await
    }
    /// Relates two clusters.
    pub async fn add_relation<B: Serialize + ?Sized>(&self, relation: &B) -> Result<Value> {
        self.misp
            .post(&["galaxy_cluster_relations", "add"], relation)
            .await
    }
    /// Changes a relation.
    pub async fn edit_relation<B: Serialize + ?Sized>(
        &self,
        id: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["galaxy_cluster_relations", "edit", id], fields)
            .await
    }
    /// Deletes a relation.
    pub async fn delete_relation(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["galaxy_cluster_relations", "delete", id])
            .await
    }
}

/// Decaying models.
#[derive(Debug, Clone, Copy)]
pub struct DecayingModels<'a> {
    pub(crate) misp: &'a Misp,
}

impl DecayingModels<'_> {
    /// Every model.
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["decayingModel", "index"]).await
    }
    /// Reloads the default models.
    pub async fn update(&self) -> Result<Value> {
        self.misp.post_empty(&["decayingModel", "update"]).await
    }
    /// Enables a model.
    pub async fn enable(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["decayingModel", "enable", id]).await
    }
    /// Disables a model.
    pub async fn disable(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["decayingModel", "disable", id])
            .await
    }
}
