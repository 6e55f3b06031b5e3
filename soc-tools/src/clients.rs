//! Clients for each configured service, built with the file's TLS and timeout defaults.

use secrecy::ExposeSecret as _;

use crate::config::{ConfigError, SocConfig};

/// A client could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A configuration value (a secret that cannot be read, a bad duration).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The client refused its settings (a CA file that is not PEM, a URL it cannot use).
    #[error("{service}: {message}")]
    Build {
        /// The service.
        service: &'static str,
        /// The client's error.
        message: String,
    },
}

/// Applies `[defaults]` (CA file, timeout, the explicit insecure opt-in) to a client builder.
macro_rules! with_defaults {
    ($builder:expr, $config:expr) => {{
        let mut b = $builder;
        if let Some(ca) = &$config.defaults.ca_file {
            b = b.ca_file($config.relative(ca));
        }
        if let Some(t) = $config.request_timeout()? {
            b = b.request_timeout(t);
        }
        if $config.defaults.danger_accept_invalid_certs {
            tracing::warn!(
                "TLS certificate verification is OFF (defaults.danger_accept_invalid_certs)"
            );
            b = b.danger_accept_invalid_certs(true);
        }
        b
    }};
}

fn build_error(service: &'static str) -> impl Fn(&dyn std::fmt::Display) -> ClientError {
    move |e| ClientError::Build {
        service,
        message: e.to_string(),
    }
}

/// TheHive as its platform administrator (`thehive.api_key`), or `None` when not configured.
pub fn thehive_admin(config: &SocConfig) -> Result<Option<thehive_client::TheHive>, ClientError> {
    let Some(c) = &config.thehive else {
        return Ok(None);
    };
    let key = c.api_key.resolve(config, "thehive.api_key")?;
    thehive_with_key(config, key, None).map(Some)
}

/// TheHive's builder with the configured URL and `[defaults]`.
fn thehive_builder(config: &SocConfig) -> Result<thehive_client::TheHiveBuilder, ClientError> {
    let err = build_error("thehive");
    let Some(c) = &config.thehive else {
        return Err(ClientError::Build {
            service: "thehive",
            message: "not configured".into(),
        });
    };
    Ok(with_defaults!(
        thehive_client::TheHive::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    ))
}

/// TheHive with a given key, in an organisation.
pub fn thehive_with_key(
    config: &SocConfig,
    key: secrecy::SecretString,
    organisation: Option<&str>,
) -> Result<thehive_client::TheHive, ClientError> {
    let mut b = thehive_builder(config)?.api_key(key);
    if let Some(org) = organisation {
        b = b.organisation(org);
    }
    b.build().map_err(|e| build_error("thehive")(&e))
}

/// TheHive with a login and password (for the first-run bootstrap of its administrator).
pub fn thehive_basic(
    config: &SocConfig,
    login: &str,
    password: secrecy::SecretString,
) -> Result<thehive_client::TheHive, ClientError> {
    thehive_builder(config)?
        .basic(login, password)
        .build()
        .map_err(|e| build_error("thehive")(&e))
}

/// Cortex without credentials (for the first-run bootstrap), or `None` when not configured.
pub fn cortex_anonymous(config: &SocConfig) -> Result<Option<cortex_client::Cortex>, ClientError> {
    let Some(c) = &config.cortex else {
        return Ok(None);
    };
    let err = build_error("cortex");
    let b = with_defaults!(
        cortex_client::Cortex::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    );
    b.build().map(Some).map_err(|e| err(&e))
}

/// MISP as its site administrator (`misp.api_key`), or `None` when not configured.
pub fn misp_admin(config: &SocConfig) -> Result<Option<misp_client::Misp>, ClientError> {
    let Some(c) = &config.misp else {
        return Ok(None);
    };
    let key = c.api_key.resolve(config, "misp.api_key")?;
    misp_with_key(config, key).map(Some)
}

/// MISP with a given key.
pub fn misp_with_key(
    config: &SocConfig,
    key: secrecy::SecretString,
) -> Result<misp_client::Misp, ClientError> {
    let err = build_error("misp");
    let Some(c) = &config.misp else {
        return Err(ClientError::Build {
            service: "misp",
            message: "not configured".into(),
        });
    };
    let b = with_defaults!(
        misp_client::Misp::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    )
    .api_key(key);
    b.build().map_err(|e| err(&e))
}

/// Elasticsearch with the configured credentials, or `None` when not configured.
pub fn elasticsearch(config: &SocConfig) -> Result<Option<es_ops::Es>, ClientError> {
    let Some(c) = &config.elasticsearch else {
        return Ok(None);
    };
    let err = build_error("elasticsearch");
    let mut b = with_defaults!(
        es_ops::Es::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    );
    if let Some(k) = &c.api_key {
        b = b.api_key(k.resolve(config, "elasticsearch.api_key")?);
    } else if let (Some(u), Some(p)) = (&c.username, &c.password) {
        b = b.basic(u.clone(), p.resolve(config, "elasticsearch.password")?);
    }
    b.build().map(Some).map_err(|e| err(&e))
}

/// The S3 store and its MinIO admin API, with the configured keys, or `None`.
pub fn s3(
    config: &SocConfig,
) -> Result<Option<(minio_admin::S3, minio_admin::MinioAdmin)>, ClientError> {
    let Some(c) = &config.s3 else { return Ok(None) };
    let access = c.access_key.resolve(config, "s3.access_key")?;
    let secret = c.secret_key.resolve(config, "s3.secret_key")?;
    let s3 = s3_with_keys(config, access.expose_secret(), secret.clone())?;
    let err = build_error("s3");
    let admin = with_defaults!(
        minio_admin::MinioAdmin::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    )
    .keys(access.expose_secret().to_owned(), secret)
    .region(c.region.clone())
    .build()
    .map_err(|e| err(&e))?;
    Ok(Some((s3, admin)))
}

/// The S3 store with given keys.
pub fn s3_with_keys(
    config: &SocConfig,
    access_key: &str,
    secret_key: secrecy::SecretString,
) -> Result<minio_admin::S3, ClientError> {
    let err = build_error("s3");
    let Some(c) = &config.s3 else {
        return Err(ClientError::Build {
            service: "s3",
            message: "not configured".into(),
        });
    };
    with_defaults!(
        minio_admin::S3::builder(c.url.as_str()).map_err(|e| err(&e))?,
        config
    )
    .keys(access_key.to_owned(), secret_key)
    .region(c.region.clone())
    .build()
    .map_err(|e| err(&e))
}
