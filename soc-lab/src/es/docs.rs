//! Documents: index, update, delete, get and `_bulk`.

use std::collections::HashMap;

use axum::body::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::{
    bad_request, err, es_id, filter_source, index_missing, map_dynamic, merge, ok, source_filter,
    Answer, Doc, Es, Payload, State,
};
use crate::util;

impl Es {
    /// The index a write goes to, created (with templates) when missing.
    /// The index a write through `name` lands in: the index itself, or the write index of the
    /// alias `name` (the one flagged `is_write_index`, or its only index unless that one is
    /// flagged `false`). `None` when neither exists.
    fn write_index_of(st: &State, name: &str) -> Result<Option<String>, Answer> {
        if st.indices.contains_key(name) {
            return Ok(Some(name.to_string()));
        }
        let by_alias: Vec<(&String, Option<bool>)> = st
            .indices
            .iter()
            .filter_map(|(n, i)| {
                i.aliases
                    .get(name)
                    .map(|a| (n, a.get("is_write_index").and_then(Value::as_bool)))
            })
            .collect();
        if by_alias.is_empty() {
            return Ok(None);
        }
        let flagged: Vec<&String> = by_alias
            .iter()
            .filter(|(_, w)| *w == Some(true))
            .map(|(n, _)| *n)
            .collect();
        match (flagged.as_slice(), by_alias.as_slice()) {
            ([one], _) => Ok(Some((*one).clone())),
            ([], [(only, w)]) if *w != Some(false) => Ok(Some((*only).clone())),
            _ => Err(bad_request(
                "illegal_argument_exception",
                format!("no write index is defined for alias [{name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"),
            )),
        }
    }

    fn write_target(st: &mut State, name: &str) -> Result<String, Answer> {
        if let Some(target) = Self::write_index_of(st, name)? {
            return Ok(target);
        }
        let auto = st
            .persistent
            .get("action.auto_create_index")
            .or_else(|| st.transient.get("action.auto_create_index"));
        if auto.is_some_and(|v| v.as_str() == Some("false")) {
            return Err(index_missing(name));
        }
        Self::create_locked(st, name, &json!({}))?;
        Ok(name.to_string())
    }

    fn write_result(index: &str, id: &str, doc: &Doc, result: &str, replicas: u64) -> Value {
        json!({
            "_index": index, "_id": id, "_version": doc.version, "result": result,
            "_shards": {"total": 1 + replicas, "successful": 1, "failed": 0},
            "_seq_no": doc.seq_no, "_primary_term": 1
        })
    }

