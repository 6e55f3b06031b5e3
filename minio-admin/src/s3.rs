//! The S3 operations a SOC deployment needs: buckets, their policies, versioning and tags, and
//! objects for smoke tests. Path-style addressing (`https://host/bucket/key`), which every
//! self-hosted store serves.

use bytes::Bytes;
use serde::Deserialize;
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString, SigV4};

use crate::xml;
use crate::{Error, Result};

const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A client of one S3 endpoint.
#[derive(Debug, Clone)]
pub struct S3 {
    http: HttpClient,
    region: String,
    addressing: Addressing,
}

/// Where the bucket goes in a request's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// `https://s3.example/bucket/key`: what every self-hosted store serves.
    #[default]
    Path,
    /// `https://bucket.s3.example/key`: AWS's preferred form (the endpoint must be a domain
    /// name whose subdomains resolve).
    VirtualHost,
}

/// Builds an [`S3`] client.
#[derive(Debug)]
pub struct S3Builder {
    http: soc_http::ClientBuilder,
    keys: Option<(String, SecretString)>,
    region: String,
    addressing: Addressing,
}

/// A bucket, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Bucket {
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Creation time as the store wrote it (`2026-11-24T10:00:00.000Z`).
    #[serde(rename = "CreationDate", default)]
    pub creation_date: String,
}

/// A tag of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Value.
    #[serde(rename = "Value")]
    pub value: String,
}

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

#[derive(Deserialize)]
struct ListAllMyBucketsResult {
    #[serde(rename = "Buckets", default)]
    buckets: Buckets,
}

#[derive(Deserialize, Default)]
struct Buckets {
    #[serde(rename = "Bucket", default)]
    bucket: Vec<Bucket>,
}

/// One object of a listing.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// The key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Its size in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
    /// Its entity tag, as the store gives it (quoted).
    #[serde(rename = "ETag", default)]
    pub etag: String,
    /// When it was last written (ISO 8601).
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
}

/// One page of `ListObjectsV2`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ObjectPage {
    /// The objects of this page.
    pub objects: Vec<ObjectInfo>,
    /// The token of the next page, when the listing is truncated.
    pub next: Option<String>,
}

#[derive(Deserialize)]
struct ListBucketResult {
    #[serde(rename = "Contents", default)]
    contents: Vec<ObjectInfo>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextContinuationToken", default)]
    next_continuation_token: Option<String>,
}

#[derive(Deserialize)]
struct Tagging {
    #[serde(rename = "TagSet", default)]
    tag_set: TagSet,
}

#[derive(Deserialize, Default)]
struct TagSet {
    #[serde(rename = "Tag", default)]
    tag: Vec<Tag>,
}

impl S3 {
    /// A builder for the store at `endpoint` (`https://s3.example:9000`; a context path is kept).
    ///
    /// # Errors
    /// [`Error::Http`] for a URL the transport refuses.
    pub fn builder(endpoint: &str) -> Result<S3Builder> {
        Ok(S3Builder {
            http: HttpClient::builder(endpoint)?
                .user_agent(concat!("minio-admin/", env!("CARGO_PKG_VERSION"))),
            keys: None,
            region: "us-east-1".to_owned(),
            addressing: Addressing::Path,
        })
    }

    /// A request about `bucket` (and `rest` of the path), addressed as the client is set to.
    fn at(&self, method: Method, bucket: &str, rest: &[&str]) -> RequestBuilder {
        match self.addressing {
            Addressing::Path => self
                .http
                .request(method, std::iter::once(bucket).chain(rest.iter().copied())),
            Addressing::VirtualHost => self
                .http
                .request(method, rest.iter().copied())
                .subdomain(bucket),
        }
    }

    fn object(&self, method: Method, bucket: &str, key: &str) -> Result<RequestBuilder> {
        let path = object_path(bucket, key)?;
        Ok(self.at(method, bucket, &path[1..]))
    }

    /// The URL a request about `bucket` goes to (to check the addressing).
    #[must_use]
    pub fn bucket_url(&self, bucket: &str) -> String {
        self.at(Method::GET, bucket, &[]).url().to_string()
    }

