//! Bucket operations: listing, creation, deletion, versioning, tags, policies and
//! encryption.

use base64::Engine as _;
use http::{Method, StatusCode};
use serde_json::Value;

use super::multipart;
use super::sigv4;
use super::{
    denied, esc, iso, no_bucket, s3_err, valid_bucket, validate_policy, xml_texts, Bucket, Reply,
    State, S3, XMLNS,
};
use crate::util;

impl S3 {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bucket_op(
        &self,
        st: &mut State,
        method: &Method,
        path: &str,
        bucket: &str,
        query: &[(String, String)],
        key: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let has = |name: &str| query.iter().any(|(k, _)| k == name);
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let exists = st.buckets.contains_key(bucket);
        let need = |st: &State, action: &str| self.can(st, key, action, bucket, None);
        match *method {
            Method::PUT if has("policy") => {
                if !need(st, "s3:PutBucketPolicy") {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let text = String::from_utf8_lossy(body).into_owned();
                let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "MalformedPolicy",
                        "Policies could not be parsed as JSON",
                        path,
                    );
                };
                if let Err(why) = validate_policy(&doc) {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "MalformedPolicy",
                        &format!("Policy has invalid resource: {why}"),
                        path,
                    );
                }
                if let Some(b) = st.buckets.get_mut(bucket) {
                    b.policy = Some(text);
                }
                Reply::empty(StatusCode::NO_CONTENT)
            }
            Method::GET if has("uploads") => {
                if !need(st, "s3:ListBucketMultipartUploads") {
                    return denied(path);
                }
                multipart::list_uploads(st, bucket, query, path)
            }
            Method::GET if has("policy") => {
                if !need(st, "s3:GetBucketPolicy") {
                    return denied(path);
                }
                match st.buckets.get(bucket) {
                    None => no_bucket(path),
                    Some(b) => match &b.policy {
                        Some(p) => Reply::json(
                            StatusCode::OK,
                            &serde_json::from_str(p).unwrap_or(Value::Null),
                        ),
                        None => s3_err(
                            StatusCode::NOT_FOUND,
                            "NoSuchBucketPolicy",
                            "The bucket policy does not exist",
                            path,
                        ),
                    },
                }
            }
            Method::DELETE if has("policy") => {
                if !need(st, "s3:DeleteBucketPolicy") {
                    return denied(path);
                }
                match st.buckets.get_mut(bucket) {
                    None => no_bucket(path),
                    Some(b) => {
                        b.policy = None;
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            Method::GET if has("location") => {
                if !need(st, "s3:GetBucketLocation") {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("<LocationConstraint xmlns=\"{XMLNS}\"></LocationConstraint>"),
                )
            }
            Method::POST if has("delete") => {
                let text = String::from_utf8_lossy(body);
                if !text.contains("<Delete") {
                    return s3_err(StatusCode::BAD_REQUEST, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let quiet = xml_texts(&text, "Quiet")
                    .first()
                    .is_some_and(|q| q == "true");
                let mut out = String::new();
                for k in xml_texts(&text, "Key") {
                    if !self.can(st, key, "s3:DeleteObject", bucket, Some(&k)) {
                        out.push_str(&format!("<Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>", esc(&k)));
                        continue;
                    }
                    if let Some(b) = st.buckets.get_mut(bucket) {
                        b.objects.remove(&k);
                    }
                    if !quiet {
                        out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", esc(&k)));
                    }
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("<DeleteResult xmlns=\"{XMLNS}\">{out}</DeleteResult>"),
                )
            }
            Method::PUT => {
                if !need(st, "s3:CreateBucket") {
                    return denied(path);
                }
                if !valid_bucket(bucket) {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "InvalidBucketName",
                        "The specified bucket is not valid.",
                        path,
                    );
                }
                if exists {
                    return s3_err(StatusCode::CONFLICT, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", path);
                }
                st.buckets.insert(
                    bucket.to_string(),
                    Bucket {
                        created_ms: util::now_ms(),
                        ..Bucket::default()
                    },
                );
                Reply::empty(StatusCode::OK).header("Location", format!("/{bucket}"))
            }
            Method::HEAD => {
                if !need(st, "s3:ListBucket") {
                    return denied(path);
                }
                if exists {
                    Reply::empty(StatusCode::OK).header("X-Amz-Bucket-Region", "us-east-1")
                } else {
                    no_bucket(path)
                }
            }
            Method::DELETE => {
                if !need(st, "s3:DeleteBucket") {
                    return denied(path);
                }
                match st.buckets.get(bucket) {
                    None => no_bucket(path),
                    Some(b) if !b.objects.is_empty() => s3_err(
                        StatusCode::CONFLICT,
                        "BucketNotEmpty",
                        "The bucket you tried to delete is not empty",
                        path,
                    ),
                    Some(_) => {
                        st.buckets.remove(bucket);
                        multipart::forget_bucket(st, bucket);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            Method::GET => {
                if !need(st, "s3:ListBucket") {
                    return denied(path);
                }
                let Some(b) = st.buckets.get(bucket) else {
                    return no_bucket(path);
                };
                let v2 = q("list-type").as_deref() == Some("2");
                let prefix = q("prefix").unwrap_or_default();
                let delimiter = q("delimiter").unwrap_or_default();
                let max_keys: usize = q("max-keys")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(1000)
                    .min(1000);
                let url = q("encoding-type").as_deref() == Some("url");
                let enc = |s: &str| {
                    if url {
                        sigv4::aws_encode(s, true)
                    } else {
                        esc(s)
                    }
                };
                let token = q("continuation-token").map(|t| {
                    base64::engine::general_purpose::STANDARD
                        .decode(t)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default()
                });
                let after = if v2 {
                    token.or_else(|| q("start-after")).unwrap_or_default()
                } else {
                    q("marker").unwrap_or_default()
                };
                let mut contents = String::new();
                let mut prefixes: Vec<String> = Vec::new();
                let mut count = 0;
                let mut truncated = false;
                let mut last = String::new();
                for (k, o) in b.objects.range::<String, _>((
                    std::ops::Bound::Excluded(&after),
                    std::ops::Bound::Unbounded,
                )) {
                    if !k.starts_with(&prefix) {
                        continue;
                    }
                    let entry = if delimiter.is_empty() {
                        None
                    } else {
                        k[prefix.len()..]
                            .find(&delimiter)
                            .map(|i| k[..prefix.len() + i + delimiter.len()].to_string())
                    };
                    if let Some(p) = &entry {
                        if prefixes.last() == Some(p) {
                            continue;
                        }
                    }
                    if count == max_keys {
                        truncated = true;
                        break;
                    }
                    count += 1;
                    match entry {
                        Some(p) => {
                            last = p.clone();
                            // Skip past every key under this prefix on the next page.
                            last.push(char::MAX);
                            prefixes.push(p);
                        }
                        None => {
                            last = k.clone();
                            contents.push_str(&format!(
                                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>",
                                enc(k), iso(o.modified_ms), o.etag, o.data.len()
                            ));
                        }
                    }
                }
                let cps: String = prefixes
                    .iter()
                    .map(|p| {
                        format!(
                            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                            enc(p)
                        )
                    })
                    .collect();
                let mut head = format!(
                    "<ListBucketResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix>",
                    esc(bucket),
                    enc(&prefix)
                );
                if v2 {
                    head.push_str(&format!("<KeyCount>{count}</KeyCount>"));
                    if let Some(t) = q("continuation-token") {
                        head.push_str(&format!(
                            "<ContinuationToken>{}</ContinuationToken>",
                            esc(&t)
                        ));
                    }
                    if truncated {
                        let next = base64::engine::general_purpose::STANDARD.encode(&last);
                        head.push_str(&format!(
                            "<NextContinuationToken>{next}</NextContinuationToken>"
                        ));
                    }
                    if let Some(s) = q("start-after") {
                        head.push_str(&format!("<StartAfter>{}</StartAfter>", enc(&s)));
                    }
                } else {
                    head.push_str(&format!("<Marker>{}</Marker>", enc(&after)));
                    if truncated {
                        head.push_str(&format!(
                            "<NextMarker>{}</NextMarker>",
                            enc(last.trim_end_matches(char::MAX))
                        ));
                    }
                }
                if !delimiter.is_empty() {
                    head.push_str(&format!("<Delimiter>{}</Delimiter>", enc(&delimiter)));
                }
                if url {
                    head.push_str("<EncodingType>url</EncodingType>");
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("{head}<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>{contents}{cps}</ListBucketResult>"),
                )
            }
            _ => s3_err(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                path,
            ),
        }
    }
}
