//! Feeds: the routes, reading a feed, fetching and caching, and the jobs they start.

use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, attached_tag, attr_dup, build_attribute, build_event, edit_array, id_of,
    internal_error, misp_error, not_authorised, now_s, num_field, s, save_fail, save_success,
    str_of, unknown_route, unwrap_body, Caller, Misp, Req, State,
};
use crate::util;

fn feed_doc(id: u64, body: &Map<String, Value>) -> Map<String, Value> {
    let text = |k: &str, d: &str| {
        body.get(k)
            .and_then(as_text)
            .unwrap_or_else(|| d.to_owned())
    };
    let flag = |k: &str, d: bool| body.get(k).and_then(as_flag).unwrap_or(d);
    let rules = match body.get("rules") {
        Some(Value::String(r)) => r.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => r#"{"tags":{"OR":[],"NOT":[]},"orgs":{"OR":[],"NOT":[]},"url_params":""}"#.into(),
    };
    let settings = match body.get("settings") {
        Some(Value::String(r)) => r.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => r#"{"csv":{"value":"","delimiter":","},"common":{"excluderegex":""},"flags":{"disable_correlation":"0"}}"#.into(),
    };
    json!({
        "id": s(id),
        "name": text("name", ""),
        "provider": text("provider", ""),
        "url": text("url", ""),
        "rules": rules,
        "enabled": flag("enabled", false),
        "distribution": text("distribution", "0"),
        "sharing_group_id": text("sharing_group_id", "0"),
        "tag_id": text("tag_id", "0"),
        "default": flag("default", false),
        "source_format": text("source_format", "misp"),
        "fixed_event": flag("fixed_event", false),
        "delta_merge": flag("delta_merge", false),
        "event_id": text("event_id", "0"),
        "publish": flag("publish", false),
        "override_ids": flag("override_ids", false),
        "settings": settings,
        "input_source": text("input_source", "network"),
        "delete_local_file": flag("delete_local_file", false),
        "lookup_visible": flag("lookup_visible", false),
        "headers": text("headers", ""),
        "caching_enabled": flag("caching_enabled", false),
        "force_to_ids": flag("force_to_ids", false),
        "orgc_id": text("orgc_id", "0"),
        "tag_collection_id": "0",
        "cache_timestamp": false,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// What a freetext line is, by its look.
fn freetext_type(v: &str) -> Option<&'static str> {
    let v = v.trim();
    if v.is_empty() || v.starts_with('#') {
        return None;
    }
    if v.parse::<std::net::IpAddr>().is_ok() {
        return Some("ip-dst");
    }
    if v.contains("://") {
        return Some("url");
    }
    if v.contains('@') && !v.contains(' ') {
        return Some("email-src");
    }
    let hexy = v.chars().all(|c| c.is_ascii_hexdigit());
    match (hexy, v.len()) {
        (true, 32) => return Some("md5"),
        (true, 40) => return Some("sha1"),
        (true, 64) => return Some("sha256"),
        _ => {}
    }
    if v.contains('.')
        && !v.contains(' ')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Some("domain");
    }
    None
}

impl Misp {
    fn new_job(
        st: &mut State,
        job_type: &str,
        input: &str,
        caller: &Caller,
        ok: bool,
        message: &str,
    ) -> u64 {
        let id = st.next("job");
        let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
        let job = json!({
            "id": s(id), "worker": "default", "job_type": job_type, "job_input": input,
            "status": if ok { "4" } else { "3" }, "retries": "0", "message": message,
            "progress": if ok { "100" } else { "0" }, "org_id": s(caller.org_id),
            "process_id": util::uuid4(), "date_created": now, "date_modified": now,
        });
        if let Value::Object(m) = job {
            st.jobs.insert(id, m);
        }
        id
    }

    /// Reads a local feed; `Err` says why it could not.
    fn read_feed(feed: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
        let url = str_of(feed, "url");
        if str_of(feed, "input_source") != "local" {
            return Err(format!("Could not fetch {url}: the lab has no network feeds, use a local feed (input_source: local)."));
        }
        match str_of(feed, "source_format") {
            "misp" => {
                let dir = std::path::Path::new(url);
                let manifest = std::fs::read(dir.join("manifest.json"))
                    .map_err(|e| format!("Could not read {}/manifest.json: {e}", url))?;
                let manifest: Value = serde_json::from_slice(&manifest)
                    .map_err(|e| format!("Invalid manifest.json: {e}"))?;
                let Some(entries) = manifest.as_object() else {
                    return Err(
                        "Invalid manifest.json: expected an object keyed by event uuid".into(),
                    );
                };
                let mut out = Vec::new();
                for uuid in entries.keys() {
                    let path = dir.join(format!("{uuid}.json"));
                    let bytes = std::fs::read(&path)
                        .map_err(|e| format!("Could not read {}: {e}", path.display()))?;
                    let v: Value = serde_json::from_slice(&bytes)
                        .map_err(|e| format!("Invalid event file {}: {e}", path.display()))?;
                    let mut ev = unwrap_body(&v, "Event");
                    ev.entry("uuid").or_insert_with(|| s(uuid));
                    out.push(ev);
                }
                Ok(out)
            }
            "freetext" | "csv" => {
                let text = std::fs::read_to_string(url)
                    .map_err(|e| format!("Could not read {url}: {e}"))?;
                let attrs: Vec<Value> = text
                    .lines()
                    .filter_map(|l| {
                        let first = l
                            .split([',', ';', '\t'])
                            .next()
                            .unwrap_or("")
                            .trim()
                            .trim_matches('"');
                        freetext_type(first)
                            .map(|t| json!({"type": t, "value": first, "to_ids": true}))
                    })
                    .collect();
                let mut ev = Map::new();
                ev.insert("info".into(), s(format!("{} feed", str_of(feed, "name"))));
                ev.insert("Attribute".into(), Value::Array(attrs));
                Ok(vec![ev])
            }
            other => Err(format!("Unknown source format {other}")),
        }
    }

    /// Pulls a feed's events in: new uuids are created, known ones updated when newer.
    fn fetch_feed(&self, st: &mut State, feed_id: u64, caller: &Caller) -> Result<usize, String> {
        let Some(feed) = st.feeds.get(&feed_id).cloned() else {
            return Err("Invalid feed.".into());
        };
        let events = Self::read_feed(&feed)?;
        let publish = feed.get("publish").and_then(as_flag).unwrap_or(false);
        let distribution = str_of(&feed, "distribution").to_owned();
        let feed_tag: u64 = str_of(&feed, "tag_id").parse().unwrap_or(0);
        let mut n = 0;
        let freetext = str_of(&feed, "source_format") != "misp";
        for mut ev in events {
            if freetext {
                let fixed_id: u64 = str_of(&feed, "event_id").parse().unwrap_or(0);
                let target = if feed.get("fixed_event").and_then(as_flag) == Some(true)
                    && st.events.contains_key(&fixed_id)
                {
                    Some(fixed_id)
                } else {
                    None
                };
                let attrs = ev
                    .get("Attribute")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let id = match target {
                    Some(id) => id,
                    None => {
                        ev.insert("distribution".into(), s(&distribution));
                        let built = build_event(
                            st,
                            &Map::new()
                                .into_iter()
                                .chain([(
                                    "info".to_owned(),
                                    ev.get("info").cloned().unwrap_or(s("feed")),
                                )])
                                .collect(),
                            caller,
                        )
                        .map_err(|e| e.to_string())?;
                        let id = id_of(&built);
                        st.events.insert(id, built);
                        if let Some(fm) = st.feeds.get_mut(&feed_id) {
                            fm.insert("event_id".into(), s(id));
                        }
                        id
                    }
                };
                for a in attrs {
                    let am = a.as_object().cloned().unwrap_or_default();
                    let Ok(attr) = build_attribute(st, &am, id, 0, caller.user_id, "5") else {
                        continue;
                    };
                    if let Some(e) = st.events.get_mut(&id) {
                        if !attr_dup(e, &attr) {
                            edit_array(e, "Attribute", |l| l.push(Value::Object(attr)));
                            n += 1;
                        }
                    }
                }
                continue;
            }
            let uuid = str_of(&ev, "uuid").to_owned();
            let existing = st
                .events
                .iter()
                .find(|(_, e)| str_of(e, "uuid") == uuid)
                .map(|(id, e)| (*id, num_field(e, "timestamp")));
            if let Some((id, ts)) = existing {
                if num_field(&ev, "timestamp") <= ts {
                    continue;
                }
                st.events.remove(&id);
            }
            ev.insert("distribution".into(), s(&distribution));
            ev.insert("published".into(), json!(publish));
            let mut built = match build_event(st, &ev, caller) {
                Ok(b) => b,
                Err(_) => continue,
            };
            if feed_tag != 0 && st.tags.contains_key(&feed_tag) {
                let t = attached_tag(st, feed_tag, false);
                edit_array(&mut built, "Tag", |l| l.push(t));
            }
            st.events.insert(id_of(&built), built);
            n += 1;
        }
        Ok(n)
    }
}

impl Misp {
    fn cache_feeds(&self, st: &mut State, caller: &Caller, scope: &str, url: &str) -> Response {
        if !caller.site_admin() {
            return not_authorised(url);
        }
        if !st.jobs_ok() {
            return internal_error(url);
        }
        let ids: Vec<u64> = st
            .feeds
            .iter()
            .filter(|(id, f)| match scope {
                "all" => true,
                "freetext" => matches!(str_of(f, "source_format"), "freetext" | "csv"),
                "misp" => str_of(f, "source_format") == "misp",
                other => other.parse::<u64>().ok() == Some(**id),
            })
            .filter(|(_, f)| {
                f.get("caching_enabled").and_then(as_flag) == Some(true)
                    || scope.parse::<u64>().is_ok()
            })
            .map(|(id, _)| *id)
            .collect();
        let mut failures = Vec::new();
        for fid in &ids {
            let Some(feed) = st.feeds.get(fid).cloned() else {
                continue;
            };
            match Self::read_feed(&feed) {
                Ok(_) => {
                    if let Some(f) = st.feeds.get_mut(fid) {
                        f.insert("cache_timestamp".into(), s(now_s()));
                    }
                }
                Err(e) => failures.push(format!("feed {fid}: {e}")),
            }
        }
        let msg = if failures.is_empty() {
            format!("Job done. {} feed(s) cached.", ids.len())
        } else {
            failures.join("; ")
        };
        Self::new_job(st, "cache_feeds", scope, caller, failures.is_empty(), &msg);
        save_success("Feed caching job initiated.", url, None)
    }
}

impl Misp {
    /// Routes a request on feeds.
    pub(super) fn route_feeds(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["feeds", "index"] | ["feeds"] => {
                let list: Vec<Value> = st.feeds.values().map(|f| json!({"Feed": f})).collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["feeds", "view", id] => match st.feeds.get(&id.parse().unwrap_or(0)) {
                Some(f) => util::json(StatusCode::OK, json!({"Feed": f})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
            },
            ["feeds", "add"] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let b = unwrap_body(body, "Feed");
                let mut errors = Map::new();
                for k in ["name", "provider", "url"] {
                    if b.get(k)
                        .and_then(as_text)
                        .is_none_or(|v| v.trim().is_empty())
                    {
                        errors.insert(k.into(), json!(["This field is required."]));
                    }
                }
                if str_of(&b, "input_source") == "local" {
                    let path = str_of(&b, "url");
                    if !path.is_empty() && !std::path::Path::new(path).exists() {
                        errors.insert("url".into(), json!(["Invalid input source. The path has to be an existing directory or file."]));
                    }
                }
                if !errors.is_empty() {
                    return save_fail("add", "Feed", url, Value::Object(errors));
                }
                let id = st.next("feed");
                let f = feed_doc(id, &b);
                st.feeds.insert(id, f.clone());
                util::json(StatusCode::OK, json!({"Feed": f}))
            }
            ["feeds", "edit", id] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let b = unwrap_body(body, "Feed");
                match st.feeds.get_mut(&id.parse().unwrap_or(0)) {
                    Some(f) => {
                        let fid = id_of(f);
                        let mut merged = f.clone();
                        for (k, v) in b {
                            if k != "id" {
                                merged.insert(k, v);
                            }
                        }
                        let mut doc = feed_doc(fid, &merged);
                        doc.insert(
                            "cache_timestamp".into(),
                            f.get("cache_timestamp").cloned().unwrap_or(json!(false)),
                        );
                        *f = doc.clone();
                        util::json(StatusCode::OK, json!({"Feed": doc}))
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
                }
            }
            ["feeds", op @ ("enable" | "disable"), id] => {
                match st.feeds.get_mut(&id.parse().unwrap_or(0)) {
                    Some(f) => {
                        f.insert("enabled".into(), json!(*op == "enable"));
                        let msg = if *op == "enable" {
                            "Feed enabled."
                        } else {
                            "Feed disabled."
                        };
                        save_success(msg, url, None)
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
                }
            }
            ["feeds", "delete", id] => {
                let fid: u64 = id.parse().unwrap_or(0);
                if st.feeds.remove(&fid).is_some() {
                    save_success("Feed deleted.", url, Some(fid))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url)
                }
            }
            ["feeds", "cacheFeeds", scope] | ["feeds", "cacheFeeds", scope, ..] => {
                self.cache_feeds(st, caller, scope, url)
            }
            ["feeds", "cacheFeeds"] => self.cache_feeds(st, caller, "freetext", url),
            ["feeds", "fetchFromFeed", id] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let fid: u64 = id.parse().unwrap_or(0);
                let Some(feed) = st.feeds.get(&fid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url);
                };
                if feed.get("enabled").and_then(as_flag) != Some(true) {
                    return util::json(
                        StatusCode::OK,
                        json!({"result": "Feed is currently not enabled. Make sure you enable it."}),
                    );
                }
                if !st.jobs_ok() {
                    // BackgroundJobsTool cannot reach Redis: the request dies with a RuntimeException.
                    return internal_error(url);
                }
                let result = self.fetch_feed(st, fid, caller);
                let (ok, msg) = match &result {
                    Ok(n) => (
                        true,
                        format!("Job done. {n} event(s) or attribute(s) pulled."),
                    ),
                    Err(e) => (false, e.clone()),
                };
                let job = Self::new_job(st, "fetch_feeds", &fid.to_string(), caller, ok, &msg);
                util::json(
                    StatusCode::OK,
                    json!({"result": format!("Pull queued for background execution. Job ID: {job}")}),
                )
            }
            ["feeds", "fetchFromAllFeeds"] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                if !st.jobs_ok() {
                    return internal_error(url);
                }
                let ids: Vec<u64> = st
                    .feeds
                    .iter()
                    .filter(|(_, f)| f.get("enabled").and_then(as_flag) == Some(true))
                    .map(|(id, _)| *id)
                    .collect();
                let mut pulled = 0;
                let mut failures = Vec::new();
                for fid in ids {
                    match self.fetch_feed(st, fid, caller) {
                        Ok(n) => pulled += n,
                        Err(e) => failures.push(format!("feed {fid}: {e}")),
                    }
                }
                let msg = if failures.is_empty() {
                    format!("Job done. {pulled} event(s) or attribute(s) pulled.")
                } else {
                    failures.join("; ")
                };
                Self::new_job(
                    st,
                    "fetch_feeds",
                    "All feeds",
                    caller,
                    failures.is_empty(),
                    &msg,
                );
                save_success("Pull queued for background execution.", url, None)
            }
            _ => unknown_route(req),
        }
    }
}
