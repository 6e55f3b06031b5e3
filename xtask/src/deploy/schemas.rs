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
//! Both wheels are pinned by hash: pip refuses anything else.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use soc_deploy::Schemas;

/// (requirement, sha256 of the wheel, file inside the wheel, name in the schema directory).
const WHEELS: &[(&str, &str, &str, &str)] = &[
    (
        "docker-compose==1.29.2",
        "8d5589373b35c8d3b1c8c1182c6e4a4ff14bffa3dd0b605fcd08f73c94cef809",
        "compose/config/compose_spec.json",
        Schemas::COMPOSE,
    ),
    (
        "elastalert2==2.31.0",
        "6a8dc24f26784e7c0ce9387e05db7eba5a72c63a84b11e924bf977690a69f65b",
        "elastalert/schema.yaml",
        Schemas::ELASTALERT_RULE,
    ),
];

/// The schema directory: `SOC_DEPLOY_SCHEMAS` when set (used as is), else
/// `<target>/deploy-schemas`, filled on first use with `python3 -m pip download`.
pub(crate) fn ensure(root: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("SOC_DEPLOY_SCHEMAS") {
        return Ok(PathBuf::from(dir));
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("deploy-schemas");
    if WHEELS.iter().all(|w| dir.join(w.3).is_file()) {
        return Ok(dir);
    }
    let wheels = dir.join("wheels");
    fs::create_dir_all(&wheels).map_err(|e| format!("cannot create {}: {e}", wheels.display()))?;
    let requirements = dir.join("requirements.txt");
    let text: String = WHEELS
        .iter()
        .map(|(req, sha, ..)| format!("{req} --hash=sha256:{sha}\n"))
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
    let script = "import sys, zipfile, glob, os\n\
                  wheels, member, dest = sys.argv[1], sys.argv[2], sys.argv[3]\n\
                  prefix = sys.argv[4]\n\
                  (path,) = glob.glob(os.path.join(wheels, prefix + '-*.whl'))\n\
                  open(dest, 'wb').write(zipfile.ZipFile(path).read(member))\n";
    let mut source = String::from("Published schemas, extracted from hash-pinned wheels:");
    for (req, _, member, name) in WHEELS {
        let project = req.split("==").next().unwrap_or(req).replace('-', "_");
        let status = Command::new("python3")
            .args(["-c", script])
            .arg(&wheels)
            .arg(member)
            .arg(dir.join(name))
            .arg(&project)
            .status()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !status.success() {
            return Err(format!("cannot extract {member} from the {req} wheel"));
        }
        source.push_str(&format!(" {name} from {req} ({member});"));
    }
    fs::write(dir.join(Schemas::SOURCE), source.trim_end_matches(';'))
        .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    Ok(dir)
}
