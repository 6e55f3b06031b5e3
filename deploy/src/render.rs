//! Rendering: templates + settings -> a bundle directory with its secrets.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::settings::{Settings, PORTS};
use crate::Error;

/// `deploy/versions.env`: every image tag of the bundle.
pub(crate) const VERSIONS: &str = include_str!("../versions.env");
/// The compose template; `{{S3_SERVICES}}` receives the chosen S3 backend's fragment.
const COMPOSE: &str = include_str!("../templates/docker-compose.yml");

/// The S3 stores TheHive's attachments can live in: name, compose fragment, S3 port in the network.
const S3_FRAGMENTS: &[(&str, &str, u16)] = &[
    ("rustfs", include_str!("../templates/s3/rustfs.yml"), 9000),
    (
        "seaweedfs",
        include_str!("../templates/s3/seaweedfs.yml"),
        8333,
    ),
    ("garage", include_str!("../templates/s3/garage.yml"), 3900),
];

/// A rendered file: its template, where it goes in the output, and for which S3 backend only.
struct Template {
    out: &'static str,
    text: &'static str,
    only_backend: Option<&'static str>,
}

const TEMPLATES: &[Template] = &[
    Template {
        out: "config/thehive/application.conf",
        text: include_str!("../templates/thehive/application.conf"),
        only_backend: None,
    },
    Template {
        out: "config/cortex/application.conf",
        text: include_str!("../templates/cortex/application.conf"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/config.yaml",
        text: include_str!("../templates/elastalert/config.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/rules/ssh-bruteforce.yaml",
        text: include_str!("../templates/elastalert/rules/ssh-bruteforce.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/elastalert/rules/malware-detected.yaml",
        text: include_str!("../templates/elastalert/rules/malware-detected.yaml"),
        only_backend: None,
    },
    Template {
        out: "config/logstash/pipeline/beats.conf",
        text: include_str!("../templates/logstash/pipeline/beats.conf"),
        only_backend: None,
    },
    Template {
        out: "config/misp/misp.env",
        text: include_str!("../templates/misp/misp.env"),
        only_backend: None,
    },
    Template {
        out: "config/node-red/settings.js",
        text: include_str!("../templates/node-red/settings.js"),
        only_backend: None,
    },
    Template {
        out: "config/proxy/nginx.conf",
        text: include_str!("../templates/proxy/nginx.conf"),
        only_backend: None,
    },
    Template {
        out: "config/init/s3-init.sh",
        text: include_str!("../templates/init/s3-init.sh"),
        only_backend: None,
    },
    Template {
        out: "config/init/cassandra-init.sh",
        text: include_str!("../templates/init/cassandra-init.sh"),
        only_backend: None,
    },
    Template {
        out: "config/init/es-index-setup.sh",
        text: include_str!("../templates/init/es-index-setup.sh"),
        only_backend: None,
    },
    Template {
        out: "config/init/es-siem-setup.sh",
        text: include_str!("../templates/init/es-siem-setup.sh"),
        only_backend: None,
    },
    Template {
        out: "config/garage/garage.toml",
        text: include_str!("../templates/garage/garage.toml"),
        only_backend: Some("garage"),
    },
    Template {
        out: "soc.toml",
        text: include_str!("../templates/soc.toml"),
        only_backend: None,
    },
];

/// The shape of a generated secret. Everything is alphanumeric: MISP, MariaDB and Redis choke on
/// special characters, and `$` would need escaping in compose files.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Letters and digits.
    Alnum(usize),
    /// Letters and digits with at least one upper-case letter, lower-case letter and digit
    /// (password policies of MISP and Portainer).
    Password(usize),
    /// Lower-case hex digits (Garage's RPC secret and secret keys).
    Hex(usize),
    /// `GK` and 24 hex digits: a Garage key id, valid on every S3 backend.
    GarageKeyId,
}

/// The secrets the stack needs: the `.env` variable, its shape. Each also lands in
/// `secrets/<variable in lower case>`, mode 0600, for `{ file = ... }` references.
const SECRETS: &[(&str, Kind)] = &[
    ("INDEX_ELASTIC_PASSWORD", Kind::Alnum(40)),
    ("ELASTIC_PASSWORD", Kind::Alnum(40)),
    ("KIBANA_SYSTEM_PASSWORD", Kind::Alnum(40)),
    ("KIBANA_ENCRYPTION_KEY", Kind::Alnum(48)),
    ("THEHIVE_ES_PASSWORD", Kind::Alnum(40)),
    ("CORTEX_ES_PASSWORD", Kind::Alnum(40)),
    ("LOGSTASH_ES_PASSWORD", Kind::Alnum(40)),
    ("ELASTALERT_ES_PASSWORD", Kind::Alnum(40)),
    ("THEHIVE_SECRET", Kind::Alnum(64)),
    ("THEHIVE_ADMIN_PASSWORD", Kind::Password(32)),
    ("CORTEX_SECRET", Kind::Alnum(64)),
    ("CORTEX_ADMIN_PASSWORD", Kind::Password(32)),
    // Cassandra's administrator (cassandra-init; K8ssandra's superuser on Kubernetes).
    ("CASSANDRA_SUPERUSER_PASSWORD", Kind::Alnum(32)),
    ("CASSANDRA_THEHIVE_PASSWORD", Kind::Alnum(32)),
    ("S3_ROOT_ACCESS_KEY", Kind::GarageKeyId),
    ("S3_ROOT_SECRET_KEY", Kind::Hex(64)),
    ("GARAGE_RPC_SECRET", Kind::Hex(64)),
    ("GARAGE_ADMIN_TOKEN", Kind::Alnum(40)),
    ("MISP_ADMIN_KEY", Kind::Alnum(40)),
    ("MISP_ADMIN_PASSWORD", Kind::Password(32)),
    ("MISP_MYSQL_PASSWORD", Kind::Alnum(32)),
    ("MISP_MYSQL_ROOT_PASSWORD", Kind::Alnum(32)),
    ("MISP_REDIS_PASSWORD", Kind::Alnum(32)),
    ("MISP_ENCRYPTION_KEY", Kind::Alnum(32)),
    ("MISP_SALT", Kind::Alnum(32)),
    ("MISP_GPG_PASSPHRASE", Kind::Alnum(32)),
    ("NODE_RED_ADMIN_PASSWORD", Kind::Password(32)),
    ("NODE_RED_CREDENTIAL_SECRET", Kind::Alnum(48)),
    ("PORTAINER_ADMIN_PASSWORD", Kind::Password(32)),
    ("SHUFFLE_ADMIN_PASSWORD", Kind::Password(32)),
    ("SHUFFLE_API_KEY", Kind::Alnum(40)),
];

/// Secrets issued by the running stack (not generated here): read from `secrets/` when present,
/// empty otherwise. Templates using them are written 0600 like any other secret holder.
const RUNTIME_SECRETS: &[&str] = &["ELASTALERT_THEHIVE_KEY"];

/// Reads `KEY=VALUE` lines (also `key = 'value'`), skipping comments and blank lines.
pub fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .unwrap_or(v);
            map.insert(k.trim().to_string(), v.to_string());
        }
    }
    map
}

