//! Events, attributes, objects, tags and organisations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none};

use super::{AttributeType, Category};
use crate::wire::{LooseBool, StrInt, StrTimestamp};

macro_rules! str_int_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $n:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// A value this crate does not know, kept as sent.
            Other(i64),
        }

        impl $name {
            /// The number MISP uses.
            #[must_use]
            pub fn as_i64(self) -> i64 {
                match self {
                    $(Self::$variant => $n,)*
                    Self::Other(n) => n,
                }
            }

            /// The value for a number MISP sent.
            #[must_use]
            pub fn from_i64(n: i64) -> Self {
                match n {
                    $($n => Self::$variant,)*
                    n => Self::Other(n),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.as_i64().to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <StrInt as serde_with::DeserializeAs<'de, i64>>::deserialize_as(d).map(Self::from_i64)
            }
        }
    };
}

str_int_enum!(
    /// Who may see an event or attribute.
    Distribution {
        /// Your organisation only (0).
        YourOrganisationOnly = 0,
        /// This community only (1).
        ThisCommunityOnly = 1,
        /// Connected communities (2).
        ConnectedCommunities = 2,
        /// All communities (3).
        AllCommunities = 3,
        /// A sharing group (4).
        SharingGroup = 4,
        /// Inherit the event's (5, attributes and objects).
        Inherit = 5,
    }
);

str_int_enum!(
    /// An event's threat level.
    ThreatLevel {
        /// High (1).
        High = 1,
        /// Medium (2).
        Medium = 2,
        /// Low (3).
        Low = 3,
        /// Undefined (4).
        Undefined = 4,
    }
);

str_int_enum!(
    /// How far the analysis of an event went.
    Analysis {
        /// Initial (0).
        Initial = 0,
        /// Ongoing (1).
        Ongoing = 1,
        /// Completed (2).
        Completed = 2,
    }
);

/// An organisation as embedded in events (`Org`, `Orgc`) or listed.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: String,
    /// Fields this crate does not model (`local`, `description`, `nationality` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tag as attached to an event or attribute, or listed.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Id.
    #[serde_as(as = "Option<StrInt>")]
    #[serde(default)]
    pub id: Option<i64>,
    /// Name (`tlp:amber`, `misp-galaxy:threat-actor="APT28"`).
    pub name: String,
    /// Colour.
    pub colour: Option<String>,
    /// Whether it is exported to other instances.
    #[serde_as(as = "Option<LooseBool>")]
    #[serde(default)]
    pub exportable: Option<bool>,
    /// Fields this crate does not model (`local`, `hide_tag`, `numerical_value` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An attribute.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// UUID.
    pub uuid: String,
    /// Its event's id.
    #[serde_as(as = "StrInt")]
    pub event_id: i64,
    /// Its object's id (0 when none).
    #[serde_as(as = "Option<StrInt>")]
    #[serde(default)]
    pub object_id: Option<i64>,
    /// Type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// Category.
    pub category: Category,
    /// The value.
    pub value: String,
    /// Whether it is an indicator for detection.
    #[serde_as(as = "LooseBool")]
    pub to_ids: bool,
    /// Distribution.
    pub distribution: Distribution,
    /// Last change.
    #[serde_as(as = "StrTimestamp")]
    pub timestamp: DateTime<Utc>,
    /// Comment.
    pub comment: Option<String>,
    /// Soft-deleted.
    #[serde_as(as = "Option<LooseBool>")]
    #[serde(default)]
    pub deleted: Option<bool>,
    /// Excluded from correlation.
    #[serde_as(as = "Option<LooseBool>")]
    #[serde(default)]
    pub disable_correlation: Option<bool>,
    /// Tags.
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<Tag>>,
    /// Fields this crate does not model (`object_relation`, `first_seen`, `Event`, `Galaxy`,
    /// `sharing_group_id` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Attribute {
    /// The relation inside its object (`ip-dst`, `sha256` ...), if any.
    #[must_use]
    pub fn object_relation(&self) -> Option<&str> {
        self.extra.get("object_relation")?.as_str()
    }

    /// The event this attribute belongs to, as restSearch embeds it (`{id, info, uuid, org_id ...}`).
    #[must_use]
    pub fn event(&self) -> Option<&Map<String, Value>> {
        self.extra.get("Event")?.as_object()
    }
}

/// An object: a template-shaped group of attributes.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MispObject {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// UUID.
    pub uuid: String,
    /// Template name (`file`, `domain-ip`, `email` ...).
    pub name: String,
    /// Meta-category.
    #[serde(rename = "meta-category")]
    pub meta_category: Option<String>,
    /// Its event's id.
    #[serde_as(as = "StrInt")]
    pub event_id: i64,
    /// Distribution.
    pub distribution: Distribution,
    /// Attributes.
    #[serde(rename = "Attribute")]
    pub attributes: Option<Vec<Attribute>>,
    /// Fields this crate does not model (`template_uuid`, `ObjectReference`, `comment` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An event.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// UUID.
    pub uuid: String,
    /// Title.
    pub info: String,
    /// Date of the incident (`2025-11-24`).
    pub date: String,
    /// Threat level.
    pub threat_level_id: ThreatLevel,
    /// Analysis state.
    pub analysis: Analysis,
    /// Distribution.
    pub distribution: Distribution,
    /// Whether it was published.
    #[serde_as(as = "LooseBool")]
    pub published: bool,
    /// Last change.
    #[serde_as(as = "StrTimestamp")]
    pub timestamp: DateTime<Utc>,
    /// Owner organisation id.
    #[serde_as(as = "StrInt")]
    pub org_id: i64,
    /// Creator organisation id.
    #[serde_as(as = "StrInt")]
    pub orgc_id: i64,
    /// Owner organisation.
    #[serde(rename = "Org")]
    pub org: Option<Organisation>,
    /// Creator organisation.
    #[serde(rename = "Orgc")]
    pub orgc: Option<Organisation>,
    /// Attributes outside objects.
    #[serde(rename = "Attribute")]
    pub attributes: Option<Vec<Attribute>>,
    /// Objects.
    #[serde(rename = "Object")]
    pub objects: Option<Vec<MispObject>>,
    /// Tags.
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<Tag>>,
    /// Fields this crate does not model (`Galaxy`, `EventReport`, `RelatedEvent`,
    /// `ShadowAttribute`, `publish_timestamp`, `sharing_group_id`, `protected` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Event {
    /// Every attribute, those inside objects included.
    pub fn all_attributes(&self) -> impl Iterator<Item = &Attribute> {
        let direct = self.attributes.iter().flatten();
        let in_objects = self
            .objects
            .iter()
            .flatten()
            .flat_map(|o| o.attributes.iter().flatten());
        direct.chain(in_objects)
    }
}

