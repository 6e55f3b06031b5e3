//! Dates: the default date format, dynamic date detection, date math and range bounds.

use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Utc};
use serde_json::Value;

use super::{as_text, Bound};

pub(super) fn make_bound(b: &Value, now: i64, round_up: bool) -> Bound {
    let text = as_text(b);
    let num = match b {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let date = match b {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => date_math(s, now, round_up),
        _ => None,
    };
    Bound { num, date, text }
}

/// Parses a date the ways the default `strict_date_optional_time||epoch_millis` format reads it.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
    }
    if s.len() == 4 {
        if let Ok(y) = s.parse::<i32>() {
            return NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp_millis());
        }
    }
    s.parse::<i64>().ok()
}

/// Whether a string looks like a date to dynamic mapping's date detection.
pub(crate) fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && parse_date(s).is_some()
}

/// Evaluates date math (`now-1d/d`, `2024-01-01||+1M/M`) to epoch milliseconds.
pub(crate) fn date_math(s: &str, now: i64, round_up: bool) -> Option<i64> {
    let (anchor, mut rest) = if let Some(r) = s.strip_prefix("now") {
        (now, r)
    } else if let Some((d, r)) = s.split_once("||") {
        (parse_date(d)?, r)
    } else {
        return parse_date(s);
    };
    let mut t = Utc.timestamp_millis_opt(anchor).single()?;
    while !rest.is_empty() {
        let op = rest.chars().next()?;
        rest = &rest[1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest = &rest[digits.len()..];
        let unit = rest.chars().next()?;
        rest = &rest[unit.len_utf8()..];
        match op {
            '+' | '-' => {
                let n: i64 = if digits.is_empty() {
                    1
                } else {
                    digits.parse().ok()?
                };
                let n = if op == '-' { -n } else { n };
                t = match unit {
                    'y' => add_months(t, n * 12)?,
                    'M' => add_months(t, n)?,
                    'w' => t + chrono::Duration::weeks(n),
                    'd' => t + chrono::Duration::days(n),
                    'h' | 'H' => t + chrono::Duration::hours(n),
                    'm' => t + chrono::Duration::minutes(n),
                    's' => t + chrono::Duration::seconds(n),
                    _ => return None,
                };
            }
            '/' => {
                let start = match unit {
                    'y' => Utc.with_ymd_and_hms(t.year(), 1, 1, 0, 0, 0).single()?,
                    'M' => Utc
                        .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
                        .single()?,
                    'w' => {
                        let d = t.date_naive()
                            - chrono::Duration::days(i64::from(t.weekday().num_days_from_monday()));
                        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                    }
                    'd' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(0, 0, 0)?),
                    'h' | 'H' => {
                        Utc.from_utc_datetime(&t.date_naive().and_hms_opt(t.hour(), 0, 0)?)
                    }
                    'm' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(
                        t.hour(),
                        t.minute(),
                        0,
                    )?),
                    's' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(
                        t.hour(),
                        t.minute(),
                        t.second(),
                    )?),
                    _ => return None,
                };
                t = if round_up {
                    let next = match unit {
                        'y' => add_months(start, 12)?,
                        'M' => add_months(start, 1)?,
                        'w' => start + chrono::Duration::weeks(1),
                        'd' => start + chrono::Duration::days(1),
                        'h' | 'H' => start + chrono::Duration::hours(1),
                        'm' => start + chrono::Duration::minutes(1),
                        _ => start + chrono::Duration::seconds(1),
                    };
                    next - chrono::Duration::milliseconds(1)
                } else {
                    start
                };
            }
            _ => return None,
        }
    }
    Some(t.timestamp_millis())
}

fn add_months(t: chrono::DateTime<Utc>, n: i64) -> Option<chrono::DateTime<Utc>> {
    if n >= 0 {
        t.checked_add_months(chrono::Months::new(u32::try_from(n).ok()?))
    } else {
        t.checked_sub_months(chrono::Months::new(u32::try_from(-n).ok()?))
    }
}