/// Bytes from the OS random source.
fn random_bytes(n: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("/dev/urandom", "read", e))?;
    Ok(buf)
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
fn random_string(alphabet: &[u8], len: usize) -> Result<String, Error> {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes(len * 2)? {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// A fresh secret of the given shape.
fn generate(kind: Kind) -> Result<String, Error> {
    match kind {
        Kind::Alnum(n) => random_string(ALNUM, n),
        Kind::Hex(n) => random_string(HEX, n),
        Kind::GarageKeyId => Ok(format!("GK{}", random_string(HEX, 24)?)),
        Kind::Password(n) => loop {
            let s = random_string(ALNUM, n)?;
            if valid(kind, &s) {
                return Ok(s);
            }
        },
    }
}

/// Whether a (kept) secret has the shape its consumer needs.
fn valid(kind: Kind, s: &str) -> bool {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    let hex = |s: &str| s.bytes().all(|b| HEX.contains(&b));
    match kind {
        Kind::Alnum(n) => s.len() == n && alnum(s),
        Kind::Hex(n) => s.len() == n && hex(s),
        Kind::GarageKeyId => s.len() == 26 && s.starts_with("GK") && hex(&s[2..]),
        Kind::Password(n) => {
            s.len() == n
                && alnum(s)
                && s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes().any(|b| b.is_ascii_lowercase())
                && s.bytes().any(|b| b.is_ascii_digit())
        }
    }
}

/// A new value for the generated secret `var` (an `.env` variable), in the shape its consumers
/// need; an error for a variable that is not a generated secret.
pub fn new_secret(var: &str) -> Result<String, Error> {
    let kind = SECRETS
        .iter()
        .find(|(v, _)| *v == var)
        .map(|(_, k)| *k)
        .ok_or_else(|| Error::Template(format!("{var} is not a generated secret")))?;
    generate(kind)
}

/// Replaces a generated secret's value in a rendered bundle: its `.env` line and its
/// `secrets/` file (render again to carry it into the configurations).
pub fn set_secret(out: &Path, var: &str, value: &str) -> Result<(), Error> {
    let kind = SECRETS
        .iter()
        .find(|(v, _)| *v == var)
        .map(|(_, k)| *k)
        .ok_or_else(|| Error::Template(format!("{var} is not a generated secret")))?;
    if !valid(kind, value) {
        return Err(Error::Secret {
            file: out.join(".env"),
            var: var.to_string(),
            message: format!("the new value does not have the expected shape ({kind:?})"),
        });
    }
    let env_path = out.join(".env");
    let text = fs::read_to_string(&env_path).map_err(|e| Error::io(&env_path, "read", e))?;
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.split('=').next() == Some(var) {
                found = true;
                format!("{var}={value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    if !found {
        lines.push(format!("{var}={value}"));
    }
    write_file(&env_path, &(lines.join("\n") + "\n"), 0o600)?;
    write_file(&out.join(secret_file(var)), value, 0o600)
}

/// The file under `secrets/` holding a secret.
fn secret_file(var: &str) -> String {
    format!("secrets/{}", var.to_ascii_lowercase())
}

/// Replaces every `{{NAME}}` with its value; an unknown name is an error. Returns the text and
/// the names used.
fn substitute(
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, BTreeSet<String>), Error> {
    let mut out = String::with_capacity(text.len());
    let mut used = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| Error::Template("unterminated {{".into()))?;
        let name = &after[..end];
        let value = values
            .get(name)
            .ok_or_else(|| Error::Template(format!("placeholder {{{{{name}}}}} has no value")))?;
        out.push_str(value);
        used.insert(name.to_string());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// Writes a file with the given mode, also tightening the mode of an existing file.
pub(crate) fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", e))?;
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| Error::io(path, "write", e))?;
    f.set_permissions(fs::Permissions::from_mode(mode))
        .and_then(|()| f.write_all(text.as_bytes()))
        .map_err(|e| Error::io(path, "write", e))
}

/// Creates a directory (and parents) and sets its mode.
pub(crate) fn make_dir(path: &Path, mode: u32) -> Result<(), Error> {
    fs::create_dir_all(path)
        .and_then(|()| fs::set_permissions(path, fs::Permissions::from_mode(mode)))
        .map_err(|e| Error::io(path, "create", e))
}

/// What a render produced.
#[derive(Debug)]
pub struct Rendered {
    /// The output directory.
    pub out: PathBuf,
    /// The secrets generated by this render (empty when every secret was kept).
    pub generated: Vec<&'static str>,
    /// What happened to the TLS material (`tls/`).
    pub tls: crate::tls::TlsOutcome,
}

/// Renders the bundle into `out`. Secrets already in `out/.env` (or, failing that, in
/// `out/secrets/`) are kept; missing ones are generated. Files holding secrets are 0600.
pub fn render(out: &Path, settings: &Settings) -> Result<Rendered, Error> {
    render_with_versions(out, settings, VERSIONS)
}

/// [`render`] with another set of pinned images than `deploy/versions.env` (an upgrade's target
/// set, or a rollback's previous one), in the same `VAR=image` format.
pub fn render_with_versions(
    out: &Path,
    settings: &Settings,
    versions: &str,
) -> Result<Rendered, Error> {
    make_dir(out, 0o700)?;
    let out = out
        .canonicalize()
        .map_err(|e| Error::io(out, "resolve", e))?;
    make_dir(&out.join("secrets"), 0o700)?;
    let tls = crate::tls::ensure(&out, settings)?;
    // The job directory is shared with analyzer containers that run as other users.
    make_dir(&out.join("cortex-jobs"), 0o777)?;
    let meta = fs::metadata(&out).map_err(|e| Error::io(&out, "read", e))?;

    let existing = match fs::read_to_string(out.join(".env")) {
        Ok(text) => parse_env(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(Error::io(out.join(".env"), "read", e)),
    };
    let read_secret_file = |var: &str| {
        fs::read_to_string(out.join(secret_file(var)))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };

    let mut secrets = BTreeMap::new();
    let mut generated = Vec::new();
    for (var, kind) in SECRETS {
        let kept = existing
            .get(*var)
            .cloned()
            .filter(|s| !s.is_empty())
            .or_else(|| read_secret_file(var));
        let value = match kept {
            Some(v) if valid(*kind, &v) => v,
            Some(_) => {
                return Err(Error::Secret {
                    file: out.join(".env"),
                    var: (*var).to_string(),
                    message: format!(
                        "does not have the expected shape ({kind:?}); fix it, or delete the line \
                         to generate a new one (some services only read it on first start)"
                    ),
                })
            }
            None => {
                generated.push(*var);
                generate(*kind)?
            }
        };
        secrets.insert(var.to_string(), value);
    }

    let backend = settings.get("s3.backend");
    let (_, fragment, s3_port) = S3_FRAGMENTS
        .iter()
        .find(|(b, ..)| *b == backend)
        .ok_or_else(|| Error::Setting {
            key: "s3.backend".into(),
            message: format!("unknown S3 backend {backend:?}"),
        })?;
    let versions = parse_env(versions);
    let docker_socket = settings.get("docker.socket");
    let docker_gid = fs::metadata(&docker_socket).map(|m| m.gid()).unwrap_or(999);

    let mut vars: Vec<(String, String)> = vec![
        ("COMPOSE_PROJECT_NAME".into(), settings.get("stack.project")),
        ("COMPOSE_PROFILES".into(), settings.profiles().join(",")),
        ("BIND_ADDRESS".into(), settings.get("stack.bind_address")),
    ];
    for (key, var, ..) in PORTS {
        vars.push((var.to_string(), settings.port(key)?.to_string()));
    }
    vars.extend([
        ("S3_BACKEND".into(), backend.clone()),
        ("S3_INTERNAL_PORT".into(), s3_port.to_string()),
        ("S3_BUCKET".into(), settings.get("s3.bucket")),
        (
            "S3_SNAPSHOT_BUCKET".into(),
            settings.get("s3.snapshot_bucket"),
        ),
        ("S3_REGION".into(), settings.get("s3.region")),
        (
            "CORTEX_JOBS_DIR".into(),
            out.join("cortex-jobs").display().to_string(),
        ),
        ("DOCKER_SOCKET".into(), docker_socket),
        ("DOCKER_GID".into(), docker_gid.to_string()),
        ("HOST_UID".into(), meta.uid().to_string()),
        ("HOST_GID".into(), meta.gid().to_string()),
        ("SHUFFLE_ADMIN_USER".into(), "soc-admin".into()),
    ]);

    // Template values: the .env variables, the secrets, and a few derived names.
    let mut values: BTreeMap<String, String> = vars.iter().cloned().collect();
    values.extend(secrets.clone());
    values.extend(versions.clone());
    for var in RUNTIME_SECRETS {
        values.insert(var.to_string(), read_secret_file(var).unwrap_or_default());
    }
    for (k, d) in [
        ("DOMAIN", "stack.domain"),
        ("ORGANISATION", "stack.organisation"),
        ("PUBLIC_HOST", "stack.public_host"),
        ("MISP_ORGANISATION", "misp.organisation"),
        ("MISP_ADMIN_EMAIL", "misp.admin_email"),
    ] {
        values.insert(k.into(), settings.get(d));
    }
    let prefix = settings.get("siem.index_prefix");
    values.insert("SIEM_INDEX_PATTERN".into(), format!("{prefix}-*"));
    values.insert("SIEM_INDEX_PREFIX".into(), prefix);
    let (fragment, _) = substitute(fragment, &values)?;
    values.insert("S3_SERVICES".into(), fragment);
    let (ports, servers) = edge(settings, *s3_port)?;
    values.insert("PROXY_PORTS".into(), ports);
    values.insert("PROXY_SERVERS".into(), servers);

    let secret_names: BTreeSet<&str> = SECRETS
        .iter()
        .map(|(v, _)| *v)
        .chain(RUNTIME_SECRETS.iter().copied())
        .collect();
    let (compose, _) = substitute(COMPOSE, &values)?;
    write_file(&out.join("docker-compose.yml"), &compose, 0o644)?;
    for t in TEMPLATES {
        if t.only_backend.is_some_and(|b| b != backend) {
            continue;
        }
        let (text, used) = substitute(t.text, &values)?;
        let holds_secret = used.iter().any(|u| secret_names.contains(u.as_str()));
        let mode = if holds_secret {
            0o600
        } else if t.out.ends_with(".sh") {
            0o755
        } else {
            0o644
        };
        write_file(&out.join(t.out), &text, mode)?;
    }
    for (var, value) in &secrets {
        write_file(&out.join(secret_file(var)), value, 0o600)?;
    }
    // TheHive's MISP connector trusts the bundle's CA for MISP's internal certificate.
    let local_ca = fs::read_to_string(out.join("tls/local-ca.crt"))
        .map_err(|e| Error::io(out.join("tls/local-ca.crt"), "read", e))?;
    write_file(&out.join("config/thehive/local-ca.crt"), &local_ca, 0o644)?;

    let mut env = String::from(
        "# Rendered by `cargo xtask deploy`; mode 0600: it holds the stack's secrets.\n\
         # Secrets are generated once and kept across renders. Elasticsearch passwords and MISP's\n\
         # database passwords are only read on a service's first start: rotating them later means\n\
         # changing them in the service too.\n\n# stack\n",
    );
    for (k, v) in &vars {
        env.push_str(&format!("{k}={v}\n"));
    }
    env.push_str("\n# images (deploy/versions.env)\n");
    for (k, v) in &versions {
        env.push_str(&format!("{k}={v}\n"));
    }
    env.push_str("\n# secrets\n");
    for (var, _) in SECRETS {
        env.push_str(&format!("{var}={}\n", secrets[*var]));
    }
    write_file(&out.join(".env"), &env, 0o600)?;
    Ok(Rendered {
        out,
        generated,
        tls,
    })
}

/// What the TLS proxy serves: the settings' port key, the port the proxy listens on inside the
/// network, the service behind it (`{s3}` is the S3 backend's port), and whether that service
/// itself speaks TLS (MISP does, with a certificate from the bundle's CA).
const EDGE: &[(&str, u16, &str, bool)] = &[
    ("thehive", 9000, "thehive:9000", false),
    ("cortex", 9001, "cortex:9001", false),
    ("s3", 9100, "s3:{s3}", false),
    ("kibana", 5601, "kibana:5601", false),
    ("es_siem", 9200, "es-siem:9200", false),
    ("misp_https", 8443, "misp-core:443", true),
    ("node_red", 1880, "node-red:1880", false),
    ("portainer", 9443, "portainer:9000", false),
    ("shuffle", 3001, "shuffle-frontend:80", false),
];

/// The proxy's published ports (compose lines) and its server blocks (nginx), for the ports
/// these settings enable (Shuffle's only with its profile).
fn edge(settings: &Settings, s3_port: u16) -> Result<(String, String), Error> {
    let active = settings.active_ports()?;
    let mut ports = String::new();
    let mut servers = String::new();
    for (key, listen, upstream, tls) in EDGE {
        let Some((var, _)) = PORTS
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, var, ..)| (*var, ()))
        else {
            return Err(Error::Template(format!("no port setting {key}")));
        };
        if !active.iter().any(|(v, _)| *v == var) {
            continue;
        }
        ports.push_str(&format!(
            "      - \"${{BIND_ADDRESS}}:${{{var}}}:{listen}\"\n"
        ));
        let upstream = upstream.replace("{s3}", &s3_port.to_string());
        let host = upstream.split(':').next().unwrap_or_default();
        let scheme = if *tls { "https" } else { "http" };
        let verify = if *tls {
            format!(
                "            proxy_ssl_verify on;\n\
                 \x20           proxy_ssl_trusted_certificate /etc/nginx/tls/local-ca.crt;\n\
                 \x20           proxy_ssl_name {host};\n\
                 \x20           proxy_ssl_server_name on;\n"
            )
        } else {
            String::new()
        };
        servers.push_str(&format!(
            "\n    # {key}\n    server {{\n        listen {listen} ssl;\n        location / {{\n\
             \x20           set $upstream {upstream};\n\
             \x20           proxy_pass {scheme}://$upstream;\n{verify}        }}\n    }}\n"
        ));
    }
    Ok((ports, servers))
}