    /// The region requests are signed for.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every bucket the key can see.
    ///
    /// # Errors
    /// [`Error::S3`] with the store's code; request errors.
    pub async fn list_buckets(&self) -> Result<Vec<Bucket>> {
        let r = self.http.get(Vec::<String>::new());
        let url = r.url().to_string();
        let body = r.text().await?;
        let doc: ListAllMyBucketsResult = xml::decode(&url, "ListAllMyBucketsResult", &body)?;
        Ok(doc.buckets.bucket)
    }

    /// Creates a bucket. Answers `true` when created, `false` when this key already owns it
    /// (so that provisioning can run again).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name S3 refuses; [`Error::S3`] `BucketAlreadyExists` when
    /// someone else owns it.
    pub async fn create_bucket(&self, bucket: &str) -> Result<bool> {
        check_bucket(bucket)?;
        let mut r = self.at(Method::PUT, bucket, &[]);
        if self.region != "us-east-1" && !self.region.is_empty() {
            let body = format!(
                r#"<CreateBucketConfiguration xmlns="{S3_NS}"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>"#,
                xml::escape(&self.region)
            );
            r = r.body("application/xml", body);
        }
        match send(r).await {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a bucket exists and the key may see it (`HEAD`).
    ///
    /// # Errors
    /// Request errors other than 404.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        check_bucket(bucket)?;
        Ok(self.at(Method::HEAD, bucket, &[]).exists().await?)
    }

    /// Deletes a bucket. S3 refuses a bucket that holds objects (`BucketNotEmpty`); some
    /// stores (SeaweedFS 4.48) delete it with its objects: empty it first.
    ///
    /// # Errors
    /// [`Error::S3`] `BucketNotEmpty` on stores that check.
    pub async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        check_bucket(bucket)?;
        send(self.at(Method::DELETE, bucket, &[])).await
    }

    /// Sets a bucket's policy (an IAM policy document, JSON).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `policy` is not JSON; [`Error::S3`] (`MalformedPolicy` ...).
    pub async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<()> {
        check_bucket(bucket)?;
        serde_json::from_str::<serde_json::Value>(policy).map_err(|e| {
            Error::InvalidInput(format!("the policy for {bucket} is not JSON: {e}"))
        })?;
        let r = self
            .at(Method::PUT, bucket, &[])
            .query_pair("policy", "")
            .body("application/json", policy.to_owned());
        send(r).await
    }

