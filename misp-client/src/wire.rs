//! MISP's wire quirks, handled at the field: numbers sent as strings, booleans as `"0"`/`"1"`,
//! epoch-second timestamps as strings. Each adapter reads every form MISP uses and writes the
//! form MISP sends, so a read-modify-write sends back what was read.

use chrono::{DateTime, TimeZone, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;
use serde_with::{DeserializeAs, SerializeAs};

/// An integer MISP sends as a string (`"12"`); numbers are read too. Written as a string.
pub struct StrInt;

impl SerializeAs<i64> for StrInt {
    fn serialize_as<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
}

impl<'de> DeserializeAs<'de, i64> for StrInt {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| D::Error::custom(format!("not an integer: {s:?}"))),
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| D::Error::custom(format!("not an integer: {n}"))),
            other => Err(D::Error::custom(format!("not an integer: {other}"))),
        }
    }
}

/// A boolean MISP may send as `true`, `1`, `"1"` or `"true"`. Written as a JSON boolean (MISP
/// casts the string `"false"` to true: never send it).
pub struct LooseBool;

impl SerializeAs<bool> for LooseBool {
    fn serialize_as<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*v)
    }
}

impl<'de> DeserializeAs<'de, bool> for LooseBool {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(b),
            Value::Number(n) => Ok(n.as_i64() != Some(0)),
            Value::String(s) => match s.trim() {
                "1" | "true" | "True" => Ok(true),
                "0" | "false" | "False" | "" => Ok(false),
                other => Err(D::Error::custom(format!("not a boolean: {other:?}"))),
            },
            other => Err(D::Error::custom(format!("not a boolean: {other}"))),
        }
    }
}

/// A boolean MISP sends as the string `"0"` or `"1"` (sharing group and user flags). Read as
/// [`LooseBool`], written back as `"0"`/`"1"`.
pub struct StrBool;

impl SerializeAs<bool> for StrBool {
    fn serialize_as<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "1" } else { "0" })
    }
}

impl<'de> DeserializeAs<'de, bool> for StrBool {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        LooseBool::deserialize_as(d)
    }
}

/// Epoch seconds as a string (`"1764000000"`), read from a string or a number, written as a
/// string.
pub struct StrTimestamp;

impl SerializeAs<DateTime<Utc>> for StrTimestamp {
    fn serialize_as<S: Serializer>(v: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.timestamp().to_string())
    }
}

impl<'de> DeserializeAs<'de, DateTime<Utc>> for StrTimestamp {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let secs = StrInt::deserialize_as(d)?;
        Utc.timestamp_opt(secs, 0)
            .single()
            .ok_or_else(|| D::Error::custom(format!("not a timestamp: {secs}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_with::serde_as;

    #[serde_as]
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde_as(as = "StrInt")]
        id: i64,
        #[serde_as(as = "LooseBool")]
        to_ids: bool,
        #[serde_as(as = "StrBool")]
        active: bool,
        #[serde_as(as = "StrTimestamp")]
        timestamp: DateTime<Utc>,
    }

    #[test]
    fn reads_every_form_and_writes_misps() {
        for raw in [
            r#"{"id":"12","to_ids":"1","active":"1","timestamp":"1764000000"}"#,
            r#"{"id":12,"to_ids":true,"active":1,"timestamp":1764000000}"#,
        ] {
            let t: T = serde_json::from_str(raw).unwrap();
            assert_eq!(t.id, 12);
            assert!(t.to_ids && t.active);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                r#"{"id":"12","to_ids":true,"active":"1","timestamp":"1764000000"}"#
            );
        }
        assert!(serde_json::from_str::<T>(
            r#"{"id":"x","to_ids":true,"active":"1","timestamp":"1"}"#
        )
        .is_err());
        assert!(serde_json::from_str::<T>(
            r#"{"id":"1","to_ids":"maybe","active":"1","timestamp":"1"}"#
        )
        .is_err());
    }
}
