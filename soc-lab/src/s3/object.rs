//! The S3 API: a path to its bucket or object, and the object operations.

use base64::Engine as _;
use http::{header, HeaderMap, Method, StatusCode};
use md5::{Digest, Md5};

use super::multipart;
use super::{
    denied, esc, http_date, iso, meta_of, no_bucket, parse_range, s3_err, Object, Reply, S3, XMLNS,
};
use crate::util;

impl S3 {
    pub(super) fn s3(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        key: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let decoded = util::percent_decode(path);
        let trimmed = decoded.trim_start_matches('/');
        let (bucket, object) = match trimmed.split_once('/') {
            Some((b, o)) if !o.is_empty() => (b.to_string(), Some(o.to_string())),
            Some((b, _)) => (b.to_string(), None),
            None => (trimmed.to_string(), None),
        };
        let mut st = util::lock(&self.state);
        if bucket.is_empty() {
            if *method != Method::GET {
                return s3_err(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    path,
                );
            }
            let all = key.is_some_and(|k| st.allowed(k, "s3:ListAllMyBuckets", "arn:aws:s3:::*"));
            let names: Vec<(String, i64)> = st
                .buckets
                .iter()
                .filter(|(n, _)| {
                    all || [
                        "s3:ListBucket",
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:GetBucketLocation",
                    ]
                    .iter()
                    .any(|a| self.can(&st, key, a, n, None) || self.can(&st, key, a, n, Some("*")))
                })
                .map(|(n, b)| (n.clone(), b.created_ms))
                .collect();
            if !all && names.is_empty() {
                return denied(path);
            }
            let list: String = names
                .iter()
                .map(|(n, c)| {
                    format!(
                        "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
                        esc(n),
                        iso(*c)
                    )
                })
                .collect();
            return Reply::xml(
                StatusCode::OK,
                format!("<ListAllMyBucketsResult xmlns=\"{XMLNS}\"><Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner><Buckets>{list}</Buckets></ListAllMyBucketsResult>"),
            );
        }
        let Some(object) = object else {
            return self.bucket_op(&mut st, method, path, &bucket, query, key, body);
        };
        if let Some(reply) = multipart::object_request(
            self, &mut st, method, path, &bucket, &object, query, headers, key, body,
        ) {
            return reply;
        }
        let exists = st.buckets.contains_key(&bucket);
        match *method {
            Method::PUT => {
                if !self.can(&st, key, "s3:PutObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let (data, content_type, meta) = match headers
                    .get("x-amz-copy-source")
                    .and_then(|v| v.to_str().ok())
                {
                    Some(src) => {
                        let src = util::percent_decode(src.split('?').next().unwrap_or(src));
                        let src = src.trim_start_matches('/');
                        let Some((sb, so)) = src.split_once('/') else {
                            return s3_err(StatusCode::BAD_REQUEST, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", path);
                        };
                        if !self.can(&st, key, "s3:GetObject", sb, Some(so)) {
                            return denied(path);
                        }
                        let Some(sobj) = st.buckets.get(sb).and_then(|b| b.objects.get(so)) else {
                            return if st.buckets.contains_key(sb) {
                                s3_err(
                                    StatusCode::NOT_FOUND,
                                    "NoSuchKey",
                                    "The specified key does not exist.",
                                    src,
                                )
                            } else {
                                no_bucket(src)
                            };
                        };
                        let replace = headers
                            .get("x-amz-metadata-directive")
                            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"REPLACE"));
                        if replace {
                            let ct = headers
                                .get(header::CONTENT_TYPE)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("binary/octet-stream")
                                .to_string();
                            (sobj.data.clone(), ct, meta_of(headers))
                        } else {
                            (
                                sobj.data.clone(),
                                sobj.content_type.clone(),
                                sobj.meta.clone(),
                            )
                        }
                    }
                    None => {
                        if let Some(md5) = headers.get("content-md5").and_then(|v| v.to_str().ok())
                        {
                            let actual =
                                base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
                            if md5 != actual {
                                return s3_err(
                                    StatusCode::BAD_REQUEST,
                                    "BadDigest",
                                    "The Content-MD5 you specified did not match what we received.",
                                    path,
                                );
                            }
                        }
                        let ct = headers
                            .get(header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("binary/octet-stream")
                            .to_string();
                        (body.to_vec(), ct, meta_of(headers))
                    }
                };
                let copy = headers.contains_key("x-amz-copy-source");
                let etag = hex::encode(Md5::digest(&data));
                let now = util::now_ms();
                if let Some(b) = st.buckets.get_mut(&bucket) {
                    b.objects.insert(
                        object,
                        Object {
                            data,
                            etag: etag.clone(),
                            modified_ms: now,
                            content_type,
                            meta,
                        },
                    );
                }
                if copy {
                    return Reply::xml(
                        StatusCode::OK,
                        format!("<CopyObjectResult xmlns=\"{XMLNS}\"><LastModified>{}</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyObjectResult>", iso(now)),
                    );
                }
                Reply::empty(StatusCode::OK).header("ETag", format!("\"{etag}\""))
            }
            Method::GET | Method::HEAD => {
                if !self.can(&st, key, "s3:GetObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                let Some(b) = st.buckets.get(&bucket) else {
                    return no_bucket(path);
                };
                let Some(o) = b.objects.get(&object) else {
                    return s3_err(
                        StatusCode::NOT_FOUND,
                        "NoSuchKey",
                        "The specified key does not exist.",
                        path,
                    );
                };
                let total = o.data.len();
                let mut reply = Reply::bytes(Vec::new());
                let mut range_hdr = None;
                let data = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
                    Some(r) => match parse_range(r, total) {
                        Some((start, end)) => {
                            reply.status = StatusCode::PARTIAL_CONTENT;
                            range_hdr = Some(format!("bytes {start}-{end}/{total}"));
                            o.data[start..=end].to_vec()
                        }
                        None => {
                            return s3_err(
                                StatusCode::RANGE_NOT_SATISFIABLE,
                                "InvalidRange",
                                "The requested range is not satisfiable",
                                path,
                            )
                        }
                    },
                    None => o.data.clone(),
                };
                reply.body = data;
                if let Some(r) = range_hdr {
                    reply = reply.header("Content-Range", r);
                }
                reply = reply
                    .header("ETag", format!("\"{}\"", o.etag))
                    .header("Last-Modified", http_date(o.modified_ms))
                    .header("Content-Type", o.content_type.clone());
                for (k, v) in &o.meta {
                    reply = reply.header(k, v.clone());
                }
                reply
            }
            Method::DELETE => {
                if !self.can(&st, key, "s3:DeleteObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                match st.buckets.get_mut(&bucket) {
                    None => no_bucket(path),
                    Some(b) => {
                        b.objects.remove(&object);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
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