    /// A bucket's policy, or `None` when it has none.
    ///
    /// # Errors
    /// [`Error::S3`] other than `NoSuchBucketPolicy`.
    pub async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>> {
        check_bucket(bucket)?;
        match self
            .at(Method::GET, bucket, &[])
            .query_pair("policy", "")
            .text()
            .await
        {
            Ok(p) if serde_json::from_str::<serde_json::Value>(&p).is_ok() => Ok(Some(p)),
            Ok(p) => Err(Error::Decode {
                url: format!("{bucket}?policy"),
                message: format!(
                    "the policy is not JSON: {:?}",
                    p.chars().take(200).collect::<String>()
                ),
            }),
            Err(e) => match Error::from(e) {
                e if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Removes a bucket's policy.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_bucket_policy(&self, bucket: &str) -> Result<()> {
        check_bucket(bucket)?;
        send(
            self.at(Method::DELETE, bucket, &[])
                .query_pair("policy", ""),
        )
        .await
    }

    /// Turns versioning on, or suspends it.
    ///
    /// # Errors
    /// [`Error::S3`] (`NotImplemented` on stores without versioning).
    pub async fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<()> {
        check_bucket(bucket)?;
        let status = if enabled { "Enabled" } else { "Suspended" };
        let body = format!(
            r#"<VersioningConfiguration xmlns="{S3_NS}"><Status>{status}</Status></VersioningConfiguration>"#
        );
        send(
            self.at(Method::PUT, bucket, &[])
                .query_pair("versioning", "")
                .body("application/xml", body),
        )
        .await
    }

    /// The versioning status: `Some("Enabled")`, `Some("Suspended")`, or `None` when it was
    /// never set.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn versioning(&self, bucket: &str) -> Result<Option<String>> {
        check_bucket(bucket)?;
        let body = self
            .at(Method::GET, bucket, &[])
            .query_pair("versioning", "")
            .text()
            .await?;
        if !body.contains("<VersioningConfiguration") {
            return Err(Error::Decode {
                url: format!("{bucket}?versioning"),
                message: "expected an XML <VersioningConfiguration> document".into(),
            });
        }
        Ok(xml::tag_text(&body, "Status"))
    }

    /// Replaces a bucket's tags.
    ///
    /// # Errors
    /// [`Error::S3`] (`InvalidTag` ...).
    pub async fn put_bucket_tags(&self, bucket: &str, tags: &[Tag]) -> Result<()> {
        check_bucket(bucket)?;
        let items: String = tags
            .iter()
            .map(|t| {
                format!(
                    "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
                    xml::escape(&t.key),
                    xml::escape(&t.value)
                )
            })
            .collect();
        let body = format!(r#"<Tagging xmlns="{S3_NS}"><TagSet>{items}</TagSet></Tagging>"#);
        send(
            self.at(Method::PUT, bucket, &[])
                .query_pair("tagging", "")
                .body("application/xml", body),
        )
        .await
    }

    /// A bucket's tags (empty when it has none).
    ///
    /// # Errors
    /// [`Error::S3`] other than `NoSuchTagSet`.
    pub async fn bucket_tags(&self, bucket: &str) -> Result<Vec<Tag>> {
        check_bucket(bucket)?;
        let r = self.at(Method::GET, bucket, &[]).query_pair("tagging", "");
        let url = r.url().to_string();
        match r.text().await {
            Ok(body) => Ok(xml::decode::<Tagging>(&url, "Tagging", &body)?.tag_set.tag),
            Err(e) => match Error::from(e) {
                e if e.code() == Some("NoSuchTagSet") => Ok(Vec::new()),
                e => Err(e),
            },
        }
    }

    /// Removes a bucket's tags.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_bucket_tags(&self, bucket: &str) -> Result<()> {
        check_bucket(bucket)?;
        send(
            self.at(Method::DELETE, bucket, &[])
                .query_pair("tagging", ""),
        )
        .await
    }

    /// Sets a bucket's lifecycle configuration (S3's XML document). Sent with its
    /// `Content-MD5`, which S3 requires for this call.
    ///
    /// # Errors
    /// [`Error::S3`] (`MalformedXML`, `NotImplemented` on stores without lifecycle).
    pub async fn put_lifecycle(&self, bucket: &str, configuration_xml: &str) -> Result<()> {
        use md5::Digest;
        check_bucket(bucket)?;
        let md5 = soc_http::base64(&md5::Md5::digest(configuration_xml.as_bytes()));
        let r = self
            .at(Method::PUT, bucket, &[])
            .query_pair("lifecycle", "")
            .header("content-md5", &md5)
            .body("application/xml", configuration_xml.to_owned());
        send(r).await
    }

    /// Expires objects under `prefix` after `days` days (one rule, `id`), replacing the bucket's
    /// lifecycle configuration: evidence retention in one call.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for zero days; as [`S3::put_lifecycle`].
    pub async fn expire_after(
        &self,
        bucket: &str,
        id: &str,
        prefix: &str,
        days: u32,
    ) -> Result<()> {
        if days == 0 {
            return Err(Error::InvalidInput(
                "an expiration needs at least one day".into(),
            ));
        }
        let doc = format!(
            r#"<LifecycleConfiguration xmlns="{S3_NS}"><Rule><ID>{}</ID><Filter><Prefix>{}</Prefix></Filter><Status>Enabled</Status><Expiration><Days>{days}</Days></Expiration></Rule></LifecycleConfiguration>"#,
            xml::escape(id),
            xml::escape(prefix)
        );
        self.put_lifecycle(bucket, &doc).await
    }

    /// A bucket's lifecycle configuration (XML), or `None` when it has none.
    ///
    /// # Errors
    /// [`Error::S3`] other than `NoSuchLifecycleConfiguration`.
    pub async fn lifecycle(&self, bucket: &str) -> Result<Option<String>> {
        check_bucket(bucket)?;
        match self
            .at(Method::GET, bucket, &[])
            .query_pair("lifecycle", "")
            .text()
            .await
        {
            Ok(x) if x.contains("<LifecycleConfiguration") => Ok(Some(x)),
            Ok(x) => Err(Error::Decode {
                url: format!("{bucket}?lifecycle"),
                message: format!(
                    "expected an XML <LifecycleConfiguration> document: {:?}",
                    x.chars().take(200).collect::<String>()
                ),
            }),
            Err(e) => match Error::from(e) {
                e if e.code() == Some("NoSuchLifecycleConfiguration") => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Removes a bucket's lifecycle configuration.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_lifecycle(&self, bucket: &str) -> Result<()> {
        check_bucket(bucket)?;
        send(
            self.at(Method::DELETE, bucket, &[])
                .query_pair("lifecycle", ""),
        )
        .await
    }

    /// Writes an object.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty key or one with empty, `.` or `..` parts;
    /// [`Error::S3`].
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        data: impl Into<Bytes>,
    ) -> Result<()> {
        let r = self
            .object(Method::PUT, bucket, key)?
            .body(content_type, data);
        send(r).await
    }

    /// Reads an object.
    ///
    /// # Errors
    /// [`Error::S3`] `NoSuchKey` when it does not exist.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Bytes> {
        Ok(self.object(Method::GET, bucket, key)?.bytes().await?)
    }

    /// One page of the objects in a bucket under `prefix` (`ListObjectsV2`); pass the previous
    /// page's [`ObjectPage::next`] to get the following one.
    ///
    /// # Errors
    /// [`Error::S3`] (`NoSuchBucket` ...); request errors.
    pub async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        continuation: Option<&str>,
    ) -> Result<ObjectPage> {
        check_bucket(bucket)?;
        let mut r = self
            .at(Method::GET, bucket, &[])
            .query_pair("list-type", "2");
        if !prefix.is_empty() {
            r = r.query_pair("prefix", prefix);
        }
        if let Some(token) = continuation {
            r = r.query_pair("continuation-token", token);
        }
        let url = r.url().to_string();
        let body = r.text().await?;
        let doc: ListBucketResult = xml::decode(&url, "ListBucketResult", &body)?;
        Ok(ObjectPage {
            objects: doc.contents,
            next: if doc.is_truncated {
                doc.next_continuation_token
            } else {
                None
            },
        })
    }

