//! Galaxies and their clusters, sightings and roles.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::serde_as;

use crate::wire::{LooseBool, StrInt};

/// A galaxy (`Attack Pattern`, `Threat Actor` ...).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Galaxy {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// UUID.
    pub uuid: String,
    /// Name.
    pub name: String,
    /// Type (`mitre-attack-pattern`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Fields this crate does not model (`namespace`, `enabled`, `kill_chain_order` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A cluster of a galaxy: one technique, actor or tool, used as a tag.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalaxyCluster {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// UUID.
    pub uuid: String,
    /// Value (`Spearphishing Link - T1566.002`).
    pub value: String,
    /// The tag that attaches it (`misp-galaxy:mitre-attack-pattern="..."`).
    pub tag_name: String,
    /// Its galaxy's id.
    #[serde_as(as = "StrInt")]
    pub galaxy_id: i64,
    /// Fields this crate does not model (`GalaxyElement`, relations, `Galaxy`, `Org` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A sighting of an attribute.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// The attribute.
    #[serde_as(as = "StrInt")]
    pub attribute_id: i64,
    /// Its event.
    #[serde_as(as = "StrInt")]
    pub event_id: i64,
    /// When, in seconds since the epoch.
    #[serde_as(as = "StrInt")]
    pub date_sighting: i64,
    /// 0 a sighting, 1 a false positive, 2 an expiration.
    #[serde(rename = "type")]
    #[serde_as(as = "StrInt")]
    pub kind: i64,
    /// The organisation that saw it (`{"name": ...}`), when MISP lists it beside the sighting.
    #[serde(
        rename = "Organisation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation: Option<Value>,
    /// Fields this crate does not model (`source`, `uuid`, `org_id`, `value` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role: what its users may do.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Whether its users administer the whole instance.
    #[serde_as(as = "LooseBool")]
    pub perm_site_admin: bool,
    /// Whether its users may use the API.
    #[serde_as(as = "LooseBool")]
    pub perm_auth: bool,
    /// Fields this crate does not model (every other `perm_*`, rate limits ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
