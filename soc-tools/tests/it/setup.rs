//! `soc setup` against a fresh lab: everything created once, then a second run that changes
//! nothing (the lab's whole state is identical before and after it).

use secrecy::ExposeSecret as _;
use soc_lab::Service;
use soc_tools::config::SocConfig;
use soc_tools::report::Outcome;
use soc_tools::secrets::Secrets;
use soc_tools::setup::{self, SetupOptions};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_reconciles_a_fresh_stack_then_changes_nothing() {
    let stack = support::stack("setup").await;
    let config = SocConfig::load(stack.config_path()).expect("config");

    let dry = setup::run(&config, SetupOptions { dry_run: true })
        .await
        .expect("dry run");
    assert!(dry.wrote(), "a fresh stack has work to do");
    assert!(!dry.failed(), "{dry:#?}");
    assert!(!config.secrets_file.exists(), "a dry run writes no secrets");

    let first = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    let failures: Vec<_> = first
        .items
        .iter()
        .filter(|i| i.outcome == Outcome::Failed || i.outcome == Outcome::Skipped)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(first.count(Outcome::Created) >= 15, "{:#?}", first.items);

    // The credentials it made are in the private secrets file and work.
    let secrets = Secrets::open(&config.secrets_file).expect("secrets");
    for (section, name) in [
        ("s3", "thehive"),
        ("cortex", "admin@soc.local"),
        ("cortex", "thehive"),
        ("misp", "analyst@soc.local"),
        ("misp", "thehive@soc.local"),
        ("thehive", "svc-soc@soc.local"),
    ] {
        assert!(
            secrets.get(section, name).is_some(),
            "{section}.{name} stored"
        );
    }
    let svc = secrets.get("thehive", "svc-soc@soc.local").expect("key");
    let hive = thehive_client::TheHive::builder(stack.lab.endpoint(Service::TheHive).url.as_str())
        .expect("url")
        .api_key(svc.expose_secret().to_owned())
        .organisation("soc")
        .build()
        .expect("client");
    assert_eq!(
        hive.users().current().await.expect("me").login,
        "svc-soc@soc.local"
    );
    // TheHive reaches Cortex's analyzers through the connector setup configured.
    let analyzers = hive.cortex().analyzers(None).await.expect("analyzers");
    assert!(
        analyzers.iter().any(|a| a.name == "AbuseIPDB_1_0"),
        "{analyzers:?}"
    );
    // MISP's background jobs work now.
    let misp = soc_tools::clients::misp_admin(&config)
        .expect("client")
        .expect("configured");
    let workers = misp.admin().workers().await.expect("workers");
    assert!(
        workers
            .as_object()
            .is_some_and(|m| m.values().filter_map(|q| q.get("ok")).all(|ok| ok == true)),
        "{workers}"
    );

    // Second run: every item unchanged, and the lab's state identical.
    let before = stack.lab.snapshot();
    let second = setup::run(&config, SetupOptions::default())
        .await
        .expect("second setup");
    let changed: Vec<_> = second
        .items
        .iter()
        .filter(|i| i.outcome != Outcome::Unchanged)
        .collect();
    assert!(changed.is_empty(), "second run: {changed:#?}");
    let after = stack.lab.snapshot();
    assert_eq!(
        first_difference(&before, &after, "$"),
        None,
        "the second run wrote nothing"
    );
    let dry_again = setup::run(&config, SetupOptions { dry_run: true })
        .await
        .expect("dry run");
    assert!(!dry_again.wrote(), "{:#?}", dry_again.items);
}

/// The first place two lab states differ, ignoring what reads alone update (a key's last use).
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    const READ_BOOKKEEPING: &[&str] = &[
        "last_used",
        "last_api_access",
        "last_login",
        "current_login",
    ];
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                if READ_BOOKKEEPING.contains(&k.as_str()) {
                    continue;
                }
                let path = format!("{at}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(xv), Some(yv)) => {
                        if let Some(d) = first_difference(xv, yv, &path) {
                            return Some(d);
                        }
                    }
                    _ => return Some(path),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (xv, yv))| first_difference(xv, yv, &format!("{at}[{i}]"))),
        (x, y) if x == y => None,
        _ => Some(at.to_owned()),
    }
}

