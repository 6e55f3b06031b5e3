//! The bundle's TLS material: a local certificate authority made once, and the certificates it
//! issues (the edge proxy's, with the public names, and MISP's for the proxy's hop to it), or
//! the operator's own.
//!
//! `tls/` (0700) holds `ca.crt` (the CA `soc.toml` trusts), `ca.key` (0600, only with a local
//! CA), and per certificate `<name>.crt` / `<name>.key` (0600) plus `<name>.meta` (names and
//! issue date). A certificate is issued again when its names change or it is older than
//! [`REISSUE_AFTER_DAYS`]; the CA is kept for ten years. With `[tls] cert`, `key` and `ca` in the
//! settings, the proxy serves the operator's certificate instead and `ca.crt` is the operator's
//! CA (MISP's internal certificate still comes from the local CA, which only the proxy trusts).

use std::fs;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::render::{make_dir, write_file};
use crate::{Error, Settings};

/// Leaf certificates are valid this long (the browsers' ceiling).
pub const LEAF_DAYS: i64 = 397;
/// ... and issued again after this many days, well before they expire.
pub const REISSUE_AFTER_DAYS: i64 = 300;
const CA_DAYS: i64 = 3650;
const CA_NAME: &str = "SOC toolkit local CA";

/// What [`ensure`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TlsOutcome {
    /// Whether the local CA was created by this call.
    pub ca_created: bool,
    /// The certificates issued by this call (`proxy`, `misp`).
    pub issued: Vec<String>,
    /// Whether the proxy serves the operator's certificate.
    pub operator_certificate: bool,
}

/// The names the proxy's certificate carries: the public host, `localhost` and the loopback
/// address (so `soc` on the host verifies it), and the proxy's service name.
pub fn proxy_names(settings: &Settings) -> Vec<String> {
    let mut names = vec![
        settings.get("stack.public_host"),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "proxy".to_string(),
    ];
    let bind = settings.get("stack.bind_address");
    if bind != "0.0.0.0" && !names.contains(&bind) {
        names.push(bind);
    }
    names.dedup();
    names
}

fn err(what: &str) -> impl Fn(rcgen::Error) -> Error + '_ {
    move |e| Error::Template(format!("TLS ({what}): {e}"))
}

/// Makes sure `out/tls` holds a CA and current certificates for the proxy and MISP.
pub fn ensure(out: &Path, settings: &Settings) -> Result<TlsOutcome, Error> {
    let dir = out.join("tls");
    make_dir(&dir, 0o700)?;
    let mut outcome = TlsOutcome::default();
    let now = OffsetDateTime::now_utc();

    // The local CA: kept once made.
    let ca_key_path = dir.join("ca.key");
    let (ca_params, ca_key) = match fs::read_to_string(&ca_key_path) {
        Ok(pem) => (
            ca_params(now),
            KeyPair::from_pem(&pem).map_err(err("reading tls/ca.key"))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = KeyPair::generate().map_err(err("CA key"))?;
            let params = ca_params(now);
            let cert = params.self_signed(&key).map_err(err("CA certificate"))?;
            write_file(&ca_key_path, &key.serialize_pem(), 0o600)?;
            write_file(&dir.join("local-ca.crt"), &cert.pem(), 0o644)?;
            outcome.ca_created = true;
            (params, key)
        }
        Err(e) => return Err(Error::io(&ca_key_path, "read", e)),
    };
    if outcome.ca_created {
        // A new CA: certificates the old one signed no longer verify.
        for name in ["proxy", "misp"] {
            let _ = fs::remove_file(dir.join(format!("{name}.meta")));
        }
    }
    let local_ca = fs::read_to_string(dir.join("local-ca.crt"))
        .map_err(|e| Error::io(dir.join("local-ca.crt"), "read", e))?;
    let issuer = Issuer::new(ca_params, ca_key);

    // The operator's certificate for the proxy, when given.
    let given = ["tls.cert", "tls.key", "tls.ca"].map(|k| settings.get(k));
    if given.iter().any(|g| !g.is_empty()) {
        if given.iter().any(String::is_empty) {
            return Err(Error::Setting {
                key: "tls".into(),
                message: "cert, key and ca go together (the proxy's certificate, its key, and \
                          the CA that issued it)"
                    .into(),
            });
        }
        for (src, dest, mode) in [
            (&given[0], "proxy.crt", 0o644),
            (&given[1], "proxy.key", 0o600),
            (&given[2], "ca.crt", 0o644),
        ] {
            let text = fs::read_to_string(src).map_err(|e| Error::io(src, "read", e))?;
            if !text.contains("-----BEGIN") {
                return Err(Error::Setting {
                    key: format!("tls ({src})"),
                    message: "not a PEM file".into(),
                });
            }
            write_file(&dir.join(dest), &text, mode)?;
        }
        // A later render without them issues the local certificate again.
        let _ = fs::remove_file(dir.join("proxy.meta"));
        outcome.operator_certificate = true;
    } else {
        write_file(&dir.join("ca.crt"), &local_ca, 0o644)?;
        if leaf(&dir, "proxy", &proxy_names(settings), &issuer, now)? {
            outcome.issued.push("proxy".into());
        }
    }
    // The proxy reaches MISP over HTTPS and verifies it with the local CA.
    let misp_names = vec!["misp-core".to_string(), "localhost".to_string()];
    if leaf(&dir, "misp", &misp_names, &issuer, now)? {
        outcome.issued.push("misp".into());
    }
    // misp-docker reads its certificate as cert.pem / key.pem in one mounted directory.
    let misp_dir = dir.join("misp");
    make_dir(&misp_dir, 0o700)?;
    for (src, dest, mode) in [
        ("misp.crt", "cert.pem", 0o644),
        ("misp.key", "key.pem", 0o600),
    ] {
        let text =
            fs::read_to_string(dir.join(src)).map_err(|e| Error::io(dir.join(src), "read", e))?;
        write_file(&misp_dir.join(dest), &text, mode)?;
    }
    Ok(outcome)
}

