//! Indicators out of a Wazuh alert: the field table of the module docs, with validation
//! (hash lengths, IP parsing, private ranges skipped, dotted domains only).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use serde_json::{Map, Value};

/// What an indicator is, and so which MISP attribute types it is expected to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IndicatorKind {
    /// An address the alert names as a source.
    IpSrc,
    /// An address the alert names as a destination.
    IpDst,
    /// A DNS name that was queried.
    Domain,
    /// A host name (HTTP `Host`, TLS SNI, a Sysmon destination host).
    Hostname,
    /// An absolute URL.
    Url,
    /// A request path (web access logs log the path, not the URL).
    Uri,
    /// An MD5 digest.
    Md5,
    /// A SHA-1 digest.
    Sha1,
    /// A SHA-256 digest.
    Sha256,
    /// A PE import hash.
    Imphash,
    /// A file name or path.
    Filename,
}

impl IndicatorKind {
    /// The kind's name, as the MISP type it is closest to.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IpSrc => "ip-src",
            Self::IpDst => "ip-dst",
            Self::Domain => "domain",
            Self::Hostname => "hostname",
            Self::Url => "url",
            Self::Uri => "uri",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Imphash => "imphash",
            Self::Filename => "filename",
        }
    }

    /// The MISP attribute types a value of this kind is expected to match (MISP's value search
    /// also matches either half of composite types such as `ip-dst|port` or `filename|sha256`).
    #[must_use]
    pub fn misp_types(self) -> &'static [&'static str] {
        match self {
            Self::IpSrc | Self::IpDst => &[
                "ip-src",
                "ip-dst",
                "ip-src|port",
                "ip-dst|port",
                "domain|ip",
            ],
            Self::Domain | Self::Hostname => &["domain", "hostname", "domain|ip", "hostname|port"],
            Self::Url => &["url", "link"],
            Self::Uri => &["uri"],
            Self::Md5 => &["md5", "filename|md5"],
            Self::Sha1 => &["sha1", "filename|sha1"],
            Self::Sha256 => &["sha256", "filename|sha256"],
            Self::Imphash => &["imphash", "filename|imphash"],
            Self::Filename => &[
                "filename",
                "filename|md5",
                "filename|sha1",
                "filename|sha256",
            ],
        }
    }
}

/// One indicator found in an alert.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Indicator {
    /// The value as looked up (hashes lower-cased, addresses in canonical form).
    pub value: String,
    /// What it is.
    pub kind: IndicatorKind,
    /// The alert field it came from, as a dotted path (`data.win.eventdata.destinationIp`).
    pub field: String,
}

/// How a field's text turns into indicators.
#[derive(Debug, Clone, Copy)]
enum Parse {
    /// One address.
    Ip(IndicatorKind),
    /// One DNS name (an address literal becomes [`IndicatorKind::IpDst`]).
    Name(IndicatorKind),
    /// Sysmon `hashes`: `MD5=..,SHA1=..,SHA256=..,IMPHASH=..` or a bare digest.
    Hashes,
    /// One digest of a known kind.
    Hash(IndicatorKind),
    /// Sysmon `queryResults`: `type: 5 cname;::ffff:1.2.3.4;...`: the addresses.
    DnsAnswers,
    /// A file path: the path and its last component.
    File,
    /// An absolute URL (and its host), or a request path.
    Url,
}

/// Sysmon event data, by field name compared case-insensitively (Wazuh's Windows decoder
/// writes `destinationIp`, Sysmon for Linux's decoder `DestinationIp`).
const EVENTDATA: &[(&str, Parse)] = &[
    ("hashes", Parse::Hashes),
    ("hash", Parse::Hashes),
    ("destinationIp", Parse::Ip(IndicatorKind::IpDst)),
    ("sourceIp", Parse::Ip(IndicatorKind::IpSrc)),
    ("ipAddress", Parse::Ip(IndicatorKind::IpSrc)),
    ("destinationHostname", Parse::Name(IndicatorKind::Hostname)),
    ("queryName", Parse::Name(IndicatorKind::Domain)),
    ("queryResults", Parse::DnsAnswers),
    ("image", Parse::File),
    ("parentImage", Parse::File),
    ("imageLoaded", Parse::File),
    ("targetFilename", Parse::File),
];

