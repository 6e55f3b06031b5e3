//! MISP's entities. Typed fields for what MISP always sends; fields it may send as `null`
//! (`object_relation`, `first_seen`, `protected` ...) and every field this crate does not model
//! stay in `extra`, so a read-modify-write sends back exactly what was read.

mod core;
mod entities;
mod knowledge;
mod types;

pub use self::core::{
    Analysis, Attribute, Distribution, Event, MispObject, NewAttribute, NewEvent, NewObject,
    Organisation, Tag, ThreatLevel,
};
pub use entities::{AuthKey, Feed, Record, Setting, SettingValue, User};
pub use knowledge::{Galaxy, GalaxyCluster, Role, Sighting};
pub use types::{AttributeType, Category};