/// A new attribute (`attributes/add`, or inside a new event).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAttribute {
    /// Type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// Value.
    pub value: String,
    /// Category (MISP picks the type's default when absent).
    pub category: Option<Category>,
    /// Detection indicator (MISP picks the type's default when absent).
    pub to_ids: Option<bool>,
    /// Distribution.
    pub distribution: Option<Distribution>,
    /// Comment.
    pub comment: Option<String>,
    /// Relation inside an object.
    pub object_relation: Option<String>,
    /// Tags.
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<Value>>,
    /// Other fields to send.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NewAttribute {
    /// A value of a type.
    pub fn new(kind: impl Into<AttributeType>, value: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            value: value.into(),
            category: None,
            to_ids: None,
            distribution: None,
            comment: None,
            object_relation: None,
            tags: None,
            extra: Map::new(),
        }
    }

    /// Marks it as a detection indicator (or not).
    #[must_use]
    pub fn to_ids(mut self, yes: bool) -> Self {
        self.to_ids = Some(yes);
        self
    }

    /// Sets the category.
    #[must_use]
    pub fn category(mut self, c: impl Into<Category>) -> Self {
        self.category = Some(c.into());
        self
    }

    /// Sets the comment.
    #[must_use]
    pub fn comment(mut self, c: impl Into<String>) -> Self {
        self.comment = Some(c.into());
        self
    }

    /// Adds a tag by name.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>) -> Self {
        self.tags
            .get_or_insert_with(Vec::new)
            .push(serde_json::json!({ "name": name.into() }));
        self
    }

    /// Sets the relation inside an object.
    #[must_use]
    pub fn relation(mut self, r: impl Into<String>) -> Self {
        self.object_relation = Some(r.into());
        self
    }
}

/// A new object (`objects/add/{event}`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewObject {
    /// Template name.
    pub name: String,
    /// Template UUID, if known.
    pub template_uuid: Option<String>,
    /// Meta-category.
    #[serde(rename = "meta-category")]
    pub meta_category: Option<String>,
    /// Distribution.
    pub distribution: Option<Distribution>,
    /// Comment.
    pub comment: Option<String>,
    /// Attributes, each with its `object_relation`.
    #[serde(rename = "Attribute")]
    pub attributes: Vec<NewAttribute>,
}

impl NewObject {
    /// An object of a template with its attributes.
    pub fn new(name: impl Into<String>, attributes: Vec<NewAttribute>) -> Self {
        Self {
            name: name.into(),
            template_uuid: None,
            meta_category: None,
            distribution: None,
            comment: None,
            attributes,
        }
    }
}

/// A new event (`events/add`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    /// Title.
    pub info: String,
    /// Distribution (MISP's default setting when absent).
    pub distribution: Option<Distribution>,
    /// Threat level.
    pub threat_level_id: Option<ThreatLevel>,
    /// Analysis state.
    pub analysis: Option<Analysis>,
    /// Date (`2025-11-24`).
    pub date: Option<String>,
    /// Attributes.
    #[serde(rename = "Attribute")]
    pub attributes: Option<Vec<NewAttribute>>,
    /// Objects.
    #[serde(rename = "Object")]
    pub objects: Option<Vec<NewObject>>,
    /// Tags (`{"name": ...}`).
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<Value>>,
    /// Other fields to send.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NewEvent {
    /// An event with a title.
    pub fn new(info: impl Into<String>) -> Self {
        Self {
            info: info.into(),
            distribution: None,
            threat_level_id: None,
            analysis: None,
            date: None,
            attributes: None,
            objects: None,
            tags: None,
            extra: Map::new(),
        }
    }

    /// Sets the distribution.
    #[must_use]
    pub fn distribution(mut self, d: Distribution) -> Self {
        self.distribution = Some(d);
        self
    }

    /// Sets the threat level.
    #[must_use]
    pub fn threat_level(mut self, t: ThreatLevel) -> Self {
        self.threat_level_id = Some(t);
        self
    }

    /// Sets the analysis state.
    #[must_use]
    pub fn analysis(mut self, a: Analysis) -> Self {
        self.analysis = Some(a);
        self
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, a: NewAttribute) -> Self {
        self.attributes.get_or_insert_with(Vec::new).push(a);
        self
    }

    /// Adds an object.
    #[must_use]
    pub fn object(mut self, o: NewObject) -> Self {
        self.objects.get_or_insert_with(Vec::new).push(o);
        self
    }

    /// Adds a tag by name.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>) -> Self {
        self.tags
            .get_or_insert_with(Vec::new)
            .push(serde_json::json!({ "name": name.into() }));
        self
    }
}
