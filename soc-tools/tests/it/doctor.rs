//! `soc doctor` against the lab: a fresh stack shows the seed's failures with their fixes,
//! `--fix` repairs what an API can repair (MISP's Redis and background-job settings, Cortex's
//! migration, a missing bucket), and after `setup` every check passes.

use soc_tools::config::SocConfig;
use soc_tools::doctor::{self, DoctorOptions, Status};
use soc_tools::setup::{self, SetupOptions};

use crate::support;

fn status(d: &doctor::Diagnosis, id: &str) -> Status {
    d.get(id)
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", d.checks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_diagnoses_fixes_and_then_passes() {
    let stack = support::stack("doctor").await;
    let config = SocConfig::load(stack.config_path()).expect("config");

    let fresh = doctor::run(&config, &DoctorOptions::default()).await;
    assert!(!fresh.healthy());
    for id in [
        "misp.background-jobs",
        "misp.misp-redis-host",
        "misp.simplebackgroundjobs-redis-host",
        "misp.workers",
        "cortex.migration",
        "thehive.cortex-connector",
        "thehive.misp-connector",
        "s3.bucket.thehive",
    ] {
        assert_eq!(
            status(&fresh, id),
            Status::Fail,
            "{id}: {:#?}",
            fresh.get(id)
        );
        assert!(
            !fresh
                .get(id)
                .map(|c| c.fix.as_str())
                .unwrap_or_default()
                .is_empty(),
            "{id} says how to fix it"
        );
    }
    let redis = fresh
        .get("misp.misp-redis-host")
        .map(|c| c.evidence.clone())
        .unwrap_or_default();
    assert!(
        redis.contains("127.0.0.1"),
        "evidence shows the wrong host: {redis}"
    );
    let lasting = fresh
        .get("misp.background-jobs")
        .map(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(
        lasting.contains("environment"),
        "the lasting fix is the container env: {lasting}"
    );
    assert_eq!(status(&fresh, "thehive.auth"), Status::Pass);
    assert_eq!(status(&fresh, "elasticsearch.cluster-health"), Status::Pass);

    let fixed = doctor::run(
        &config,
        &DoctorOptions {
            fix: true,
            ..Default::default()
        },
    )
    .await;
    for id in [
        "misp.background-jobs",
        "misp.misp-redis-host",
        "misp.simplebackgroundjobs-redis-host",
        "cortex.migration",
        "s3.bucket.thehive",
    ] {
        assert_eq!(
            status(&fixed, id),
            Status::Fixed,
            "{id}: {:#?}",
            fixed.get(id)
        );
    }
    assert_eq!(
        status(&fixed, "misp.workers"),
        Status::Pass,
        "workers up after the fix"
    );

    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert!(!report.failed(), "{:#?}", report.items);
    let after = doctor::run(&config, &DoctorOptions::default()).await;
    // Every check passes but the feeds' freshness: no `soc feed-sync` has run yet.
    let bad: Vec<_> = after
        .checks
        .iter()
        .filter(|c| !matches!(c.status, Status::Pass) && c.id != "misp.feed-freshness")
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(status(&after, "misp.feed-freshness"), Status::Warn);
    assert!(after.healthy());

    // A revoked key shows as that key's failure.
    let misp = soc_tools::clients::misp_admin(&config)
        .expect("client")
        .expect("misp");
    let keys = misp.users().auth_keys().await.expect("keys");
    for k in keys.iter().filter(|k| {
        k.get("AuthKey")
            .and_then(|a| a.get("comment"))
            .and_then(|c| c.as_str())
            == Some("soc setup")
    }) {
        if let Some(id) = k
            .get("AuthKey")
            .and_then(|a| a.get("id"))
            .and_then(|i| i.as_str())
        {
            misp.users().delete_auth_key(id).await.expect("revoke");
        }
    }
    let revoked = doctor::run(&config, &DoctorOptions::default()).await;
    assert_eq!(
        status(&revoked, "misp.key.analyst@soc.local"),
        Status::Fail,
        "{:#?}",
        revoked.checks
    );
    assert!(!revoked.healthy());
}

/// A TLS server on loopback presenting a certificate that ends `days` from now (negative: ended),
/// issued by `issuer`; answers the port.
async fn tls_server(issuer: &rcgen::Issuer<'_, rcgen::KeyPair>, days: i64) -> u16 {
    use std::sync::Arc;
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_after = now + time::Duration::days(days) + time::Duration::hours(1);
    params.not_before = now - time::Duration::days(30);
    let cert = params.signed_by(&key, issuer).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], der)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

/// `<service>.certificate`: the served certificate's end date, verified with `defaults.ca_file`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_certificate_expiry() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "doctor test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let dir = support::temp_dir("doctor-certs");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();

    for (days, want) in [
        (200, Status::Pass),
        (20, Status::Warn),
        (3, Status::Fail),
        (-2, Status::Fail),
    ] {
        let port = tls_server(&issuer, days).await;
        std::fs::write(
            dir.join("soc.toml"),
            format!(
                "[defaults]\nca_file = \"ca.pem\"\nrequest_timeout = \"2s\"\n\
                 [elasticsearch]\nurl = \"https://localhost:{port}\"\n"
            ),
        )
        .unwrap();
        let config = SocConfig::load(dir.join("soc.toml")).expect("config");
        let d = doctor::run(&config, &DoctorOptions::default()).await;
        let check = d
            .get("elasticsearch.certificate")
            .unwrap_or_else(|| panic!("{days} days: no certificate check in {:#?}", d.checks));
        assert_eq!(check.status, want, "{days} days: {check:?}");
        if days < 0 {
            assert!(check.evidence.contains("expired"), "{check:?}");
        } else {
            assert!(
                check.evidence.contains(&format!("({days} days)")),
                "{check:?}"
            );
        }
        if want != Status::Pass {
            assert!(check.fix.contains("renew"), "{check:?}");
        }
    }

    // Verification off: the check says it cannot tell.
    std::fs::write(
        dir.join("soc.toml"),
        "[defaults]\ndanger_accept_invalid_certs = true\n[elasticsearch]\nurl = \"https://localhost:1\"\n",
    )
    .unwrap();
    let config = SocConfig::load(dir.join("soc.toml")).expect("config");
    let d = doctor::run(&config, &DoctorOptions::default()).await;
    assert_eq!(status(&d, "elasticsearch.certificate"), Status::Skip);
    let _ = std::fs::remove_dir_all(&dir);
}