    /// Index (or create) one document; returns the status and the item body.
    fn write_doc(
        st: &mut State,
        index: &str,
        id: Option<&str>,
        source: Value,
        create: bool,
        if_seq: Option<u64>,
    ) -> (StatusCode, Value) {
        let target = match Self::write_target(st, index) {
            Ok(t) => t,
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v));
            }
            Err((status, _)) => return (status, json!({})),
        };
        let Some(idx) = st.indices.get_mut(&target) else {
            return (StatusCode::NOT_FOUND, json!({}));
        };
        if !source.is_object() {
            return (
                StatusCode::BAD_REQUEST,
                json!({"type": "mapper_parsing_exception", "reason": "failed to parse, document is empty"}),
            );
        }
        let id = id.map(str::to_string).unwrap_or_else(es_id);
        let existing = idx.docs.get(&id);
        let conflict = |current: &Doc| {
            json!({
                "type": "version_conflict_engine_exception",
                "reason": format!("[{id}]: version conflict, document already exists (current version [{}])", current.version),
                "index_uuid": idx.uuid, "shard": "0", "index": target
            })
        };
        if let Some(cur) = existing {
            if create {
                return (StatusCode::CONFLICT, conflict(cur));
            }
            if let Some(s) = if_seq {
                if s != cur.seq_no {
                    return (
                        StatusCode::CONFLICT,
                        json!({
                            "type": "version_conflict_engine_exception",
                            "reason": format!("[{id}]: version conflict, required seqNo [{s}], primary term [1]. current document has seqNo [{}] and primary term [1]", cur.seq_no),
                            "index_uuid": idx.uuid, "shard": "0", "index": target
                        }),
                    );
                }
            }
        } else if let Some(s) = if_seq {
            return (
                StatusCode::CONFLICT,
                json!({
                    "type": "version_conflict_engine_exception",
                    "reason": format!("[{id}]: version conflict, required seqNo [{s}], primary term [1] but no document was found"),
                    "index_uuid": idx.uuid, "shard": "0", "index": target
                }),
            );
        }
        let version = existing.map_or(1, |d| d.version + 1);
        let result = if existing.is_some() {
            "updated"
        } else {
            "created"
        };
        map_dynamic(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version,
            seq_no: idx.next_seq,
        };
        idx.next_seq += 1;
        let body = Self::write_result(&target, &id, &doc, result, idx.replicas());
        idx.docs.insert(id, doc);
        let status = if result == "created" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, body)
    }

    fn update_locked(st: &mut State, index: &str, id: &str, body: &Value) -> (StatusCode, Value) {
        let target = match Self::write_target(st, index) {
            Ok(t) => t,
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v))
            }
            Err((status, _)) => return (status, json!({})),
        };
        let Some(idx) = st.indices.get_mut(&target) else {
            return (StatusCode::NOT_FOUND, json!({}));
        };
        let partial = body.get("doc");
        let upsert = body.get("upsert");
        let as_upsert = body
            .get("doc_as_upsert")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (source, result, version) = match idx.docs.get(id) {
            Some(cur) => {
                let Some(p) = partial else {
                    return (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: script or doc is missing;"}),
                    );
                };
                let mut merged = cur.source.clone();
                merge(&mut merged, p);
                if merged == cur.source {
                    let body = Self::write_result(&target, id, cur, "noop", idx.replicas());
                    return (StatusCode::OK, body);
                }
                (merged, "updated", cur.version + 1)
            }
            None => match (upsert, as_upsert, partial) {
                (Some(u), _, _) => (u.clone(), "created", 1),
                (None, true, Some(p)) => (p.clone(), "created", 1),
                _ => {
                    return (
                        StatusCode::NOT_FOUND,
                        json!({
                            "type": "document_missing_exception",
                            "reason": format!("[{id}]: document missing"),
                            "index_uuid": idx.uuid, "shard": "0", "index": target
                        }),
                    )
                }
            },
        };
        map_dynamic(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version,
            seq_no: idx.next_seq,
        };
        idx.next_seq += 1;
        let out = Self::write_result(&target, id, &doc, result, idx.replicas());
        idx.docs.insert(id.to_string(), doc);
        let status = if result == "created" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, out)
    }

    fn delete_locked(st: &mut State, index: &str, id: &str) -> (StatusCode, Value) {
        // A delete through an alias lands in its write index, as an index request does.
        let target = match Self::write_index_of(st, index) {
            Ok(t) => t.unwrap_or_else(|| index.to_string()),
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v))
            }
            Err((status, _)) => return (status, json!({})),
        };
        let index = target.as_str();
        let Some(idx) = st.indices.get_mut(index) else {
            // A delete does not create the index it names.
            return match index_missing(index) {
                (s, Payload::Json(v)) => (s, v.get("error").cloned().unwrap_or(v)),
                (s, _) => (s, json!({})),
            };
        };
        let seq = idx.next_seq;
        idx.next_seq += 1;
        let replicas = idx.replicas();
        match idx.docs.remove(id) {
            Some(d) => {
                idx.deleted += 1;
                let doc = Doc {
                    source: Value::Null,
                    version: d.version + 1,
                    seq_no: seq,
                };
                (
                    StatusCode::OK,
                    Self::write_result(index, id, &doc, "deleted", replicas),
                )
            }
            None => {
                let doc = Doc {
                    source: Value::Null,
                    version: 1,
                    seq_no: seq,
                };
                (
                    StatusCode::NOT_FOUND,
                    Self::write_result(index, id, &doc, "not_found", replicas),
                )
            }
        }
    }

    pub(super) fn index_doc(
        &self,
        index: &str,
        id: Option<&str>,
        body: &Value,
        params: &HashMap<String, String>,
        create: bool,
    ) -> Answer {
        let create = create || params.get("op_type").is_some_and(|o| o == "create");
        let if_seq = params.get("if_seq_no").and_then(|s| s.parse().ok());
        let mut st = util::lock(&self.state);
        let (status, v) = Self::write_doc(&mut st, index, id, body.clone(), create, if_seq);
        item_answer(status, v)
    }

    pub(super) fn update_doc(&self, index: &str, id: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let (status, v) = Self::update_locked(&mut st, index, id, body);
        item_answer(status, v)
    }

    pub(super) fn delete_doc(&self, index: &str, id: &str) -> Answer {
        let mut st = util::lock(&self.state);
        let (status, v) = Self::delete_locked(&mut st, index, id);
        if status == StatusCode::NOT_FOUND && v.get("result").is_none() {
            return item_answer(status, v);
        }
        (status, Payload::Json(v))
    }

    pub(super) fn get_doc(
        &self,
        index: &str,
        id: &str,
        params: &HashMap<String, String>,
        source_only: bool,
    ) -> Answer {
        let st = util::lock(&self.state);
        let target = match self.resolve(&st, index, true) {
            Ok(n) => n.into_iter().next().unwrap_or_else(|| index.to_string()),
            Err(e) => return e,
        };
        let Some(idx) = st.indices.get(&target) else {
            return index_missing(index);
        };
        match idx.docs.get(id) {
            Some(d) => {
                let filter = source_filter(&Value::Null, params);
                let src = match &filter {
                    Some((inc, exc)) if !inc.is_empty() || !exc.is_empty() => {
                        filter_source(&d.source, inc, exc)
                    }
                    _ => d.source.clone(),
                };
                if source_only {
                    return ok(src);
                }
                let mut v = json!({
                    "_index": target, "_id": id, "_version": d.version, "_seq_no": d.seq_no,
                    "_primary_term": 1, "found": true
                });
                if filter.is_some() {
                    v["_source"] = src;
                }
                ok(v)
            }
            None if source_only => err(
                StatusCode::NOT_FOUND,
                "resource_not_found_exception",
                format!("Document not found [{target}]/[{id}]"),
                Value::Null,
            ),
            None => (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"_index": target, "_id": id, "found": false})),
            ),
        }
    }

    pub(super) fn bulk(
        &self,
        default_index: Option<&str>,
        raw: &Bytes,
        params: &HashMap<String, String>,
    ) -> Answer {
        let started = std::time::Instant::now();
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                return bad_request(
                    "illegal_argument_exception",
                    "The bulk request must be UTF-8",
                )
            }
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let mut actions: Vec<(String, Value, Option<Value>)> = Vec::new();
        let mut lineno = 0usize;
        while let Some(line) = lines.next() {
            lineno += 1;
            let action: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    return bad_request(
                        "x_content_parse_exception",
                        format!(
                            "[{lineno}:{}] Unexpected character in bulk action: {e}",
                            e.column()
                        ),
                    )
                }
            };
            let Some((op, meta)) = action.as_object().and_then(|m| m.iter().next()) else {
                return bad_request(
                    "illegal_argument_exception",
                    format!("Malformed action/metadata line [{lineno}], expected START_OBJECT or END_OBJECT but found [null]"),
                );
            };
            let op = op.clone();
            let meta = meta.clone();
            let source = match op.as_str() {
                "delete" => None,
                "index" | "create" | "update" => {
                    lineno += 1;
                    let Some(src) = lines.next() else {
                        return bad_request(
                            "action_request_validation_exception",
                            "Validation Failed: 1: no requests added;",
                        );
                    };
                    match serde_json::from_str(src) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            return bad_request(
                                "x_content_parse_exception",
                                format!("[{lineno}:{}] failed to parse the document: {e}", e.column()),
                            )
                        }
                    }
                }
                other => {
                    return bad_request(
                        "illegal_argument_exception",
                        format!("Malformed action/metadata line [{lineno}], expected field [create], [delete], [index] or [update] but found [{other}]"),
                    )
                }
            };
            actions.push((op, meta, source));
        }
        if actions.is_empty() {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: no requests added;",
            );
        }
        let mut st = util::lock(&self.state);
        let mut items = Vec::with_capacity(actions.len());
        let mut errors = false;
        for (op, meta, source) in actions {
            let index = meta
                .get("_index")
                .and_then(Value::as_str)
                .or(default_index)
                .map(str::to_string);
            let id = meta.get("_id").map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let Some(index) = index else {
                errors = true;
                items.push(json!({ op.clone(): {"status": 400, "error": {"type": "action_request_validation_exception", "reason": "Validation Failed: 1: index is missing;"}}}));
                continue;
            };
            let (status, mut body) = match op.as_str() {
                "index" | "create" => {
                    let if_seq = meta.get("if_seq_no").and_then(Value::as_u64);
                    Self::write_doc(
                        &mut st,
                        &index,
                        id.as_deref(),
                        source.unwrap_or_default(),
                        op == "create",
                        if_seq,
                    )
                }
                "update" => match &id {
                    Some(id) => {
                        Self::update_locked(&mut st, &index, id, &source.unwrap_or_default())
                    }
                    None => (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: id is missing;"}),
                    ),
                },
                _ => match &id {
                    Some(id) => Self::delete_locked(&mut st, &index, id),
                    None => (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: id is missing;"}),
                    ),
                },
            };
            let failed = status.is_client_error() && body.get("result").is_none()
                || status.is_server_error();
            if failed {
                errors = true;
                body =
                    json!({"_index": index, "_id": id, "status": status.as_u16(), "error": body});
            } else if let Value::Object(m) = &mut body {
                m.insert("status".into(), json!(status.as_u16()));
            }
            items.push(json!({ op: body }));
        }
        drop(st);
        // Writes are searchable at once, so `refresh` has nothing left to do.
        let _ = params;
        ok(json!({
            "errors": errors,
            "took": started.elapsed().as_millis() as u64,
            "items": items
        }))
    }
}

fn item_answer(status: StatusCode, v: Value) -> Answer {
    if v.get("result").is_some() || v.get("_id").is_some() && v.get("type").is_none() {
        return (status, Payload::Json(v));
    }
    let mut cause = v.clone();
    if let Value::Object(m) = &mut cause {
        m.remove("root_cause");
    }
    let mut e = v;
    if e.get("root_cause").is_none() {
        e["root_cause"] = json!([cause]);
    }
    (
        status,
        Payload::Json(json!({"error": e, "status": status.as_u16()})),
    )
}
