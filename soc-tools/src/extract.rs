//! Indicators of compromise in free text: IP addresses (public or not), domains (with a known
//! public suffix), URLs, email addresses, MD5/SHA1/SHA256/SHA512 hashes, CVE ids, file names and
//! Windows registry keys; defanged forms (`hxxp://`, `[.]`, `(dot)`, `[@]`) are refanged first.
//!
//! Matching uses the `regex` crate's finite automata: time is linear in the input, whatever it
//! holds. Each distinct indicator is returned once, with every place it was found (byte ranges
//! in the original text).
//!
//! ```
//! use soc_tools::extract::{extract, Kind};
//! let found = extract("Beacon to hxxp://evil-domain[.]com/gate.php from 10.0.0.5 and 185.220.101.45");
//! assert!(found.iter().any(|i| i.kind == Kind::Url && i.value == "http://evil-domain.com/gate.php"));
//! assert!(found.iter().any(|i| i.kind == Kind::Ip && i.value == "185.220.101.45" && i.public));
//! assert!(found.iter().any(|i| i.kind == Kind::Ip && i.value == "10.0.0.5" && !i.public));
//! ```

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// What an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An IPv4 or IPv6 address.
    Ip,
    /// A domain name with a known public suffix.
    Domain,
    /// An `http`, `https` or `ftp` URL.
    Url,
    /// An email address.
    Email,
    /// 32 hex digits.
    Md5,
    /// 40 hex digits.
    Sha1,
    /// 64 hex digits.
    Sha256,
    /// 128 hex digits.
    Sha512,
    /// `CVE-YYYY-NNNN`.
    Cve,
    /// A file name with an extension attackers use.
    FileName,
    /// A Windows registry key.
    RegistryKey,
}

impl Kind {
    /// The TheHive data type for this kind.
    pub fn thehive_data_type(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "mail",
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => "hash",
            Kind::Cve => "other",
            Kind::FileName => "filename",
            Kind::RegistryKey => "registry",
        }
    }
}

/// One distinct indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// What it is.
    pub kind: Kind,
    /// Its value, refanged and normalised (domains and hashes lowercase).
    pub value: String,
    /// For IPs: routable on the internet (not private, loopback, link-local, documentation,
    /// shared or reserved). Always true for other kinds.
    pub public: bool,
    /// Where it was found: byte ranges in the original text.
    pub positions: Vec<Range<usize>>,
}

/// The refanged text and, for each of its bytes, the range of the original text (a character
/// or a whole defanged form) it came from.
struct Refanged {
    text: String,
    origin: Vec<(usize, usize)>,
}

impl Refanged {
    fn original(&self, r: Range<usize>) -> Range<usize> {
        let start = self.origin.get(r.start).map(|o| o.0).unwrap_or(0);
        let end = match r.end.checked_sub(1) {
            Some(last) => self.origin.get(last).map(|o| o.1).unwrap_or(start),
            None => start,
        };
        start..end.max(start)
    }
}