/// The ElastAlert2 service account `soc setup` creates in TheHive (rendered `soc.toml`).
fn elastalert_login(settings: &Settings) -> String {
    format!("svc-elastalert@{}", settings.get("stack.domain"))
}

/// Copies the keys `soc setup` issued (in `secrets/soc-secrets.toml`) that the bundle's own
/// configurations need into their `secrets/` files: today ElastAlert2's TheHive key. Returns the
/// variables whose file changed: render again to put them in place.
pub fn collect_issued_keys(out: &Path, settings: &Settings) -> Result<Vec<&'static str>, Error> {
    let path = out.join("secrets/soc-secrets.toml");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, "read", e)),
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| Error::Secret {
        file: path.clone(),
        var: "thehive".into(),
        message: format!("not valid TOML: {e}"),
    })?;
    let mut changed = Vec::new();
    let login = elastalert_login(settings);
    if let Some(key) = table
        .get("thehive")
        .and_then(|t| t.get(&login))
        .and_then(toml::Value::as_str)
    {
        let file = out.join(secret_file("ELASTALERT_THEHIVE_KEY"));
        let current = fs::read_to_string(&file).unwrap_or_default();
        if current.trim() != key {
            write_file(&file, key, 0o600)?;
            changed.push("ELASTALERT_THEHIVE_KEY");
        }
    }
    Ok(changed)
}

