//! The lab itself: faults set live or from the library, restarts that drop sessions, the state
//! file that carries data and credentials across a restart, and the control API's refusals.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use soc_lab::{Faults, Lab, LabConfig, Service};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_apply_live_and_clear() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let hive = lab.endpoint(Service::TheHive).clone();
    let key = hive.api_key().expect("key").to_owned();
    let http = client();
    let status = || {
        http.get(hive.url.join("api/v1/status").expect("url"))
            .bearer_auth(&key)
            .send()
    };
    assert_eq!(status().await.expect("answer").status(), 200);

    // Through the control API: 429 with the configured Retry-After.
    let put = http
        .put(hive.url.join("_lab/faults").expect("url"))
        .body(r#"{"rate_limit_rate": 1.0, "retry_after_secs": 7}"#)
        .send()
        .await
        .expect("control");
    assert_eq!(put.status(), 200);
    let limited = status().await.expect("answer");
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");

    // From the library: a chosen 5xx, then latency, then a dropped connection.
    lab.set_faults(
        Service::TheHive,
        Faults {
            error_rate: 1.0,
            error_status: Some(502),
            ..Default::default()
        },
    );
    assert_eq!(status().await.expect("answer").status(), 502);
    lab.set_faults(
        Service::TheHive,
        Faults {
            latency_ms: 300,
            ..Default::default()
        },
    );
    let started = Instant::now();
    assert_eq!(status().await.expect("answer").status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "latency applied"
    );
    lab.set_faults(
        Service::TheHive,
        Faults {
            drop_rate: 1.0,
            ..Default::default()
        },
    );
    let dropped = status().await;
    assert!(
        dropped.is_err(),
        "the connection is closed without an answer: {dropped:?}"
    );
    // Other services are unaffected, and clearing the faults restores the service.
    let misp = lab.endpoint(Service::Misp);
    let stats = http
        .get(misp.url.join("_lab/stats").expect("url"))
        .send()
        .await
        .expect("stats");
    assert_eq!(stats.status(), 200);
    lab.set_faults(Service::TheHive, Faults::default());
    assert_eq!(status().await.expect("answer").status(), 200);
    assert_eq!(lab.faults(Service::TheHive), Faults::default());
    lab.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_refuses_bad_faults_by_name() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let url = lab.endpoint(Service::Elasticsearch).url.clone();
    let http = client();
    for (body, needle) in [
        (r#"{"error_rate": 2}"#, "error_rate"),
        (r#"{"error_status": 404}"#, "error_status"),
        (r#"{"eror_rate": 0.5}"#, "eror_rate"),
        ("not json", "invalid faults"),
    ] {
        let resp = http
            .put(url.join("_lab/faults").expect("url"))
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), 400, "{body}");
        let text = resp.text().await.expect("body");
        assert!(text.contains(needle), "{body}: {text}");
    }
    let unknown = http
        .get(url.join("_lab/nothing").expect("url"))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);
    lab.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_drops_sessions_but_keeps_data() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let hive = lab.endpoint(Service::TheHive).clone();
    // A restart also closes open connections: no pooling, so no request races a closing one.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let login = http
        .post(hive.url.join("api/v1/login").expect("url"))
        .json(&serde_json::json!({
            "user": hive.username.as_deref().expect("user"),
            "password": hive.password().expect("password"),
        }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let me = || {
        http.get(hive.url.join("api/v1/user/current").expect("url"))
            .header("Cookie", &cookie)
            .send()
    };
    assert_eq!(me().await.expect("answer").status(), 200);
    lab.restart(Service::TheHive);
    assert_eq!(
        me().await.expect("answer").status(),
        401,
        "session forgotten"
    );
    let with_key = http
        .get(hive.url.join("api/v1/user/current").expect("url"))
        .bearer_auth(hive.api_key().expect("key"))
        .send()
        .await
        .expect("answer");
    assert_eq!(with_key.status(), 200, "keys survive a restart");
    lab.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_file_carries_data_and_keys_across_runs() {
    let dir = std::env::temp_dir().join(format!("soc-lab-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("lab.json");
    let config = LabConfig {
        state_file: Some(path.clone()),
        ..Default::default()
    };
    let lab = Lab::start(config.clone()).await.expect("lab");
    let hive = lab.endpoint(Service::TheHive).clone();
    let key = hive.api_key().expect("key").to_owned();
    let created = client()
        .post(hive.url.join("api/v1/organisation").expect("url"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "kept", "description": "survives"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    lab.stop().await.expect("stop saves");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .expect("saved")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the state holds credentials");
    }

    let lab = Lab::start(config).await.expect("lab again");
    let hive = lab.endpoint(Service::TheHive).clone();
    assert_eq!(
        hive.api_key.as_ref().map(|k| k.expose_secret().to_owned()),
        Some(key.clone()),
        "the same admin key"
    );
    let org = client()
        .get(hive.url.join("api/v1/organisation/kept").expect("url"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("get");
    assert_eq!(org.status(), 200);
    lab.stop().await.expect("stop");

    std::fs::write(&path, br#"{"version": 99}"#).expect("write");
    let err = Lab::start(LabConfig {
        state_file: Some(path.clone()),
        ..Default::default()
    })
    .await
    .expect_err("an unknown version is refused");
    assert!(
        err.to_string().contains("unsupported state version"),
        "{err}"
    );
    std::fs::write(&path, b"{ nope").expect("write");
    let err = Lab::start(LabConfig {
        state_file: Some(path.clone()),
        ..Default::default()
    })
    .await
    .expect_err("garbage is refused");
    assert!(
        err.to_string().contains("lab.json"),
        "names the file: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_do_not_print_secrets() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let debug = format!("{lab:?}");
    for e in lab.endpoints() {
        for secret in [e.api_key(), e.password()].into_iter().flatten() {
            assert!(
                !debug.contains(secret),
                "Debug shows a secret of {}",
                e.service
            );
        }
    }
    lab.stop().await.expect("stop");
}