    /// Every object in a bucket under `prefix`, page after page.
    ///
    /// # Errors
    /// As [`S3::list_objects`].
    pub async fn list_all_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self.list_objects(bucket, prefix, next.as_deref()).await?;
            all.extend(page.objects);
            match page.next {
                Some(n) if Some(&n) != next.as_ref() => next = Some(n),
                Some(n) => {
                    return Err(Error::InvalidInput(format!(
                        "{bucket}: the store answered the same continuation token twice ({n})"
                    )))
                }
                None => return Ok(all),
            }
        }
    }

    /// Streams an object's content into `writer` (for objects too large to hold in memory);
    /// answers the bytes written.
    ///
    /// # Errors
    /// [`Error::S3`] (`NoSuchKey` ...); request and write errors.
    pub async fn download_object<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        bucket: &str,
        key: &str,
        writer: &mut W,
    ) -> Result<u64> {
        Ok(self
            .object(Method::GET, bucket, key)?
            .download(writer)
            .await?)
    }

    /// Whether an object exists (`HEAD`).
    ///
    /// # Errors
    /// Request errors other than 404.
    pub async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool> {
        Ok(self.object(Method::HEAD, bucket, key)?.exists().await?)
    }

    /// Deletes an object (S3 answers success for a missing one too).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        send(self.object(Method::DELETE, bucket, key)?).await
    }

    /// A request to this store, signed, for operations this crate does not wrap.
    pub fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http.request(method, segments.iter().copied())
    }
}