/// A TheHive as its image starts (`admin@thehive.local`, initial password, no key): setup
/// replaces the password, issues the key into `api_key`'s file and carries on; the next run
/// finds the file; a run interrupted after the password change resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_bootstraps_a_fresh_thehive_administrator() {
    use secrecy::SecretString;
    use std::os::unix::fs::PermissionsExt as _;

    for interrupted in [false, true] {
        let lab = soc_lab::Lab::start(soc_lab::LabConfig {
            thehive_fresh: true,
            ..Default::default()
        })
        .await
        .expect("lab");
        let hive = lab.endpoint(soc_lab::Service::TheHive);
        assert!(hive.api_key().is_none(), "a fresh TheHive has no key");
        let dir = support::temp_dir("bootstrap");
        std::fs::create_dir_all(dir.join("secrets")).unwrap();
        std::fs::write(
            dir.join("secrets/admin_password"),
            "Bootstrap-Password-42\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("soc.toml"),
            format!(
                "[secrets]\nfile = \"soc-secrets.toml\"\n[thehive]\nurl = \"{}\"\n\
                 api_key = {{ file = \"secrets/admin_key\" }}\n\
                 bootstrap_password = {{ file = \"secrets/admin_password\" }}\n\
                 organisation = \"soc\"\n",
                hive.url
            ),
        )
        .unwrap();
        let config = SocConfig::load(dir.join("soc.toml")).expect("config");
        soc_tools::check::resolve_all(&config).expect("a missing key file awaits the bootstrap");

        let basic = |password: &str| {
            thehive_client::TheHive::builder(hive.url.as_str())
                .unwrap()
                .basic(
                    "admin@thehive.local",
                    SecretString::from(password.to_owned()),
                )
                .build()
                .unwrap()
        };
        if interrupted {
            // A crash between creating the key file and writing it left it empty.
            std::fs::write(dir.join("secrets/admin_key"), "").unwrap();
            soc_tools::check::resolve_all(&config).expect("an empty key file awaits too");
            let id = "admin@thehive.local".into();
            basic("secret")
                .users()
                .change_password(
                    &id,
                    &SecretString::from("secret"),
                    &SecretString::from("Bootstrap-Password-42"),
                )
                .await
                .expect("password changed by an earlier, interrupted run");
        }

        let dry = setup::run(&config, SetupOptions { dry_run: true })
            .await
            .unwrap();
        assert!(
            std::fs::read_to_string(dir.join("secrets/admin_key")).map_or(true, |k| k.is_empty()),
            "a dry run writes no key"
        );
        assert!(
            dry.items.iter().any(|i| i.kind == "admin-bootstrap"),
            "{dry:#?}"
        );

        let first = setup::run(&config, SetupOptions::default()).await.unwrap();
        assert!(!first.failed(), "{first:#?}");
        let item = first
            .items
            .iter()
            .find(|i| i.kind == "admin-bootstrap")
            .expect("bootstrap item");
        assert_eq!(
            item.outcome,
            soc_tools::report::Outcome::Changed,
            "{item:?}"
        );
        assert!(
            first.items.iter().any(|i| i.kind == "organisation"),
            "setup went on with the new key: {first:#?}"
        );
        let key_file = dir.join("secrets/admin_key");
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let key = std::fs::read_to_string(&key_file).unwrap();
        let me = thehive_client::TheHive::builder(hive.url.as_str())
            .unwrap()
            .api_key(SecretString::from(key))
            .build()
            .unwrap()
            .users()
            .current()
            .await
            .expect("the written key works");
        assert_eq!(me.login, "admin@thehive.local");
        assert!(
            basic("secret").users().current().await.is_err(),
            "the initial password no longer opens the account"
        );
        basic("Bootstrap-Password-42")
            .users()
            .current()
            .await
            .expect("the bootstrap password does");

        let second = setup::run(&config, SetupOptions::default()).await.unwrap();
        assert!(!second.wrote(), "{second:#?}");
        let item = second
            .items
            .iter()
            .find(|i| i.kind == "admin-bootstrap")
            .unwrap();
        assert_eq!(item.outcome, soc_tools::report::Outcome::Unchanged);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Neither the bootstrap password nor the image's initial one: a failed item naming the file to
/// fill by hand, and nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_with_unknown_passwords_fails_clearly() {
    let lab = soc_lab::Lab::start(soc_lab::LabConfig::default())
        .await
        .expect("lab");
    let hive = lab.endpoint(soc_lab::Service::TheHive);
    let dir = support::temp_dir("bootstrap-fail");
    std::fs::write(dir.join("admin_password"), "Not-The-Password-1\n").unwrap();
    std::fs::write(
        dir.join("soc.toml"),
        format!(
            "[thehive]\nurl = \"{}\"\napi_key = {{ file = \"admin_key\" }}\n\
             bootstrap_password = {{ file = \"admin_password\" }}\norganisation = \"soc\"\n",
            hive.url
        ),
    )
    .unwrap();
    let config = SocConfig::load(dir.join("soc.toml")).expect("config");
    let report = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(report.failed());
    let item = &report.items[0];
    assert_eq!(item.kind, "admin-bootstrap");
    assert!(item.detail.contains("by hand"), "{item:?}");
    assert!(item.detail.contains("admin_key"), "{item:?}");
    assert!(!dir.join("admin_key").exists());

    // An inline env key with a bootstrap password is refused at load.
    std::fs::write(
        dir.join("soc.toml"),
        format!(
            "[thehive]\nurl = \"{}\"\napi_key = {{ env = \"X\" }}\n\
             bootstrap_password = {{ file = \"admin_password\" }}\norganisation = \"soc\"\n",
            hive.url
        ),
    )
    .unwrap();
    let err = SocConfig::load(dir.join("soc.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("thehive.api_key"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// TheHive's connectors point at Cortex and MISP as TheHive reaches them (`thehive_url`), and
/// the MISP connector trusts the configured CA file; a second run changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_use_the_urls_thehive_reaches() {
    let stack = support::stack("connector-urls").await;
    let path = stack.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replacen(
            "superadmin = \"admin@soc.local\"",
            "thehive_url = \"http://cortex:9001\"\nsuperadmin = \"admin@soc.local\"",
            1,
        )
        .replacen(
            "organisation = \"SOC\"",
            "organisation = \"SOC\"\nthehive_url = \"https://misp-core\"\n\
             thehive_ca_file = \"/etc/thehive/local-ca.crt\"",
            1,
        );
    std::fs::write(&path, text).unwrap();
    let config = SocConfig::load(&path).expect("config");
    let first = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!first.failed(), "{first:#?}");
    let connector = |name: &str| {
        first
            .items
            .iter()
            .find(|i| i.kind == "connector" && i.name == name)
            .map(|i| i.detail.clone())
            .unwrap_or_default()
    };
    assert!(
        connector("cortex").contains("http://cortex:9001"),
        "{first:#?}"
    );
    assert!(
        connector("misp").contains("https://misp-core"),
        "{first:#?}"
    );

    let admin = soc_tools::clients::thehive_admin(&config).unwrap().unwrap();
    let misp = admin.misp().config().await.unwrap();
    assert_eq!(misp.servers[0].url, "https://misp-core/");
    assert_eq!(
        misp.servers[0].ws_config.as_ref().unwrap()["ssl"]["trustManager"]["stores"][0]["path"],
        "/etc/thehive/local-ca.crt"
    );
    let cortex = admin.cortex().config().await.unwrap();
    assert_eq!(cortex.servers[0].url, "http://cortex:9001/");

    let second = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!second.wrote(), "{second:#?}");
}