/// Memory the enabled services may use, from the compose template's `mem_limit`s (bytes).
fn memory_of(compose: &str, profiles: &[String]) -> u64 {
    let mut total = 0;
    let mut limit = 0;
    let mut enabled = true;
    let mut in_service = false;
    let mut finish = |limit: &mut u64, enabled: bool| {
        if enabled {
            total += *limit;
        }
        *limit = 0;
    };
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent <= 2 {
            if in_service {
                finish(&mut limit, enabled);
            }
            in_service = indent == 2 && t.ends_with(':') && !t.starts_with('-');
            enabled = true;
        } else if let Some(v) = t.strip_prefix("mem_limit:") {
            limit = crate::validate::compose::parse_size(v.trim()).unwrap_or(0);
        } else if t == "restart: \"no\"" {
            // One-shot jobs exit before the stack is up.
            enabled = false;
        } else if let Some(v) = t.strip_prefix("profiles:") {
            enabled = profiles.iter().any(|p| v.contains(&format!("\"{p}\"")));
        }
    }
    if in_service {
        finish(&mut limit, enabled);
    }
    total
}

/// The compose template with the chosen S3 fragment in place (for the memory budget).
fn compose_for(settings: &Settings) -> String {
    let backend = settings.get("s3.backend");
    let fragment = S3_FRAGMENTS
        .iter()
        .find(|(b, ..)| *b == backend)
        .map(|(_, f, _)| *f)
        .unwrap_or_default();
    COMPOSE.replace("{{S3_SERVICES}}", fragment)
}