async fn send(r: RequestBuilder) -> Result<()> {
    r.send().await?;
    Ok(())
}

/// S3's bucket naming rules, checked before a request is signed.
fn check_bucket(bucket: &str) -> Result<()> {
    let ok_chars = bucket
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.');
    let edges = bucket
        .bytes()
        .next()
        .zip(bucket.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && ok_chars && edges && !bucket.contains("..") {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{bucket:?} is not a valid bucket name: 3 to 63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit"
        )))
    }
}

fn object_path<'a>(bucket: &'a str, key: &'a str) -> Result<Vec<&'a str>> {
    check_bucket(bucket)?;
    let parts: Vec<&str> = key.split('/').collect();
    if key.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(Error::InvalidInput(format!(
            "object key {key:?} has an empty, '.' or '..' part"
        )));
    }
    Ok(std::iter::once(bucket).chain(parts).collect())
}

impl S3Builder {
    /// The access key and secret requests are signed with.
    #[must_use]
    pub fn keys(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
    ) -> Self {
        self.keys = Some((access_key.into(), secret_key.into()));
        self
    }

    /// Path-style (the default) or virtual-host addressing.
    #[must_use]
    pub fn addressing(mut self, a: Addressing) -> Self {
        self.addressing = a;
        self
    }

    /// The region (`us-east-1` unless set; MinIO and most self-hosted stores accept any).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    soc_http::transport_options!();

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without keys; transport set-up errors.
    pub fn build(self) -> Result<S3> {
        let (ak, sk) = self.keys.ok_or_else(|| {
            Error::InvalidInput("an S3 client needs an access key and secret".into())
        })?;
        let signer = SigV4::new(ak, sk, self.region.clone(), "s3");
        let http = self.http.auth(Auth::SigV4(Box::new(signer))).build()?;
        Ok(S3 {
            http,
            region: self.region,
            addressing: self.addressing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["thehive", "soc-evidence.2026", "a1b"] {
            assert!(check_bucket(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "TheHive",
            "-soc",
            "soc-",
            "a..b",
            "soc_evidence",
            &"a".repeat(64),
        ] {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    fn client(endpoint: &str, a: Addressing) -> S3 {
        S3::builder(endpoint)
            .unwrap()
            .keys("ak", SecretString::from("sk".to_owned()))
            .addressing(a)
            .build()
            .unwrap()
    }

    #[test]
    fn buckets_go_in_the_path_or_the_host() {
        let path = client("https://s3.soc.example:9000", Addressing::Path);
        assert_eq!(
            path.bucket_url("thehive"),
            "https://s3.soc.example:9000/thehive"
        );
        let vhost = client("https://s3.soc.example:9000", Addressing::VirtualHost);
        assert_eq!(
            vhost.bucket_url("thehive"),
            "https://thehive.s3.soc.example:9000/"
        );
        let obj = vhost.object(Method::GET, "thehive", "cases/1.bin").unwrap();
        assert_eq!(
            obj.url().as_str(),
            "https://thehive.s3.soc.example:9000/cases/1.bin"
        );
    }

    #[tokio::test]
    async fn virtual_hosts_need_a_domain_name() {
        let ip = client("http://127.0.0.1:9", Addressing::VirtualHost);
        let e = ip.create_bucket("thehive").await.unwrap_err();
        assert!(e.to_string().contains("no domain name"), "{e}");
    }

    #[test]
    fn object_keys_keep_their_slashes_and_refuse_dot_parts() {
        assert_eq!(
            object_path("soc", "a/b.txt").unwrap(),
            ["soc", "a", "b.txt"]
        );
        assert!(object_path("soc", "a//b").is_err());
        assert!(object_path("soc", "../x").is_err());
        assert!(object_path("soc", "").is_err());
    }
}
