//! `cargo xtask ci`: the gate every change passes.

use std::error::Error;
use std::path::PathBuf;

use xshell::{cmd, Shell};

use crate::services::{self, Service};

/// Runs every step; `--no-fmt`-style flags are deliberately absent: CI is one command.
pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    if let Some(a) = args.first() {
        return Err(format!("`ci` takes no arguments, got {a:?}").into());
    }
    let sh = Shell::new()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?;
    sh.change_dir(root);

    step("format");
    cmd!(sh, "cargo fmt --all -- --check").run()?;

    step("clippy");
    cmd!(
        sh,
        "cargo clippy --workspace --all-targets --locked -- -D warnings"
    )
    .run()?;

    step("tests");
    let emulator = Service::start(&services::NOIDA)?;
    let _emulator_url = emulator
        .as_ref()
        .map(|e| sh.push_env("ES_OPS_EMULATOR_URL", &e.url));
    let modules = Service::start(&services::MISP_MODULES)?;
    let _modules_url = modules
        .as_ref()
        .map(|m| sh.push_env("MISP_MODULES_URL", &m.url));
    let store = Service::start(&services::SEAWEEDFS)?;
    let _store_env = store.as_ref().map(|st| {
        (
            sh.push_env("S3_TEST_URL", &st.url),
            sh.push_env("S3_TEST_ACCESS_KEY", services::WEED_KEYS.0),
            sh.push_env("S3_TEST_SECRET_KEY", services::WEED_KEYS.1),
        )
    });
    let minio = Service::start(&services::JUICEFS)?;
    let _minio_env = minio.as_ref().map(|m| {
        (
            sh.push_env("MINIO_TEST_URL", &m.url),
            sh.push_env("MINIO_TEST_ACCESS_KEY", services::JUICEFS_KEYS.0),
            sh.push_env("MINIO_TEST_SECRET_KEY", services::JUICEFS_KEYS.1),
        )
    });
    // The official Python clients' proofs against the lab (soc-lab/tests/proof.rs).
    let lab_python = std::env::var("SOC_LAB_PYTHON")
        .or_else(|_| std::env::var("SOC_TEST_PYTHON"))
        .ok();
    if lab_python.is_none() {
        eprintln!("note: neither SOC_LAB_PYTHON nor SOC_TEST_PYTHON is set; the Python client proofs against the lab will be skipped");
    }
    let _lab_python = lab_python
        .as_ref()
        .map(|p| sh.push_env("SOC_LAB_PYTHON", p));
    // The published schemas the deploy bundle is validated against (deploy/tests/bundle.rs).
    let schema_dir = crate::deploy::schema_dir(root)?;
    let _schemas = sh.push_env("SOC_DEPLOY_SCHEMAS", &schema_dir);
    cmd!(sh, "cargo test --workspace --all-targets --locked").run()?;
    cmd!(sh, "cargo test --workspace --doc --locked").run()?;
    drop((_emulator_url, _modules_url, _store_env, _minio_env));
    drop((emulator, modules, store, minio));

    step("deploy bundle: cargo xtask deploy --render-only --k8s on a fresh directory");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bundle = target.join("deploy-ci");
    if bundle.exists() {
        // The rendered soc.toml is a valid configuration for `soc` (every secret it names resolves,
        // TheHive's key excepted: the first `soc setup` issues it).
        let soc_toml = bundle.join("soc.toml");
        cmd!(
            sh,
            "cargo run --quiet --locked -p soc-tools --bin soc -- --config {soc_toml} config check"
        )
        .run()?;
        std::fs::remove_dir_all(&bundle)?;
    }
    let out = bundle.display().to_string();
    crate::deploy::run(&["--render-only".into(), "--k8s".into(), "--out".into(), out])?;
    std::fs::remove_dir_all(&bundle)?;

    step("docs");
    let _doc_flags = sh.push_env("RUSTDOCFLAGS", "-D warnings");
    cmd!(sh, "cargo doc --workspace --no-deps --locked").run()?;

    step("done: every gate passed");
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}