/// Decoder fields under `data`, by exact path.
const DATA: &[(&[&str], Parse)] = &[
    (&["srcip"], Parse::Ip(IndicatorKind::IpSrc)),
    (&["src_ip"], Parse::Ip(IndicatorKind::IpSrc)),
    (&["dstip"], Parse::Ip(IndicatorKind::IpDst)),
    (&["dst_ip"], Parse::Ip(IndicatorKind::IpDst)),
    (&["dest_ip"], Parse::Ip(IndicatorKind::IpDst)),
    (&["url"], Parse::Url),
    (&["http", "url"], Parse::Url),
    (&["hostname"], Parse::Name(IndicatorKind::Hostname)),
    (&["http", "hostname"], Parse::Name(IndicatorKind::Hostname)),
    (&["tls", "sni"], Parse::Name(IndicatorKind::Hostname)),
    (&["domain"], Parse::Name(IndicatorKind::Domain)),
    (&["dns", "rrname"], Parse::Name(IndicatorKind::Domain)),
    (&["md5"], Parse::Hash(IndicatorKind::Md5)),
    (&["sha1"], Parse::Hash(IndicatorKind::Sha1)),
    (&["sha256"], Parse::Hash(IndicatorKind::Sha256)),
];

/// File integrity monitoring, under `syscheck`.
const SYSCHECK: &[(&str, Parse)] = &[
    ("md5_after", Parse::Hash(IndicatorKind::Md5)),
    ("sha1_after", Parse::Hash(IndicatorKind::Sha1)),
    ("sha256_after", Parse::Hash(IndicatorKind::Sha256)),
];

/// Every indicator of an alert, in field order, without repeating a (value, field) pair.
#[must_use]
pub fn indicators(alert: &Value) -> Vec<Indicator> {
    let mut out = Collector::default();
    if let Some(data) = alert.get("data") {
        for (path, parse) in DATA {
            let mut v = Some(data);
            for seg in *path {
                v = v.and_then(|x| x.get(seg));
            }
            if let Some(v) = v {
                out.field(&format!("data.{}", path.join(".")), v, *parse);
            }
        }
        for (prefix, ed) in [
            (
                "data.win.eventdata",
                data.get("win").and_then(|w| w.get("eventdata")),
            ),
            ("data.eventdata", data.get("eventdata")),
        ] {
            if let Some(ed) = ed.and_then(Value::as_object) {
                eventdata(&mut out, prefix, ed);
            }
        }
    }
    if let Some(sc) = alert.get("syscheck") {
        for (name, parse) in SYSCHECK {
            if let Some(v) = sc.get(name) {
                out.field(&format!("syscheck.{name}"), v, *parse);
            }
        }
    }
    out.list
}

fn eventdata(out: &mut Collector, prefix: &str, ed: &Map<String, Value>) {
    for (name, parse) in EVENTDATA {
        for (key, v) in ed.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)) {
            out.field(&format!("{prefix}.{key}"), v, *parse);
        }
    }
}

#[derive(Default)]
struct Collector {
    list: Vec<Indicator>,
    seen: BTreeSet<(String, String)>,
}

impl Collector {
    fn push(&mut self, field: &str, kind: IndicatorKind, value: String) {
        // `!` negates a term in MISP's search syntax: such a value cannot be looked up.
        if value.is_empty() || value.starts_with('!') {
            return;
        }
        if self.seen.insert((value.clone(), field.to_owned())) {
            self.list.push(Indicator {
                value,
                kind,
                field: field.to_owned(),
            });
        }
    }