/// The memory the services enabled by `settings` are limited to in total (bytes): what the host
/// needs besides its own.
pub fn memory_budget(settings: &Settings) -> u64 {
    memory_of(&compose_for(settings), &settings.profiles())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "soc-deploy-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn settings_for(backend: &str) -> Settings {
        Settings::parse(&format!("[s3]\nbackend = \"{backend}\"\n")).unwrap()
    }

    fn render_into(dir: &TempDir, backend: &str) -> PathBuf {
        let out = dir.0.join("out");
        render(&out, &settings_for(backend)).unwrap();
        out
    }

    /// Every file of a rendered tree: (path relative to the root, text).
    fn files(root: &Path) -> Vec<(String, String)> {
        let mut all = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().display().to_string();
                    all.push((rel, fs::read_to_string(&p).unwrap()));
                }
            }
        }
        all.sort();
        all
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secrets_are_kept_across_renders() {
        let dir = TempDir::new();
        let out = dir.0.join("out");
        let first = render(&out, &Settings::default()).unwrap();
        assert_eq!(first.generated.len(), SECRETS.len());
        let env1 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        let second = render(&out, &Settings::default()).unwrap();
        assert!(second.generated.is_empty(), "{:?}", second.generated);
        let env2 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (var, _) in SECRETS {
            assert_eq!(env1[*var], env2[*var], "{var} changed");
            let file = fs::read_to_string(out.join(secret_file(var))).unwrap();
            assert_eq!(file, env2[*var], "{var}: secrets file and .env differ");
        }
        // A removed line is regenerated, the others stay; a malformed one is refused.
        let text = fs::read_to_string(out.join(".env")).unwrap();
        let trimmed: String = text
            .lines()
            .filter(|l| !l.starts_with("MISP_SALT="))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(out.join(".env"), trimmed).unwrap();
        fs::remove_file(out.join(secret_file("MISP_SALT"))).unwrap();
        let third = render(&out, &Settings::default()).unwrap();
        assert_eq!(third.generated, vec!["MISP_SALT"]);
        let env3 = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        assert_eq!(env3["MISP_ADMIN_KEY"], env1["MISP_ADMIN_KEY"]);
        let text = fs::read_to_string(out.join(".env"))
            .unwrap()
            .replace(&env3["MISP_ADMIN_KEY"], "short");
        fs::write(out.join(".env"), text).unwrap();
        let err = render(&out, &Settings::default()).unwrap_err();
        assert!(err.to_string().contains("MISP_ADMIN_KEY"), "{err}");
    }

    #[test]
    fn misp_admin_key_is_40_alphanumerics_and_reaches_misp() {
        let dir = TempDir::new();
        let out = render_into(&dir, "rustfs");
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        let key = &env["MISP_ADMIN_KEY"];
        assert_eq!(key.len(), 40);
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
        let misp = parse_env(&fs::read_to_string(out.join("config/misp/misp.env")).unwrap());
        assert_eq!(&misp["ADMIN_KEY"], key);
        assert_eq!(misp["BASE_URL"], "https://localhost:8443");
        assert_eq!(misp["MYSQL_PASSWORD"], env["MISP_MYSQL_PASSWORD"]);
        assert_eq!(misp["REDIS_PASSWORD"], env["MISP_REDIS_PASSWORD"]);
        for (var, kind) in SECRETS {
            assert!(valid(*kind, &env[*var]), "{var}");
            assert!(
                env[*var].bytes().all(|b| b.is_ascii_alphanumeric()),
                "{var}"
            );
        }
    }

    #[test]
    fn secret_holding_files_are_0600() {
        let dir = TempDir::new();
        let out = render_into(&dir, "garage");
        assert_eq!(mode(&out.join(".env")), 0o600);
        assert_eq!(mode(&out.join("secrets")), 0o700);
        for (var, _) in SECRETS {
            assert_eq!(mode(&out.join(secret_file(var))), 0o600, "{var}");
        }
        for f in [
            "config/misp/misp.env",
            "config/elastalert/rules/ssh-bruteforce.yaml",
        ] {
            assert_eq!(mode(&out.join(f)), 0o600, "{f}");
        }
        // Files without secrets stay readable by the containers' own users.
        assert_eq!(mode(&out.join("config/thehive/application.conf")), 0o644);
        // Every secret value appears only in 0600 files.
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (path, text) in files(&out) {
            if mode(&out.join(&path)) == 0o600 {
                continue;
            }
            for (var, _) in SECRETS {
                assert!(!text.contains(&env[*var]), "{path} holds {var}");
            }
        }
        // Tightens a pre-existing, too-open .env.
        fs::set_permissions(out.join(".env"), fs::Permissions::from_mode(0o644)).unwrap();
        render(&out, &settings_for("garage")).unwrap();
        assert_eq!(mode(&out.join(".env")), 0o600);
    }

    #[test]
    fn soc_toml_references_secret_files() {
        let dir = TempDir::new();
        let out = render_into(&dir, "rustfs");
        let text = fs::read_to_string(out.join("soc.toml")).unwrap();
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        for (var, _) in SECRETS {
            assert!(!text.contains(&env[*var]), "soc.toml holds {var} inline");
        }
        let mut refs = 0;
        for line in text.lines() {
            if let Some(rest) = line.split("{ file = \"").nth(1) {
                let path = rest.split('"').next().unwrap();
                refs += 1;
                if path != "secrets/thehive_admin_key" {
                    assert!(out.join(path).is_file(), "{path} missing");
                }
            }
            assert!(
                !line.contains("env ="),
                "{line}: secrets come from files here"
            );
        }
        assert!(refs >= 6, "{refs}");
        assert!(text.contains("url = \"https://localhost:8443\""));
        assert!(text.contains("url = \"https://localhost:9100\""));
        assert!(text.contains("ca_file = \"tls/ca.crt\""));
        assert!(!text.contains("danger_accept_invalid_certs"));
    }

    #[test]
    fn settings_are_parsed_and_checked() {
        let s = Settings::parse(
            "# comment\n[stack]\nprofiles = \"shuffle\"  # trailing\npublic_host = \"soc.example\"\n\
             [ports]\nmisp_https = 10443\n[s3]\nbackend = \"seaweedfs\"\n",
        )
        .unwrap();
        assert_eq!(s.get("stack.public_host"), "soc.example");
        assert_eq!(s.port("misp_https").unwrap(), 10443);
        assert_eq!(s.port("thehive").unwrap(), 9000);
        assert!(s.active_ports().unwrap().contains(&("SHUFFLE_PORT", 3001)));
        assert!(!Settings::default()
            .active_ports()
            .unwrap()
            .iter()
            .any(|(v, _)| *v == "SHUFFLE_PORT"));
        assert!(Settings::parse("[stack]\nprojet = \"x\"\n")
            .unwrap_err()
            .to_string()
            .contains("unknown"));
        assert!(Settings::parse("[s3]\nbackend = \"minio\"\n").is_err());
        assert!(Settings::parse("[ports]\nthehive = 70000\n").is_err());

        let dir = TempDir::new();
        let out = dir.0.join("out");
        render(&out, &s).unwrap();
        let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
        assert_eq!(env["COMPOSE_PROFILES"], "shuffle");
        assert_eq!(env["S3_INTERNAL_PORT"], "8333");
        assert_eq!(env["MISP_HTTPS_PORT"], "10443");
        let misp = fs::read_to_string(out.join("config/misp/misp.env")).unwrap();
        assert!(misp.contains("BASE_URL=https://soc.example:10443\n"));
        let thehive = fs::read_to_string(out.join("config/thehive/application.conf")).unwrap();
        assert!(thehive.contains("endpoint = \"http://s3:8333\""));
        assert!(!out.join("config/garage/garage.toml").exists());
    }

    #[test]
    fn generated_secrets_have_their_shape() {
        for kind in [
            Kind::Alnum(40),
            Kind::Password(12),
            Kind::Hex(64),
            Kind::GarageKeyId,
        ] {
            for _ in 0..20 {
                let s = generate(kind).unwrap();
                assert!(valid(kind, &s), "{kind:?}: {s}");
            }
        }
        assert_ne!(
            generate(Kind::Alnum(40)).unwrap(),
            generate(Kind::Alnum(40)).unwrap()
        );
        assert!(!valid(Kind::Alnum(40), &"a".repeat(39)));
        assert!(!valid(Kind::Alnum(4), "ab$d"));
    }

    #[test]
    fn memory_fits_a_16_gib_host() {
        let budget = memory_budget(&Settings::default());
        assert!(budget > 10 << 30, "{budget}");
        assert!(budget <= 29 << 29, "{budget} bytes: over 14.5 GiB");
        let with_shuffle =
            memory_budget(&Settings::parse("[stack]\nprofiles = \"shuffle\"\n").unwrap());
        assert!(with_shuffle > budget);
    }

    #[test]
    fn keys_issued_by_setup_reach_the_rules() {
        let dir = TempDir::new();
        let out = render_into(&dir, "rustfs");
        let settings = Settings::default();
        assert!(collect_issued_keys(&out, &settings).unwrap().is_empty());
        fs::write(
            out.join("secrets/soc-secrets.toml"),
            "[thehive]\n\"svc-elastalert@soc.lab\" = \"IssuedKey123\"\n\"other@soc.lab\" = \"x\"\n",
        )
        .unwrap();
        assert_eq!(
            collect_issued_keys(&out, &settings).unwrap(),
            ["ELASTALERT_THEHIVE_KEY"]
        );
        assert_eq!(mode(&out.join("secrets/elastalert_thehive_key")), 0o600);
        assert!(
            collect_issued_keys(&out, &settings).unwrap().is_empty(),
            "idempotent"
        );
        render(&out, &settings).unwrap();
        let rule =
            fs::read_to_string(out.join("config/elastalert/rules/ssh-bruteforce.yaml")).unwrap();
        assert!(rule.contains("hive_apikey: \"IssuedKey123\""), "{rule}");
        fs::write(out.join("secrets/soc-secrets.toml"), "not toml [").unwrap();
        let err = collect_issued_keys(&out, &settings)
            .unwrap_err()
            .to_string();
        assert!(err.contains("soc-secrets.toml"), "{err}");
    }
}