/// Defanging forms and what they stand for, checked at each position (case-insensitive).
const DEFANGS: &[(&str, &str)] = &[
    ("hxxps://", "https://"),
    ("hxxp://", "http://"),
    ("hxxps[:]//", "https://"),
    ("hxxp[:]//", "http://"),
    ("https[:]//", "https://"),
    ("http[:]//", "http://"),
    ("fxp://", "ftp://"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[@]", "@"),
    ("(@)", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("[:]", ":"),
    ("[/]", "/"),
];

fn refang(input: &str) -> Refanged {
    let bytes = input.as_bytes();
    let mut text = String::with_capacity(input.len());
    let mut origin = Vec::with_capacity(input.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        if matches!(bytes[i], b'h' | b'H' | b'f' | b'F' | b'[' | b'(' | b'{') {
            for (from, to) in DEFANGS {
                let end = i + from.len();
                if end <= bytes.len() && bytes[i..end].eq_ignore_ascii_case(from.as_bytes()) {
                    for _ in 0..to.len() {
                        origin.push((i, end));
                    }
                    text.push_str(to);
                    i = end;
                    continue 'outer;
                }
            }
        }
        // Copy one whole character (the input is UTF-8; defangs are ASCII).
        let len = utf8_len(bytes[i]);
        let end = (i + len).min(bytes.len());
        if let Some(ch) = input.get(i..end) {
            text.push_str(ch);
            for _ in 0..ch.len() {
                origin.push((i, end));
            }
        }
        i = end;
    }
    Refanged { text, origin }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

struct Patterns {
    url: Regex,
    email: Regex,
    ipv4: Regex,
    ipv6: Regex,
    hash: Regex,
    cve: Regex,
    registry: Regex,
    file: Regex,
    domain: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            url: Regex::new(r#"(?i)\b(?:https?|ftp)://[^\s<>"'`{}|\\^\[\]]+"#).ok()?,
            email: Regex::new(r"(?i)\b[a-z0-9._%+\-]{1,64}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\b").ok()?,
            ipv4: Regex::new(r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\b").ok()?,
            ipv6: Regex::new(r"(?i)(?:^|[^0-9a-f:])([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})").ok()?,
            hash: Regex::new(r"(?i)\b[0-9a-f]{32,128}\b").ok()?,
            cve: Regex::new(r"(?i)\bCVE-\d{4}-\d{4,7}\b").ok()?,
            registry: Regex::new(r#"(?i)\b(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG|HKLM|HKCU|HKCR|HKU)\\[^\s"'<>|]+"#).ok()?,
            file: Regex::new(r"(?i)\b[\w\-]{1,200}\.(?:exe|dll|scr|sys|ps1|psm1|bat|cmd|vbs|vbe|js|jse|wsf|hta|lnk|jar|msi|iso|img|docm|xlsm|pptm|doc|xls|rtf|pdf|zip|rar|7z|apk|elf|sh|py)\b").ok()?,
            domain: Regex::new(r"(?i)\b(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9\-]{0,62}\b").ok()?,
        })
    })
    .as_ref()
}

/// Whether an address is routable on the internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240)
}

/// Whether `name` ends in a public suffix (`.com`, `.co.uk`) and has a label before it.
pub fn has_public_suffix(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    match psl::suffix(lower.as_bytes()) {
        Some(s) => s.is_known() && s.as_bytes().len() < lower.len(),
        None => false,
    }
}

/// Spans taken by longer indicators (a URL holds a domain, an email holds one), asked "does one
/// of you cover this span?" in logarithmic time: sorted by start, with the furthest end reached
/// so far. Adding marks it unsorted; the next question sorts it again, so callers add a whole
/// pass's spans before asking.
#[derive(Default)]
struct Claims {
    spans: Vec<Range<usize>>,
    furthest: Vec<usize>,
    sorted: bool,
}

impl Claims {
    fn add(&mut self, span: Range<usize>) {
        self.spans.push(span);
        self.sorted = false;
    }

    fn covers(&mut self, s: &Range<usize>) -> bool {
        if !self.sorted {
            self.spans.sort_by_key(|c| c.start);
            let mut far = 0;
            self.furthest = self
                .spans
                .iter()
                .map(|c| {
                    far = far.max(c.end);
                    far
                })
                .collect();
            self.sorted = true;
        }
        let before = self.spans.partition_point(|c| c.start <= s.start);
        before > 0 && self.furthest[before - 1] >= s.end
    }
}

/// Every distinct indicator in `text`, in the order first found.
pub fn extract(text: &str) -> Vec<Indicator> {
    let Some(p) = patterns() else {
        return Vec::new();
    };
    let r = refang(text);
    let t = r.text.as_str();
    let mut found: BTreeMap<(Kind, String), (usize, Indicator)> = BTreeMap::new();
    // Spans already claimed by a longer indicator (a URL holds a domain, an email holds one).
    let mut claimed = Claims::default();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut order = 0usize;
    let mut add = |kind: Kind,
                   value: String,
                   public: bool,
                   span: Range<usize>,
                   found: &mut BTreeMap<(Kind, String), (usize, Indicator)>| {
        let pos = r.original(span);
        let entry = found.entry((kind, value.clone())).or_insert_with(|| {
            order += 1;
            (
                order,
                Indicator {
                    kind,
                    value,
                    public,
                    positions: Vec::new(),
                },
            )
        });
        if seen.insert((entry.0, pos.start)) {
            entry.1.positions.push(pos);
        }
    };

    for m in p.url.find_iter(t) {
        // Trailing punctuation of the sentence is not part of the URL.
        let url = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\'', '"']);
        let span = m.start()..m.start() + url.len();
        add(Kind::Url, url.to_owned(), true, span.clone(), &mut found);
        // Its host is an indicator too (intel often lists the domain, not the URL).
        if let Some(host) = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
        {
            let lower = url.to_ascii_lowercase();
            if let Some(at) = lower.find(&host) {
                let host_span = span.start + at..span.start + at + host.len();
                match host.parse::<Ipv4Addr>() {
                    Ok(ip) => add(
                        Kind::Ip,
                        ip.to_string(),
                        is_public_v4(ip),
                        host_span,
                        &mut found,
                    ),
                    Err(_) if has_public_suffix(&host) => {
                        add(Kind::Domain, host, true, host_span, &mut found)
                    }
                    Err(_) => {}
                }
            }
        }
        claimed.add(span);
    }
    let mut pending = Vec::new();
    for m in p.email.find_iter(t) {
        let span = m.range();
        if claimed.covers(&span) {
            continue;
        }
        if let Some((_, domain)) = m.as_str().rsplit_once('@') {
            if !has_public_suffix(domain) {
                continue;
            }
        }
        add(
            Kind::Email,
            m.as_str().to_ascii_lowercase(),
            true,
            span.clone(),
            &mut found,
        );
        pending.push(span);
    }
    for span in pending {
        claimed.add(span);
    }
    for m in p.registry.find_iter(t) {
        let key = m.as_str().trim_end_matches(['.', ',', ';', ')']);
        let span = m.start()..m.start() + key.len();
        add(
            Kind::RegistryKey,
            key.to_owned(),
            true,
            span.clone(),
            &mut found,
        );
        claimed.add(span);
    }
    for m in p.ipv4.find_iter(t) {
        let span = m.range();
        // A dotted run longer than four numbers is a version string, not an address.
        let before = t[..span.start].chars().next_back();
        let after = t[span.end..].chars().next();
        if matches!(before, Some('.'))
            || matches!((after, t[span.end..].chars().nth(1)), (Some('.'), Some(c)) if c.is_ascii_digit())
        {
            continue;
        }
        if let Ok(ip) = m.as_str().parse::<Ipv4Addr>() {
            add(
                Kind::Ip,
                ip.to_string(),
                is_public_v4(ip),
                span.clone(),
                &mut found,
            );
            claimed.add(span);
        }
    }
    for c in p.ipv6.captures_iter(t) {
        let Some(m) = c.get(1) else { continue };
        let candidate = m.as_str().trim_end_matches(':');
        if let Ok(ip) = candidate.parse::<Ipv6Addr>() {
            let span = m.start()..m.start() + candidate.len();
            add(
                Kind::Ip,
                ip.to_string(),
                is_public(IpAddr::V6(ip)),
                span.clone(),
                &mut found,
            );
            claimed.add(span);
        }
    }
    for m in p.hash.find_iter(t) {
        let kind = match m.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            128 => Kind::Sha512,
            _ => continue,
        };
        let span = m.range();
        if claimed.covers(&span) {
            continue;
        }
        add(
            kind,
            m.as_str().to_ascii_lowercase(),
            true,
            span,
            &mut found,
        );
    }
    for m in p.cve.find_iter(t) {
        add(
            Kind::Cve,
            m.as_str().to_ascii_uppercase(),
            true,
            m.range(),
            &mut found,
        );
    }
    let mut pending = Vec::new();
    for m in p.file.find_iter(t) {
        let span = m.range();
        if claimed.covers(&span) {
            continue;
        }
        add(
            Kind::FileName,
            m.as_str().to_owned(),
            true,
            span.clone(),
            &mut found,
        );
        pending.push(span);
    }
    for span in pending {
        claimed.add(span);
    }
    for m in p.domain.find_iter(t) {
        let span = m.range();
        if claimed.covers(&span) || !m.as_str().contains('.') {
            continue;
        }
        let name = m.as_str().to_ascii_lowercase();
        if name.parse::<Ipv4Addr>().is_ok() || !has_public_suffix(&name) {
            continue;
        }
        add(Kind::Domain, name, true, span, &mut found);
    }
    let mut out: Vec<(usize, Indicator)> = found.into_values().collect();
    out.sort_by_key(|(o, _)| *o);
    out.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, kind: Kind) -> Vec<String> {
        extract(text)
            .into_iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.value)
            .collect()
    }

    #[test]
    fn refangs_and_maps_positions_back() {
        let text = "see hxxps://login-micros0ft[.]com/owa and evil(dot)example[.]org";
        let found = extract(text);
        let url = found.iter().find(|i| i.kind == Kind::Url).expect("url");
        assert_eq!(url.value, "https://login-micros0ft.com/owa");
        assert_eq!(
            &text[url.positions[0].clone()],
            "hxxps://login-micros0ft[.]com/owa"
        );
        let domains = values(text, Kind::Domain);
        assert_eq!(
            domains,
            ["login-micros0ft.com", "evil.example.org"],
            "a URL's host is a domain too"
        );
        let host = found
            .iter()
            .find(|i| i.value == "login-micros0ft.com")
            .expect("host");
        assert_eq!(&text[host.positions[0].clone()], "login-micros0ft[.]com");
    }

    #[test]
    fn ips_public_and_private() {
        let found = extract(
            "from 10.1.2.3, 192.168.0.1 and 8.8.8.8 via 2001:4860:4860::8888 (fe80::1); v1.2.3.4.5",
        );
        let ips: Vec<(String, bool)> = found
            .iter()
            .filter(|i| i.kind == Kind::Ip)
            .map(|i| (i.value.clone(), i.public))
            .collect();
        assert!(ips.contains(&("8.8.8.8".into(), true)));
        assert!(ips.contains(&("10.1.2.3".into(), false)));
        assert!(ips.contains(&("192.168.0.1".into(), false)));
        assert!(ips.contains(&("2001:4860:4860::8888".into(), true)));
        assert!(ips.contains(&("fe80::1".into(), false)));
        assert!(
            !ips.iter().any(|(v, _)| v == "1.2.3.4" || v == "2.3.4.5"),
            "version strings are not IPs: {ips:?}"
        );
    }

    #[test]
    fn hashes_cves_files_registry_emails() {
        let text = "md5 44D88612FEA8A8F36DE82E1278ABB02F sha1 3395856ce81f2b7382dee72602f798b642f14140 \
            sha256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f CVE-2021-44228, \
            dropped invoice_2026.docm and payload.exe; HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run. \
            Mail from billing[@]login-micros0ft[.]com";
        assert_eq!(
            values(text, Kind::Md5),
            ["44d88612fea8a8f36de82e1278abb02f"]
        );
        assert_eq!(values(text, Kind::Sha1).len(), 1);
        assert_eq!(values(text, Kind::Sha256).len(), 1);
        assert_eq!(values(text, Kind::Cve), ["CVE-2021-44228"]);
        assert_eq!(
            values(text, Kind::FileName),
            ["invoice_2026.docm", "payload.exe"]
        );
        assert_eq!(
            values(text, Kind::RegistryKey),
            ["HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"]
        );
        assert_eq!(values(text, Kind::Email), ["billing@login-micros0ft.com"]);
        assert!(
            values(text, Kind::Domain).is_empty(),
            "no file name or mail domain as a domain: {:?}",
            values(text, Kind::Domain)
        );
    }

    #[test]
    fn duplicates_once_with_every_position() {
        let text = "8.8.8.8 then 8.8.8.8 again and example.com, EXAMPLE.com";
        let found = extract(text);
        let ip = found.iter().find(|i| i.kind == Kind::Ip).expect("ip");
        assert_eq!(ip.positions, vec![0..7, 13..20]);
        let d = found
            .iter()
            .find(|i| i.kind == Kind::Domain)
            .expect("domain");
        assert_eq!(d.positions.len(), 2);
    }

    #[test]
    fn unknown_suffixes_and_garbage_are_not_domains() {
        assert!(values("run config.local and foo.internal and a.b", Kind::Domain).is_empty());
        assert!(extract("").is_empty());
        assert!(extract("\u{0}\u{ffff}[[[.]]]((dot)hxxp")
            .iter()
            .all(|i| i.kind != Kind::Url));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let scale: usize = std::env::var("SOC_SWEEP_SCALE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        for round in 0..400 * scale {
            let len = round % 400;
            let mut s = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let alphabet = b"ab.:/[]()@hxtp0123456789fHKLM\\-_ \n";
                let pick = alphabet[(seed % alphabet.len() as u64) as usize];
                s.push(char::from(pick));
                if seed % 97 == 0 {
                    s.push('é');
                }
            }
            let found = extract(&s);
            for i in found {
                for p in &i.positions {
                    assert!(
                        p.end <= s.len() && s.is_char_boundary(p.start),
                        "{s:?} {p:?}"
                    );
                }
            }
        }
    }
}