    /// A field's value: a string, or an array of strings (some decoders repeat fields).
    fn field(&mut self, field: &str, v: &Value, parse: Parse) {
        match v {
            Value::String(s) => self.text(field, s.trim(), parse),
            Value::Array(items) => {
                for s in items.iter().filter_map(Value::as_str) {
                    self.text(field, s.trim(), parse);
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, field: &str, s: &str, parse: Parse) {
        match parse {
            Parse::Ip(kind) => {
                if let Some(ip) = public_ip(s) {
                    self.push(field, kind, ip);
                }
            }
            Parse::Name(kind) => self.name(field, kind, s),
            Parse::Hashes => {
                for part in s.split(',') {
                    let (label, digest) = match part.split_once('=') {
                        Some((l, d)) => (Some(l.trim()), d.trim()),
                        None => (None, part.trim()),
                    };
                    if let Some((kind, d)) = digest_kind(label, digest) {
                        self.push(field, kind, d);
                    }
                }
            }
            Parse::Hash(kind) => {
                if let Some((k, d)) = digest_kind(None, s) {
                    // A field named for one algorithm holding another's length is not trusted.
                    if k == kind {
                        self.push(field, kind, d);
                    }
                }
            }
            Parse::DnsAnswers => {
                for part in s.split(';') {
                    let part = part.trim();
                    if let Some(ip) = public_ip(part.strip_prefix("::ffff:").unwrap_or(part)) {
                        self.push(field, IndicatorKind::IpDst, ip);
                    }
                }
            }
            Parse::File => {
                if s.len() < 3 {
                    return;
                }
                self.push(field, IndicatorKind::Filename, s.to_owned());
                if let Some(base) = s.rsplit(['\\', '/']).next() {
                    if !base.is_empty() && base != s {
                        self.push(field, IndicatorKind::Filename, base.to_owned());
                    }
                }
            }
            Parse::Url => self.url(field, s),
        }
    }

    fn name(&mut self, field: &str, kind: IndicatorKind, s: &str) {
        let s = s.trim_end_matches('.');
        if let Ok(ip) = s.parse::<IpAddr>() {
            if let Some(ip) = public_ip(&ip.to_string()) {
                self.push(field, IndicatorKind::IpDst, ip);
            }
            return;
        }
        if is_public_name(s) {
            self.push(field, kind, s.to_ascii_lowercase());
        }
    }

    fn url(&mut self, field: &str, s: &str) {
        if s.starts_with('/') {
            if s.len() > 1 {
                self.push(field, IndicatorKind::Uri, s.to_owned());
            }
            return;
        }
        let Ok(u) = url::Url::parse(s) else {
            return;
        };
        if !matches!(u.scheme(), "http" | "https" | "ftp") {
            return;
        }
        let host = match u.host() {
            Some(url::Host::Domain(d)) => {
                if !is_public_name(d) {
                    return;
                }
                Some((IndicatorKind::Hostname, d.to_ascii_lowercase()))
            }
            Some(url::Host::Ipv4(ip)) => {
                public_ip(&ip.to_string()).map(|v| (IndicatorKind::IpDst, v))
            }
            Some(url::Host::Ipv6(ip)) => {
                public_ip(&ip.to_string()).map(|v| (IndicatorKind::IpDst, v))
            }
            None => None,
        };
        let Some((kind, host)) = host else {
            return;
        };
        self.push(field, IndicatorKind::Url, s.to_owned());
        self.push(field, kind, host);
    }
}

/// A digest's kind from its label (Sysmon's `MD5`, `SHA1`, `SHA256`, `IMPHASH`) or, bare,
/// from its length; lower-cased. `None` for anything not hexadecimal of the right length.
fn digest_kind(label: Option<&str>, d: &str) -> Option<(IndicatorKind, String)> {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_hexdigit()) || d.bytes().all(|b| b == b'0') {
        return None;
    }
    let by_len = match d.len() {
        32 => IndicatorKind::Md5,
        40 => IndicatorKind::Sha1,
        64 => IndicatorKind::Sha256,
        _ => return None,
    };
    let kind = match label.map(str::to_ascii_uppercase).as_deref() {
        None => by_len,
        Some("MD5") => IndicatorKind::Md5,
        Some("SHA1") => IndicatorKind::Sha1,
        Some("SHA256") => IndicatorKind::Sha256,
        Some("IMPHASH") => IndicatorKind::Imphash,
        Some(_) => return None,
    };
    let expected = if kind == IndicatorKind::Imphash {
        IndicatorKind::Md5
    } else {
        kind
    };
    (expected == by_len).then(|| (kind, d.to_ascii_lowercase()))
}

/// A dotted name outside the local and reverse-lookup zones.
fn is_public_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.len() <= 253
        && s.contains('.')
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && ![
            ".local",
            ".localdomain",
            ".arpa",
            ".internal",
            ".lan",
            ".home",
        ]
        .iter()
        .any(|z| lower.ends_with(z))
}

/// The address in canonical form, unless it is private, loopback, link-local, shared (CGNAT),
/// multicast, broadcast or unspecified: such addresses say nothing to a threat feed.
pub(crate) fn public_ip(s: &str) -> Option<String> {
    let ip: IpAddr = s.trim().parse().ok()?;
    let public = match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => return public_v4(v4).then(|| v4.to_string()),
            None => public_v6(v6),
        },
    };
    public.then(|| ip.to_string())
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn found(alert: &Value) -> Vec<(String, &'static str, String)> {
        indicators(alert)
            .into_iter()
            .map(|i| (i.field, i.kind.as_str(), i.value))
            .collect()
    }

    fn t(f: &str, k: &'static str, v: &str) -> (String, &'static str, String) {
        (f.to_owned(), k, v.to_owned())
    }

    #[test]
    fn sysmon_hashes_split_by_label_and_checked_by_length() {
        let a = json!({"data": {"win": {"eventdata": {
            "hashes": "SHA1=A94A8FE5CCB19BA61C4C0873D391E987982FBBD3,MD5=098F6BCD4621D373CADE4E832627B4F6,SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744,SHA256=tooshort"
        }}}});
        let f = "data.win.eventdata.hashes";
        assert_eq!(
            found(&a),
            vec![
                t(f, "sha1", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
                t(f, "md5", "098f6bcd4621d373cade4e832627b4f6"),
                t(
                    f,
                    "sha256",
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                ),
                t(f, "imphash", "f34d5f2d4577ed6d9ceec516c1f5a744"),
            ]
        );
        // A bare digest (Sysmon configured for one algorithm) is typed by its length.
        let bare = json!({"data": {"win": {"eventdata": {"hashes": "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}}}});
        assert_eq!(found(&bare)[0].1, "sha256");
    }

    #[test]
    fn every_table_row() {
        let a = json!({
            "data": {
                "srcip": "198.51.100.7", "src_ip": "10.0.0.1", "dstip": "203.0.113.5",
                "dst_ip": "2001:db8::5", "dest_ip": "::ffff:192.0.2.9",
                "url": "http://evil.example.org/x?y=1",
                "http": {"url": "/admin.php", "hostname": "Cdn.Example.NET"},
                "hostname": "web-01", "tls": {"sni": "sni.example.com"},
                "domain": "bad.example.com", "dns": {"rrname": "c2.example.net."},
                "md5": "098f6bcd4621d373cade4e832627b4f6", "sha1": "nothex", "sha256": "098f6bcd4621d373cade4e832627b4f6",
                "win": {"eventdata": {
                    "destinationIp": "192.168.1.4", "sourceIp": "8.8.4.4", "ipAddress": "-",
                    "destinationHostname": "host.example.com", "queryName": "wpad",
                    "queryResults": "type:  5 x.example.com;::ffff:203.0.113.80;10.1.1.1;",
                    "image": "C:\\Windows\\Temp\\evil.exe", "parentImage": "C:\\Windows\\explorer.exe",
                    "imageLoaded": "-", "targetFilename": "C:\\Users\\a\\drop.ps1",
                    "commandLine": "not an indicator"
                }},
                "eventdata": {"DestinationIp": "127.0.0.1", "QueryName": "linux.example.com", "Image": "/usr/bin/curl"}
            },
            "syscheck": {
                "path": "/etc/passwd",
                "md5_after": "098f6bcd4621d373cade4e832627b4f6",
                "sha1_after": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
                "sha256_after": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "md5_before": "00000000000000000000000000000001"
            }
        });
        let ed = "data.win.eventdata";
        assert_eq!(
            found(&a),
            vec![
                t("data.srcip", "ip-src", "198.51.100.7"),
                t("data.dstip", "ip-dst", "203.0.113.5"),
                t("data.dst_ip", "ip-dst", "2001:db8::5"),
                t("data.dest_ip", "ip-dst", "192.0.2.9"),
                t("data.url", "url", "http://evil.example.org/x?y=1"),
                t("data.url", "hostname", "evil.example.org"),
                t("data.http.url", "uri", "/admin.php"),
                t("data.http.hostname", "hostname", "cdn.example.net"),
                t("data.tls.sni", "hostname", "sni.example.com"),
                t("data.domain", "domain", "bad.example.com"),
                t("data.dns.rrname", "domain", "c2.example.net"),
                t("data.md5", "md5", "098f6bcd4621d373cade4e832627b4f6"),
                t(&format!("{ed}.sourceIp"), "ip-src", "8.8.4.4"),
                t(
                    &format!("{ed}.destinationHostname"),
                    "hostname",
                    "host.example.com"
                ),
                t(&format!("{ed}.queryResults"), "ip-dst", "203.0.113.80"),
                t(
                    &format!("{ed}.image"),
                    "filename",
                    "C:\\Windows\\Temp\\evil.exe"
                ),
                t(&format!("{ed}.image"), "filename", "evil.exe"),
                t(
                    &format!("{ed}.parentImage"),
                    "filename",
                    "C:\\Windows\\explorer.exe"
                ),
                t(&format!("{ed}.parentImage"), "filename", "explorer.exe"),
                t(
                    &format!("{ed}.targetFilename"),
                    "filename",
                    "C:\\Users\\a\\drop.ps1"
                ),
                t(&format!("{ed}.targetFilename"), "filename", "drop.ps1"),
                t("data.eventdata.QueryName", "domain", "linux.example.com"),
                t("data.eventdata.Image", "filename", "/usr/bin/curl"),
                t("data.eventdata.Image", "filename", "curl"),
                t(
                    "syscheck.md5_after",
                    "md5",
                    "098f6bcd4621d373cade4e832627b4f6"
                ),
                t(
                    "syscheck.sha1_after",
                    "sha1",
                    "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
                ),
                t(
                    "syscheck.sha256_after",
                    "sha256",
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                ),
            ]
        );
    }

    #[test]
    fn private_and_special_addresses_are_skipped() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.251",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "not-an-ip",
        ] {
            assert_eq!(public_ip(ip), None, "{ip}");
        }
        assert_eq!(public_ip("8.8.8.8").as_deref(), Some("8.8.8.8"));
        assert_eq!(public_ip("::ffff:8.8.8.8").as_deref(), Some("8.8.8.8"));
        assert_eq!(
            public_ip("2606:4700::1111").as_deref(),
            Some("2606:4700::1111")
        );
    }

    #[test]
    fn names_outside_public_zones_and_negations_are_skipped() {
        let a = json!({"data": {"domain": ["printer.local", "1.0.0.10.in-addr.arpa", "ok.example.com", "!neg.example.com", "bad name.example.com"]}});
        assert_eq!(
            found(&a),
            vec![t("data.domain", "domain", "ok.example.com")]
        );
    }
}
