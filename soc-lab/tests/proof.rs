//! The official Python clients against the lab: each script in `proof/` drives one client
//! through create, read back, search and page, and fails loudly on the first surprise.
//!
//! The scripts run when `SOC_LAB_PYTHON` names a Python with thehive4py, cortex4py, PyMISP,
//! elasticsearch-py and minio-py installed (`.ci/run` and `cargo xtask ci` provide one).

use std::path::PathBuf;

use secrecy::ExposeSecret;
use soc_lab::{Lab, LabConfig, Service};

async fn run(script: &str, config: LabConfig) {
    let Some(python) = std::env::var_os("SOC_LAB_PYTHON") else {
        eprintln!("skipped {script}: SOC_LAB_PYTHON is not set");
        return;
    };
    let lab = Lab::start(config).await.expect("lab starts");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("proof")
        .join(script);
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(&path).kill_on_drop(true);
    for e in lab.endpoints() {
        let prefix = match e.service {
            Service::TheHive => "LAB_THEHIVE",
            Service::Cortex => "LAB_CORTEX",
            Service::Misp => "LAB_MISP",
            Service::Elasticsearch => "LAB_ES",
            Service::S3 => "LAB_S3",
        };
        cmd.env(
            format!("{prefix}_URL"),
            e.url.as_str().trim_end_matches('/'),
        );
        if let Some(u) = &e.username {
            cmd.env(format!("{prefix}_USER"), u);
        }
        if let Some(p) = &e.password {
            cmd.env(format!("{prefix}_PASSWORD"), p.expose_secret());
        }
        if let Some(k) = &e.api_key {
            cmd.env(format!("{prefix}_KEY"), k.expose_secret());
        }
    }
    cmd.env(
        "LAB_MALICIOUS",
        LabConfig::default().malicious_indicators().join(","),
    );
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), cmd.output())
        .await
        .expect("the script finishes within 5 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    eprintln!("{script}: {}", stdout.lines().last().unwrap_or("ok"));
    lab.stop().await.expect("lab stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py() {
    run("thehive4py_proof.py", LabConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cortex4py() {
    run("cortex4py_proof.py", LabConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymisp() {
    run("pymisp_proof.py", LabConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_py() {
    run("elasticsearch_proof.py", LabConfig::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minio_py() {
    run("minio_proof.py", LabConfig::default()).await;
}
