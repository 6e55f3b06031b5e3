//! Every entity fixture parses into its type and writes back what it read: fields this crate
//! does not model survive a read-modify-write.

use misp_client::model::{
    Attribute, AuthKey, Event, Feed, Galaxy, GalaxyCluster, MispObject, Organisation, Role,
    Setting, Sighting, Tag, User,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::support::fixture_json;

/// Parses `name` (under `key` when MISP wraps it), writes it back and compares.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str, key: Option<&str>) -> T {
    let doc = fixture_json(name);
    let v = match key {
        Some(k) => doc
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{name} has no {k}")),
        None => doc,
    };
    let t: T =
        serde_path_to_error::deserialize(v.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&t).unwrap();
    assert_eq!(
        normalise(&back),
        normalise(&v),
        "{name} did not survive a round trip"
    );
    t
}

/// Drops nulls: absent and null mean the same to MISP.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

#[test]
fn an_event_with_everything_survives() {
    let e: Event = round_trip("event.json", Some("Event"));
    assert!(e.all_attributes().count() > 0);
}

#[test]
fn an_added_event_survives() {
    round_trip::<Event>("event_add_response.json", Some("Event"));
}

#[test]
fn an_attribute_survives() {
    round_trip::<Attribute>("attribute.json", Some("Attribute"));
}

#[test]
fn an_object_survives() {
    round_trip::<MispObject>("object.json", Some("Object"));
}

#[test]
fn a_tag_survives() {
    round_trip::<Tag>("tag.json", Some("Tag"));
}

#[test]
fn an_organisation_survives() {
    round_trip::<Organisation>("organisation.json", Some("Organisation"));
}

#[test]
fn a_user_survives() {
    round_trip::<User>("user.json", Some("User"));
    round_trip::<User>("user_me.json", Some("User"));
}

#[test]
fn a_feed_survives() {
    round_trip::<Feed>("feed.json", Some("Feed"));
}

#[test]
fn a_setting_survives() {
    round_trip::<Setting>("server_settings_get.json", None);
}

#[test]
fn an_auth_key_keeps_its_clear_key_hidden() {
    let v = fixture_json("auth_key_view.json")["AuthKey"].clone();
    let k: AuthKey = serde_path_to_error::deserialize(v).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        k.authkey_raw.is_none(),
        "a key read back never carries the clear key"
    );
}

#[test]
fn a_fresh_auth_key_is_kept_but_never_shown() {
    let doc = fixture_json("auth_key_add.json");
    let raw = doc["AuthKey"]["authkey_raw"].as_str().unwrap().to_owned();
    let k: AuthKey = serde_json::from_value(doc["AuthKey"].clone()).unwrap();
    assert!(k.authkey_raw.is_some());
    assert!(!format!("{k:?}").contains(&raw));
}

#[test]
fn every_search_fixture_item_parses() {
    for (name, key, inner) in [
        ("events_restsearch.json", "response", "Event"),
        ("objects_restsearch.json", "response", "Object"),
    ] {
        let doc = fixture_json(name);
        let items = doc[key].as_array().unwrap_or_else(|| panic!("{name}"));
        assert!(!items.is_empty());
        for i in items {
            match inner {
                "Event" => drop(round_trip_value::<Event>(&i[inner])),
                _ => drop(round_trip_value::<MispObject>(&i[inner])),
            }
        }
    }
    let doc = fixture_json("attributes_restsearch.json");
    for a in doc["response"]["Attribute"].as_array().unwrap() {
        round_trip_value::<Attribute>(a);
    }
}

fn round_trip_value<T: DeserializeOwned + Serialize>(v: &Value) -> T {
    let t: T = serde_path_to_error::deserialize(v.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(normalise(&serde_json::to_value(&t).unwrap()), normalise(v));
    t
}

#[test]
fn galaxies_and_clusters_survive() {
    for g in fixture_json("galaxies_index.json").as_array().unwrap() {
        round_trip_value::<Galaxy>(&g["Galaxy"]);
    }
    let c: GalaxyCluster = round_trip("galaxy_cluster.json", Some("GalaxyCluster"));
    assert!(c.tag_name.starts_with("misp-galaxy:"));
}

#[test]
fn sightings_and_roles_survive() {
    round_trip::<Sighting>("sighting_add.json", Some("Sighting"));
    for s in fixture_json("sightings_list.json").as_array().unwrap() {
        round_trip_value::<Sighting>(&s["Sighting"]);
    }
    for r in fixture_json("roles_index.json").as_array().unwrap() {
        round_trip_value::<Role>(&r["Role"]);
    }
}

/// Fixtures with one value of the wrong type anywhere: the decoders answer an error or a
/// value, never a panic.
#[test]
fn decoders_survive_values_of_the_wrong_type() {
    let mut rejected = 0;
    for (name, key) in [
        ("event.json", "Event"),
        ("attribute.json", "Attribute"),
        ("object.json", "Object"),
        ("user.json", "User"),
        ("feed.json", "Feed"),
    ] {
        let doc = fixture_json(name)[key].clone();
        for v in soc_testkit::mutations(&doc, 7, 400) {
            rejected += usize::from(serde_json::from_value::<Event>(v.clone()).is_err());
            let _ = serde_json::from_value::<Attribute>(v.clone());
            let _ = serde_json::from_value::<MispObject>(v.clone());
            let _ = serde_json::from_value::<User>(v.clone());
            let _ = serde_json::from_value::<Feed>(v);
        }
    }
    assert!(rejected > 0, "the mutations reach typed fields");
}
