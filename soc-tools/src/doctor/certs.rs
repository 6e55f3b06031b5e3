//! Certificate expiry: for every service reached over HTTPS, the certificate it serves, checked
//! the way `soc` checks it (the configured CA, else the system's roots), and its end date.
//!
//! `<service>.certificate`: pass with more than [`WARN_DAYS`] left, warn below, fail below
//! [`FAIL_DAYS`] or once expired. A server whose certificate does not verify for another reason
//! is left to the service's own checks (`<service>.tls`).

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

use super::{Diagnosis, Status};
use crate::config::SocConfig;

/// Fewer days left than this: a warning.
pub(crate) const WARN_DAYS: i64 = 30;
/// Fewer days left than this: a failure.
pub(crate) const FAIL_DAYS: i64 = 7;

/// What the probe of one endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Served {
    /// The certificate verifies; it ends at this Unix time.
    Valid { not_after: i64 },
    /// Verification failed because the certificate expired.
    Expired,
    /// Anything else (unreachable, another verification failure).
    Other(String),
}

pub(super) async fn certificates(config: &SocConfig, d: &mut Diagnosis) {
    let urls = [
        ("thehive", config.thehive.as_ref().map(|s| &s.url)),
        ("cortex", config.cortex.as_ref().map(|s| &s.url)),
        ("misp", config.misp.as_ref().map(|s| &s.url)),
        (
            "elasticsearch",
            config.elasticsearch.as_ref().map(|s| &s.url),
        ),
        ("s3", config.s3.as_ref().map(|s| &s.url)),
    ];
    let https: Vec<(&str, &url::Url)> = urls
        .into_iter()
        .filter_map(|(s, u)| u.filter(|u| u.scheme() == "https").map(|u| (s, u)))
        .collect();
    if https.is_empty() {
        return;
    }
    if config.defaults.danger_accept_invalid_certs {
        for (service, _) in https {
            d.push(
                format!("{service}.certificate"),
                Status::Skip,
                "certificate verification is off (defaults.danger_accept_invalid_certs)",
                "",
            );
        }
        return;
    }
    let roots = match roots(config) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            d.push(
                "soc.ca-file",
                Status::Fail,
                e,
                "point defaults.ca_file at the PEM file of the CA that issued the certificates",
            );
            return;
        }
    };
    let now = unix_now();
    for (service, url) in https {
        let id = format!("{service}.certificate");
        match probe(url, roots.clone()).await {
            Served::Valid { not_after } => {
                let days = (not_after - now).div_euclid(86_400);
                let when = civil(not_after);
                let evidence = format!("{url}: valid until {when} ({days} days)");
                let renew = "renew the certificate (cargo xtask deploy issues the bundle's again \
                             when it renders)";
                if days < FAIL_DAYS {
                    d.push(id, Status::Fail, evidence, renew);
                } else if days < WARN_DAYS {
                    d.push(id, Status::Warn, evidence, renew);
                } else {
                    d.push(id, Status::Pass, evidence, "");
                }
            }
            Served::Expired => d.push(
                id,
                Status::Fail,
                format!("{url}: the certificate has expired"),
                "renew the certificate (cargo xtask deploy issues the bundle's again when it \
                 renders), then restart the service or proxy serving it",
            ),
            Served::Other(_) => {}
        }
    }
}

/// The configured CA alone when there is one (the bundle's case), else the system's roots.
fn roots(config: &SocConfig) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    if let Some(ca) = &config.defaults.ca_file {
        let path = config.relative(ca);
        let certs = CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("defaults.ca_file {}: {e}", path.display()))?;
        for c in certs {
            let c = c.map_err(|e| format!("defaults.ca_file {}: {e}", path.display()))?;
            store
                .add(c)
                .map_err(|e| format!("defaults.ca_file {}: {e}", path.display()))?;
        }
    } else {
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = store.add(c);
        }
    }
    Ok(store)
}

/// Handshakes with the server as `soc` would, and reads the end date of the certificate it
/// serves. Nothing is sent after the handshake.
pub(crate) async fn probe(url: &url::Url, roots: Arc<rustls::RootCertStore>) -> Served {
    let Some(host) = url.host_str() else {
        return Served::Other("no host".into());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let name = match ServerName::try_from(host.trim_matches(['[', ']']).to_owned()) {
        Ok(n) => n,
        Err(e) => return Served::Other(e.to_string()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        Err(e) => return Served::Other(e.to_string()),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| e.to_string())?;
        connector.connect(name, tcp).await.map_err(|e| {
            match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Expired))
                | Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ExpiredContext { .. },
                )) => "expired".to_string(),
                _ => e.to_string(),
            }
        })
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Err(_) => Served::Other("timed out".into()),
        Ok(Err(e)) if e == "expired" => Served::Expired,
        Ok(Err(e)) => Served::Other(e),
        Ok(Ok(tls)) => {
            let leaf = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| not_after(c.as_ref()));
            match leaf {
                Some(Some(t)) => Served::Valid { not_after: t },
                _ => Served::Other("no readable certificate".into()),
            }
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One DER element: (tag, content, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The `notAfter` of an X.509 certificate (DER), as Unix time.
pub(crate) fn not_after(der: &[u8]) -> Option<i64> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version (optional), serialNumber, signature, issuer.
    let (tag, _, r) = tlv(rest)?;
    rest = r;
    if tag == 0xa0 {
        let (_, _, r) = tlv(rest)?; // serial
        rest = r;
    }
    let (_, _, r) = tlv(rest)?; // signature algorithm
    let (_, _, r) = tlv(r)?; // issuer
    let (0x30, validity, _) = tlv(r)? else {
        return None;
    };
    let (_, _, after) = tlv(validity)?; // notBefore
    let (tag, time, _) = tlv(after)?;
    let text = std::str::from_utf8(time).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| -> Option<i64> { rest.get(r)?.parse().ok() };
    let (month, day, h, m, s) = (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?, num(8..10)?);
    if !rest.ends_with('Z') || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a Unix time.
fn civil(t: i64) -> String {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(951_782_400), "2000-02-29");
        assert_eq!(civil(days_from_civil(2049, 12, 31) * 86_400), "2049-12-31");
    }

    #[test]
    fn not_after_is_read_from_der_and_garbage_is_none() {
        let key = rcgen::KeyPair::generate().unwrap();
        for (y, m, d) in [(2031, 7, 15), (2049, 12, 31), (2051, 1, 2)] {
            let mut p = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
            p.not_after = rcgen::date_time_ymd(y, m, d);
            let cert = p.self_signed(&key).unwrap();
            assert_eq!(
                not_after(cert.der()),
                Some(days_from_civil(i64::from(y), i64::from(m), i64::from(d)) * 86_400),
                "{y}-{m}-{d} (UTCTime before 2050, GeneralizedTime after)"
            );
        }
        let der = rcgen::CertificateParams::new(vec!["x".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .der()
            .to_vec();
        for cut in [0, 1, 5, 40, der.len() / 2, der.len() - 1] {
            let _ = not_after(&der[..cut]);
        }
        assert_eq!(not_after(b"\x30\x84\xff\xff\xff\xff"), None);
        assert_eq!(not_after(&[]), None);
    }
}