fn ca_params(now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, CA_NAME);
    p.distinguished_name
        .push(DnType::OrganizationName, "SOC toolkit");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(CA_DAYS);
    p
}

/// Issues `<name>.crt`/`.key` unless a current one with the same names exists; true if issued.
fn leaf(
    dir: &Path,
    name: &str,
    names: &[String],
    issuer: &Issuer<'_, KeyPair>,
    now: OffsetDateTime,
) -> Result<bool, Error> {
    let meta_path = dir.join(format!("{name}.meta"));
    let wanted = names.join(",");
    if let Ok(meta) = fs::read_to_string(&meta_path) {
        let mut lines = meta.lines();
        let same_names = lines.next() == Some(wanted.as_str());
        let issued = lines
            .next()
            .and_then(|l| l.parse::<i64>().ok())
            .unwrap_or(0);
        let fresh = now.unix_timestamp() - issued < REISSUE_AFTER_DAYS * 86_400;
        let present =
            dir.join(format!("{name}.crt")).exists() && dir.join(format!("{name}.key")).exists();
        if same_names && fresh && present {
            return Ok(false);
        }
    }
    let key = KeyPair::generate().map_err(err("key"))?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(err(name))?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(LEAF_DAYS);
    let cert = params.signed_by(&key, issuer).map_err(err(name))?;
    write_file(
        &dir.join(format!("{name}.key")),
        &key.serialize_pem(),
        0o600,
    )?;
    write_file(&dir.join(format!("{name}.crt")), &cert.pem(), 0o644)?;
    write_file(
        &meta_path,
        &format!("{wanted}\n{}\n", now.unix_timestamp()),
        0o644,
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "soc-deploy-tls-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn the_ca_is_made_once_and_certificates_are_reissued_only_when_needed() {
        let out = temp();
        let settings = Settings::default();
        let first = ensure(&out, &settings).unwrap();
        assert!(first.ca_created);
        assert_eq!(first.issued, ["proxy", "misp"]);
        let ca = fs::read_to_string(out.join("tls/ca.crt")).unwrap();
        let proxy = fs::read_to_string(out.join("tls/proxy.crt")).unwrap();
        let second = ensure(&out, &settings).unwrap();
        assert_eq!(second, TlsOutcome::default(), "nothing to do");
        assert_eq!(fs::read_to_string(out.join("tls/ca.crt")).unwrap(), ca);
        assert_eq!(
            fs::read_to_string(out.join("tls/proxy.crt")).unwrap(),
            proxy
        );
        // A new public name: the proxy's certificate again, from the same CA.
        let renamed = Settings::parse("[stack]\npublic_host = \"soc.example.org\"\n").unwrap();
        let third = ensure(&out, &renamed).unwrap();
        assert_eq!(third.issued, ["proxy"]);
        assert_eq!(fs::read_to_string(out.join("tls/ca.crt")).unwrap(), ca);
        // A lost CA key: a new CA, and every certificate issued again by it.
        fs::remove_file(out.join("tls/ca.key")).unwrap();
        let again = ensure(&out, &renamed).unwrap();
        assert!(again.ca_created);
        assert_eq!(again.issued, ["proxy", "misp"]);
        // An old certificate is issued again.
        fs::write(out.join("tls/misp.meta"), "misp-core,localhost\n0\n").unwrap();
        assert_eq!(ensure(&out, &renamed).unwrap().issued, ["misp"]);
        let mode = |f: &str| {
            use std::os::unix::fs::PermissionsExt as _;
            fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode("tls"), 0o700);
        assert_eq!(mode("tls/ca.key"), 0o600);
        assert_eq!(mode("tls/proxy.key"), 0o600);
        assert_eq!(mode("tls/misp/key.pem"), 0o600);
        assert_eq!(mode("tls/ca.crt"), 0o644);
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn an_operator_certificate_is_taken_whole_or_not_at_all() {
        let out = temp();
        let own = temp();
        ensure(&own, &Settings::default()).unwrap();
        let path = |f: &str| own.join("tls").join(f).display().to_string();
        let settings = Settings::parse(&format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\nca = \"{}\"\n",
            path("proxy.crt"),
            path("proxy.key"),
            path("ca.crt")
        ))
        .unwrap();
        let outcome = ensure(&out, &settings).unwrap();
        assert!(outcome.operator_certificate);
        assert_eq!(outcome.issued, ["misp"]);
        assert_eq!(
            fs::read_to_string(out.join("tls/ca.crt")).unwrap(),
            fs::read_to_string(own.join("tls/ca.crt")).unwrap()
        );
        let half = Settings::parse(&format!("[tls]\ncert = \"{}\"\n", path("proxy.crt"))).unwrap();
        let e = ensure(&out, &half).unwrap_err().to_string();
        assert!(e.contains("go together"), "{e}");
        let _ = fs::remove_dir_all(&out);
        let _ = fs::remove_dir_all(&own);
    }
}
