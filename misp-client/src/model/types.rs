//! Attribute types and categories as MISP's describeTypes lists them (194 types, 16 categories
//! at MISP 2.5), each an open enum: a value a newer server adds is kept in `Unknown`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = concat!("`", $s, "`")] $variant,)*
            /// A value this crate does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire name.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $s,)*
                    Self::Unknown(s) => s,
                }
            }

            /// The value for a wire name.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $($s => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// Every known value.
            #[must_use]
            pub fn known() -> &'static [&'static str] {
                &[$($s,)*]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

open_enum!(
    /// An attribute type (`ip-dst`, `sha256`, `filename|md5` ...).
    AttributeType {
        Md5 => "md5",
        Sha1 => "sha1",
        Sha256 => "sha256",
        Filename => "filename",
        Pdb => "pdb",
        FilenameMd5 => "filename|md5",
        FilenameSha1 => "filename|sha1",
        FilenameSha256 => "filename|sha256",
        IpSrc => "ip-src",
        IpDst => "ip-dst",
        Hostname => "hostname",
        Domain => "domain",
        DomainIp => "domain|ip",
        Email => "email",
        EmailSrc => "email-src",
        Eppn => "eppn",
        EmailDst => "email-dst",
        EmailSubject => "email-subject",
        EmailAttachment => "email-attachment",
        EmailBody => "email-body",
        Float => "float",
        GitCommitId => "git-commit-id",
        Url => "url",
        HttpMethod => "http-method",
        UserAgent => "user-agent",
        Ja3FingerprintMd5 => "ja3-fingerprint-md5",
        JarmFingerprint => "jarm-fingerprint",
        FaviconMmh3 => "favicon-mmh3",
        HasshMd5 => "hassh-md5",
        HasshserverMd5 => "hasshserver-md5",
        Regkey => "regkey",
        RegkeyValue => "regkey|value",
        AS => "AS",
        Snort => "snort",
        Suricata => "suricata",
        Bro => "bro",
        Zeek => "zeek",
        CommunityId => "community-id",
        DomHash => "dom-hash",
        PatternInFile => "pattern-in-file",
        PatternInTraffic => "pattern-in-traffic",
        PatternInMemory => "pattern-in-memory",
        FilenamePattern => "filename-pattern",
        PgpPublicKey => "pgp-public-key",
        PgpPrivateKey => "pgp-private-key",
        SshFingerprint => "ssh-fingerprint",
        Yara => "yara",
        Stix2Pattern => "stix2-pattern",
        Sigma => "sigma",
        Gene => "gene",
        KustoQuery => "kusto-query",
        MimeType => "mime-type",
        IdentityCardNumber => "identity-card-number",
        Cookie => "cookie",
        Vulnerability => "vulnerability",
        Cpe => "cpe",
        Weakness => "weakness",
        Attachment => "attachment",
        MalwareSample => "malware-sample",
        Link => "link",
        Comment => "comment",
        Text => "text",
        Hex => "hex",
        Other => "other",
        NamedPipe => "named pipe",
        Mutex => "mutex",
        ProcessState => "process-state",
        TargetUser => "target-user",
        TargetEmail => "target-email",
        TargetMachine => "target-machine",
        TargetOrg => "target-org",
        TargetLocation => "target-location",
        TargetExternal => "target-external",
        Btc => "btc",
        Dash => "dash",
        Xmr => "xmr",
        Iban => "iban",
        Bic => "bic",
        BankAccountNr => "bank-account-nr",
        AbaRtn => "aba-rtn",
        Bin => "bin",
        CcNumber => "cc-number",
        Prtn => "prtn",
        PhoneNumber => "phone-number",
        ThreatActor => "threat-actor",
        CampaignName => "campaign-name",
        CampaignId => "campaign-id",
        MalwareType => "malware-type",
        Uri => "uri",
        Authentihash => "authentihash",
        Vhash => "vhash",
        Ssdeep => "ssdeep",
        Imphash => "imphash",
        Telfhash => "telfhash",
        Pehash => "pehash",
        Impfuzzy => "impfuzzy",
        Sha224 => "sha224",
        Sha384 => "sha384",
        Sha512 => "sha512",
        Sha512224 => "sha512/224",
        Sha512256 => "sha512/256",
        Sha3224 => "sha3-224",
        Sha3256 => "sha3-256",
        Sha3384 => "sha3-384",
        Sha3512 => "sha3-512",
        Tlsh => "tlsh",
        Cdhash => "cdhash",
        FilenameAuthentihash => "filename|authentihash",
        FilenameVhash => "filename|vhash",
        FilenameSsdeep => "filename|ssdeep",
        FilenameImphash => "filename|imphash",
        FilenameImpfuzzy => "filename|impfuzzy",
        FilenamePehash => "filename|pehash",
        FilenameSha224 => "filename|sha224",
        FilenameSha384 => "filename|sha384",
        FilenameSha512 => "filename|sha512",
        FilenameSha512224 => "filename|sha512/224",
        FilenameSha512256 => "filename|sha512/256",
        FilenameSha3224 => "filename|sha3-224",
        FilenameSha3256 => "filename|sha3-256",
        FilenameSha3384 => "filename|sha3-384",
        FilenameSha3512 => "filename|sha3-512",
        FilenameTlsh => "filename|tlsh",
        WindowsScheduledTask => "windows-scheduled-task",
        WindowsServiceName => "windows-service-name",
        WindowsServiceDisplayname => "windows-service-displayname",
        WhoisRegistrantEmail => "whois-registrant-email",
        WhoisRegistrantPhone => "whois-registrant-phone",
        WhoisRegistrantName => "whois-registrant-name",
        WhoisRegistrantOrg => "whois-registrant-org",
        WhoisRegistrar => "whois-registrar",
        WhoisCreationDate => "whois-creation-date",
        X509FingerprintSha1 => "x509-fingerprint-sha1",
        X509FingerprintMd5 => "x509-fingerprint-md5",
        X509FingerprintSha256 => "x509-fingerprint-sha256",
        DnsSoaEmail => "dns-soa-email",
        SizeInBytes => "size-in-bytes",
        Counter => "counter",
        Integer => "integer",
        Datetime => "datetime",
        Port => "port",
        IpDstPort => "ip-dst|port",
        IpSrcPort => "ip-src|port",
        HostnamePort => "hostname|port",
        MacAddress => "mac-address",
        MacEui64 => "mac-eui-64",
        EmailDstDisplayName => "email-dst-display-name",
        EmailSrcDisplayName => "email-src-display-name",
        EmailHeader => "email-header",
        EmailReplyTo => "email-reply-to",
        EmailXMailer => "email-x-mailer",
        EmailMimeBoundary => "email-mime-boundary",
        EmailThreadIndex => "email-thread-index",
        EmailMessageId => "email-message-id",
        GithubUsername => "github-username",
        GithubRepository => "github-repository",
        GithubOrganisation => "github-organisation",
        JabberId => "jabber-id",
        TwitterId => "twitter-id",
        Dkim => "dkim",
        DkimSignature => "dkim-signature",
        FirstName => "first-name",
        MiddleName => "middle-name",
        LastName => "last-name",
        FullName => "full-name",
        DateOfBirth => "date-of-birth",
        PlaceOfBirth => "place-of-birth",
        Gender => "gender",
        PassportNumber => "passport-number",
        PassportCountry => "passport-country",
        PassportExpiration => "passport-expiration",
        RedressNumber => "redress-number",
        Nationality => "nationality",
        VisaNumber => "visa-number",
        IssueDateOfTheVisa => "issue-date-of-the-visa",
        PrimaryResidence => "primary-residence",
        CountryOfResidence => "country-of-residence",
        SpecialServiceRequest => "special-service-request",
        FrequentFlyerNumber => "frequent-flyer-number",
        TravelDetails => "travel-details",
        PaymentDetails => "payment-details",
        PlacePortOfOriginalEmbarkation => "place-port-of-original-embarkation",
        PlacePortOfClearance => "place-port-of-clearance",
        PlacePortOfOnwardForeignDestination => "place-port-of-onward-foreign-destination",
        PassengerNameRecordLocatorNumber => "passenger-name-record-locator-number",
        MobileApplicationId => "mobile-application-id",
        AzureApplicationId => "azure-application-id",
        ChromeExtensionId => "chrome-extension-id",
        EdgeExtensionId => "edge-extension-id",
        Cortex => "cortex",
        Boolean => "boolean",
        Uuid => "uuid",
        Anonymised => "anonymised",
        OnionAddress => "onion-address",
    }
);

open_enum!(
    /// An attribute category (`Network activity`, `Payload delivery` ...).
    Category {
        InternalReference => "Internal reference",
        TargetingData => "Targeting data",
        AntivirusDetection => "Antivirus detection",
        PayloadDelivery => "Payload delivery",
        ArtifactsDropped => "Artifacts dropped",
        PayloadInstallation => "Payload installation",
        PersistenceMechanism => "Persistence mechanism",
        NetworkActivity => "Network activity",
        PayloadType => "Payload type",
        Attribution => "Attribution",
        ExternalAnalysis => "External analysis",
        FinancialFraud => "Financial fraud",
        SupportTool => "Support Tool",
        SocialNetwork => "Social network",
        Person => "Person",
        Other => "Other",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        assert_eq!(AttributeType::known().len(), 194);
        assert_eq!(Category::known().len(), 16);
        for s in AttributeType::known() {
            assert_eq!(AttributeType::parse(s).as_str(), *s);
            assert!(
                !matches!(AttributeType::parse(s), AttributeType::Unknown(_)),
                "{s}"
            );
        }
        assert_eq!(AttributeType::parse("ip-dst"), AttributeType::IpDst);
        assert_eq!(
            AttributeType::parse("brand-new-type"),
            AttributeType::Unknown("brand-new-type".into())
        );
    }
}
