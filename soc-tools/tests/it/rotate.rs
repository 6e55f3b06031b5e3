//! `soc rotate` against the lab after `soc setup`: each credential is replaced everywhere it is
//! used, the old one stops working, and a rotation interrupted halfway is finished (not
//! restarted) by running it again.

use secrecy::ExposeSecret as _;
use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::report::Outcome;
use soc_tools::rotate::{self, Credential, RotateOptions};
use soc_tools::secrets::Secrets;
use soc_tools::setup::{self, SetupOptions};

use crate::support;

const MISP_USER: &str = "thehive@soc.local";

fn secret(config: &SocConfig, section: &str, name: &str) -> Option<String> {
    Secrets::open(&config.secrets_file)
        .unwrap()
        .get(section, name)
        .map(|s| s.expose_secret().to_owned())
}

async fn misp_key_works(config: &SocConfig, key: &str) -> bool {
    let c = soc_tools::clients::misp_with_key(config, key.to_owned().into()).unwrap();
    c.users().me().await.is_ok()
}

async fn connector_key(config: &SocConfig, service: &str) -> String {
    let admin = soc_tools::clients::thehive_admin(config).unwrap().unwrap();
    let servers = if service == "misp" {
        admin.misp().config().await.unwrap().servers
    } else {
        admin.cortex().config().await.unwrap().servers
    };
    servers[0]
        .auth
        .key
        .as_ref()
        .map(|k| k.expose_secret().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_replace_keys_everywhere_and_resume_after_an_interruption() {
    let stack = support::stack("rotate").await;
    let config = SocConfig::load(stack.config_path()).expect("config");
    let report = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!report.failed(), "{report:#?}");

    // MISP: a dry run changes nothing.
    let old = secret(&config, "misp", MISP_USER).unwrap();
    let dry = rotate::run(
        &config,
        &Credential::MispTheHiveKey,
        RotateOptions { dry_run: true },
    )
    .await
    .unwrap();
    assert!(
        dry.items.iter().all(|i| i.outcome == Outcome::WouldChange),
        "{dry:#?}"
    );
    assert_eq!(secret(&config, "misp", MISP_USER).unwrap(), old);

    // Interrupted: TheHive is down when its connector is to be reconfigured.
    stack.lab.set_faults(
        Service::TheHive,
        Faults {
            error_rate: 1.0,
            error_status: Some(500),
            ..Default::default()
        },
    );
    let broken = rotate::run(
        &config,
        &Credential::MispTheHiveKey,
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(broken.failed(), "{broken:#?}");
    let new = secret(&config, "misp", MISP_USER).unwrap();
    assert_ne!(
        new, old,
        "the new key is stored before its consumers are touched"
    );
    assert_eq!(secret(&config, "rotating-misp", MISP_USER).unwrap(), old);
    assert!(
        misp_key_works(&config, &old).await,
        "the old key is kept until the end"
    );

    // Run again: finished with the same new key, the old one deleted.
    stack.lab.set_faults(Service::TheHive, Faults::default());
    let done = rotate::run(
        &config,
        &Credential::MispTheHiveKey,
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(!done.failed(), "{done:#?}");
    assert_eq!(secret(&config, "misp", MISP_USER).unwrap(), new);
    assert!(secret(&config, "rotating-misp", MISP_USER).is_none());
    assert!(misp_key_works(&config, &new).await);
    assert!(
        !misp_key_works(&config, &old).await,
        "the old key is revoked"
    );
    assert_eq!(connector_key(&config, "misp").await, new);
    assert!(
        done.items
            .iter()
            .any(|i| i.kind == "revoke" && i.detail.contains("old key deleted")),
        "{done:#?}"
    );

    // Cortex: renewed, the connector follows, the old key stops.
    let old = secret(&config, "cortex", "thehive").unwrap();
    let report = rotate::run(
        &config,
        &Credential::CortexTheHiveKey,
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(!report.failed(), "{report:#?}");
    let new = secret(&config, "cortex", "thehive").unwrap();
    assert_ne!(new, old);
    assert_eq!(connector_key(&config, "cortex").await, new);
    assert!(secret(&config, "rotating-cortex", "thehive").is_none());
    let cortex = soc_tools::clients::cortex_anonymous(&config)
        .unwrap()
        .unwrap();
    assert!(cortex
        .with_api_key(old.into())
        .unwrap()
        .users()
        .current()
        .await
        .is_err());

    // A TheHive service account's key.
    let login = "svc-soc@soc.local";
    let old = secret(&config, "thehive", login).unwrap();
    let report = rotate::run(
        &config,
        &Credential::TheHiveUserKey(login.into()),
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(!report.failed(), "{report:#?}");
    let new = secret(&config, "thehive", login).unwrap();
    assert_ne!(new, old);
    let with =
        |k: String| soc_tools::clients::thehive_with_key(&config, k.into(), Some("soc")).unwrap();
    assert!(with(new).users().current().await.is_ok());
    assert!(with(old).users().current().await.is_err());

    // A bucket user's secret: the store replaces it, the old one stops.
    let old = secret(&config, "s3", "thehive").unwrap();
    let report = rotate::run(
        &config,
        &Credential::S3UserSecret("thehive".into()),
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(!report.failed(), "{report:#?}");
    let new = secret(&config, "s3", "thehive").unwrap();
    assert_ne!(new, old);
    assert!(secret(&config, "rotating-s3", "thehive").is_none());
    let reach = |k: String| {
        let s3 = soc_tools::clients::s3_with_keys(&config, "thehive", k.into()).unwrap();
        async move { s3.list_objects("thehive", "", None).await.is_ok() }
    };
    assert!(reach(new).await, "the new secret works");
    assert!(!reach(old).await, "the old secret is refused");

    // Setup afterwards finds everything in place.
    let again = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!again.wrote(), "{again:#?}");

    // Names: known ones parse, others say which exist.
    assert_eq!(
        "thehive.key:a@b".parse::<Credential>().unwrap(),
        Credential::TheHiveUserKey("a@b".into())
    );
    assert_eq!(
        "s3.user:thehive".parse::<Credential>().unwrap(),
        Credential::S3UserSecret("thehive".into())
    );
    let e = "s3.root".parse::<Credential>().unwrap_err();
    assert!(e.contains("misp.thehive-key"), "{e}");
    let e = rotate::run(
        &config,
        &Credential::TheHiveUserKey("analyst@soc.local".into()),
        RotateOptions::default(),
    )
    .await
    .unwrap();
    assert!(e.failed(), "a user without a key is refused: {e:#?}");
}
