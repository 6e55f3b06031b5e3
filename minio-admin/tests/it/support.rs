//! What every request to a store must carry.

use wiremock::Request;

/// A SigV4 signature by `access_key` for `region` and `service`, over the request's real body
/// hash, covering `host` and the `x-amz-*` headers.
pub(crate) struct SignedBy {
    pub(crate) access_key: &'static str,
    pub(crate) region: &'static str,
    pub(crate) service: &'static str,
}

impl wiremock::Match for SignedBy {
    fn matches(&self, r: &Request) -> bool {
        use sha2::Digest;
        let h = |n: &str| {
            r.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let body_hash = hex::encode(sha2::Sha256::digest(&r.body));
        let auth = h("authorization");
        let date = h("x-amz-date");
        date.len() == 16
            && h("x-amz-content-sha256") == body_hash
            && auth.starts_with(&format!(
                "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders=",
                self.access_key,
                &date[..8],
                self.region,
                self.service
            ))
            && auth.contains("host;")
            && auth.contains("x-amz-content-sha256;x-amz-date")
    }
}
