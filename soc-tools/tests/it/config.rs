//! `soc.toml` errors name the file, the line and the key; secrets are never inline.

use std::path::PathBuf;

use soc_tools::config::SocConfig;

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<SocConfig, soc_tools::config::ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SocConfig::parse(PathBuf::from("/etc/soc/soc.toml"), text.to_owned(), &vars)
}

const MISP: &str = "[misp]\nurl = \"https://misp.soc.example\"\napi_key = { env = \"MISP_KEY\" }\norganisation = \"SOC\"\n";

#[test]
fn inline_secrets_are_refused_with_the_line() {
    let err = parse("[misp]\nurl = \"https://misp.soc.example\"\napi_key = \"abc123\"\norganisation = \"SOC\"\n", &[]).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.line, Some(3), "{text}");
    assert!(text.contains("/etc/soc/soc.toml line 3"), "{text}");
    assert!(text.contains("not written inline"), "{text}");
    assert!(
        !text.contains("abc123"),
        "the secret is not repeated: {text}"
    );
}

#[test]
fn unknown_keys_and_bad_values_name_their_key() {
    let err = parse(&format!("{MISP}feeds_typo = []\n"), &[]).unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    assert!(err.to_string().contains("feeds_typo"), "{err}");

    let err = parse(
        "[thehive]\nurl = \"ftp://hive\"\napi_key = { env = \"K\" }\norganisation = \"soc\"\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(err.key, "thehive.url");
    assert_eq!(err.line, Some(2), "{err}");

    let err = parse(
        "[elasticsearch]\nurl = \"https://es:9200\"\n[[elasticsearch.retention]]\nname = \"a\"\ndelete_after = \"30 days\"\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(err.key, "elasticsearch.retention[0].delete_after");
    assert_eq!(err.line, Some(5), "{err}");

    let err = parse("[misp\nurl = 1\n", &[]).unwrap_err();
    assert_eq!(err.line, Some(1), "{err}");
}

#[test]
fn env_overrides_replace_keys_and_secrets() {
    let c = parse(
        MISP,
        &[
            ("SOC_MISP_URL", "https://other.example/"),
            ("SOC_MISP_API_KEY", "from-env"),
        ],
    )
    .expect("valid");
    let misp = c.misp.as_ref().expect("misp");
    assert_eq!(misp.url.as_str(), "https://other.example/");
    let key = misp.api_key.resolve(&c, "misp.api_key").expect("secret");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&key), "from-env");
    assert!(
        !format!("{c:?}").contains("from-env"),
        "Debug hides the secret"
    );
}

#[test]
fn missing_secret_sources_are_named() {
    let c = parse("[misp]\nurl = \"https://m\"\napi_key = { env = \"SOC_TEST_SURELY_UNSET_VAR\" }\norganisation = \"SOC\"\n", &[]).expect("valid");
    let err = soc_tools::check::resolve_all(&c).unwrap_err();
    assert!(
        err.to_string()
            .contains("SOC_TEST_SURELY_UNSET_VAR is not set"),
        "{err}"
    );
    assert_eq!(err.line, Some(3));
    let c = parse(
        "[misp]\nurl = \"https://m\"\napi_key = { file = \"nope.key\" }\norganisation = \"SOC\"\n",
        &[],
    )
    .expect("valid");
    let err = soc_tools::check::resolve_all(&c).unwrap_err();
    assert!(err.to_string().contains("/etc/soc/nope.key"), "{err}");
}

#[test]
fn the_documented_example_is_valid() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("soc.example.toml");
    let text = std::fs::read_to_string(&path).expect("example");
    // Its CA file is relative to where it is deployed; the rest is checked as written.
    let text = text.replace("ca_file = \"ca.pem\"", "# ca_file");
    let c = SocConfig::parse(path, text, &[]).expect("the example parses");
    assert_eq!(c.cortex.as_ref().map(|c| c.analyzers.len()), Some(2));
    assert_eq!(c.misp.as_ref().map(|m| m.feeds.len()), Some(2));
    assert!(c.secrets_file.ends_with("soc-secrets.toml"));
}

#[test]
fn other_tools_soc_variables_are_ignored() {
    let c = parse(
        MISP,
        &[
            ("SOC_MISP_MODULES_BIN", "/usr/bin/misp-modules"),
            ("SOC_CONFIG", "x"),
        ],
    )
    .expect("valid");
    assert_eq!(
        c.misp.as_ref().map(|m| m.organisation.as_str()),
        Some("SOC")
    );
}

#[test]
fn mangled_files_give_errors_never_panics() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("soc.example.toml");
    let text = std::fs::read_to_string(&path).expect("example");
    let bytes = text.as_bytes();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut errors = 0;
    for _ in 0..3000 * soc_testkit::sweep_scale() {
        let at = (next() % bytes.len() as u64) as usize;
        let mut v = bytes.to_vec();
        match next() % 6 {
            0 => {
                v.remove(at);
            }
            1 => v.insert(at, b"[]{}=\"'\n#,"[(next() % 10) as usize]),
            2 => v.truncate(at),
            3 => {
                let end = (at + (next() % 40) as usize).min(v.len());
                v.drain(at..end);
            }
            4 => v[at] = b"0aZ.\\ \t"[(next() % 7) as usize],
            _ => {
                let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
                let line_end = text[at..]
                    .find('\n')
                    .map(|i| at + i + 1)
                    .unwrap_or(text.len());
                let line = bytes[line_start..line_end].to_vec();
                v.splice(line_end..line_end, line);
            }
        }
        let mangled = String::from_utf8_lossy(&v).into_owned();
        if let Err(e) = SocConfig::parse(path.clone(), mangled, &[]) {
            errors += 1;
            assert!(!e.message.is_empty());
        }
    }
    assert!(errors > 500, "most mangled files are refused ({errors})");
}
