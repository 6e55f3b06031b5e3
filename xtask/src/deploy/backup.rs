//! `cargo xtask deploy backup`: what it takes to rebuild the stack, in one dated directory.
//!
//! - the rendered bundle (compose file, `.env`, `secrets/`, configurations, `soc.toml`): without
//!   it the data below cannot be opened (the keys) or served (the configuration);
//! - MISP's database: `mariadb-dump` of every database, in one consistent transaction;
//! - TheHive's and Cortex's index: an Elasticsearch snapshot into the bundle's S3 store (the
//!   `soc-s3` repository on the snapshot bucket, registered on first use);
//! - TheHive's database: a Cassandra snapshot (`nodetool snapshot`), which stays inside the
//!   Cassandra volume; the manifest says how to copy it off the host.
//!
//! Every command runs inside its container, so no password appears on a command line of this
//! host. A part that fails is reported and the others still run; the backup then fails as a
//! whole (a partial backup must not look complete).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::stack::Compose;

/// The Elasticsearch repository snapshots go to.
pub(crate) const REPOSITORY: &str = "soc-s3";

/// One part of a backup and how it went.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) name: &'static str,
    pub(crate) outcome: Result<String, String>,
}

/// Copies a bucket of the S3 store into a directory (`soc bucket export BUCKET DIR`).
pub(crate) type Exporter<'a> = &'a mut dyn FnMut(&str, &Path) -> Result<String, String>;

/// Runs a backup of the bundle in `compose.dir` into `backups/<stamp>/`. `stamp` names the
/// snapshots too (UTC, `YYYYMMDDTHHMMSSZ`). `buckets` are copied with `export` after the
/// Elasticsearch snapshot (the snapshot bucket among them holds it).
pub(crate) fn run(
    compose: &Compose,
    snapshot_bucket: &str,
    buckets: &[String],
    stamp: &str,
    export: Exporter<'_>,
) -> (PathBuf, Vec<Part>) {
    let dest = compose.dir.join("backups").join(stamp);
    let mut parts = Vec::new();
    if let Err(e) = make_private_dir(&dest) {
        parts.push(Part {
            name: "backup directory",
            outcome: Err(e),
        });
        return (dest, parts);
    }
    parts.push(Part {
        name: "bundle",
        outcome: copy_bundle(&compose.dir, &dest.join("bundle")),
    });
    parts.push(Part {
        name: "misp database",
        outcome: misp_dump(compose, &dest.join("misp-db.sql")),
    });
    parts.push(Part {
        name: "elasticsearch snapshot",
        outcome: es_snapshot(compose, snapshot_bucket, stamp),
    });
    let tag = snapshot_name(stamp);
    parts.push(Part {
        name: "cassandra snapshot",
        outcome: compose
            .run(&[
                "exec",
                "-T",
                "cassandra",
                "nodetool",
                "snapshot",
                "--tag",
                &tag,
                "thehive",
            ])
            .and_then(|_| {
                // The snapshot's files, off the volume: thehive/<table>/snapshots/<tag>/...
                stream_out(
                    compose,
                    &[
                        "exec",
                        "-T",
                        "cassandra",
                        "sh",
                        "-c",
                        &format!(
                            "cd /var/lib/cassandra/data && tar cf - thehive/*/snapshots/{tag}"
                        ),
                    ],
                    &dest.join("cassandra.tar"),
                )
            }),
    });
    for bucket in buckets {
        let dir = dest.join("s3").join(bucket);
        parts.push(Part {
            name: "s3 bucket",
            outcome: export(bucket, &dir).map(|s| format!("{bucket}: {s}")),
        });
    }
    let manifest = manifest(stamp, snapshot_bucket, &parts);
    if let Err(e) = write_private(&dest.join("MANIFEST.md"), manifest.as_bytes()) {
        parts.push(Part {
            name: "manifest",
            outcome: Err(e),
        });
    }
    (dest, parts)
}

pub(crate) fn snapshot_name(stamp: &str) -> String {
    format!("soc-{}", stamp.to_ascii_lowercase())
}

pub(crate) fn make_private_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir)
        .and_then(|()| fs::set_permissions(dir, fs::Permissions::from_mode(0o700)))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The rendered bundle, modes kept (secrets stay 0600); earlier backups and the Cortex job
/// directory are left out.
fn copy_bundle(from: &Path, to: &Path) -> Result<String, String> {
    let mut files = 0;
    copy_tree(from, to, &mut files, true)?;
    Ok(format!("{files} files"))
}

pub(crate) fn copy_tree(
    from: &Path,
    to: &Path,
    files: &mut usize,
    top: bool,
) -> Result<(), String> {
    make_private_dir(to)?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for e in entries {
        let e = e.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let name = e.file_name();
        if top && (name == "backups" || name == "cortex-jobs") {
            continue;
        }
        let src = e.path();
        let dst = to.join(&name);
        if src.is_dir() {
            copy_tree(&src, &dst, files, false)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
            *files += 1;
        }
    }
    Ok(())
}

/// `mariadb-dump` inside `misp-db`, streamed into a 0600 file.
fn misp_dump(compose: &Compose, file: &Path) -> Result<String, String> {
    stream_out(
        compose,
        &[
            "exec",
            "-T",
            "misp-db",
            "sh",
            "-c",
            "exec mariadb-dump --single-transaction --routines --events --all-databases \
             -uroot -p\"$MYSQL_ROOT_PASSWORD\"",
        ],
        file,
    )
    .map_err(|e| e.replace("the command", "mariadb-dump"))
}

/// `docker compose ... <args>` with its standard output streamed into a new 0600 file; an empty
/// output is a failure.
pub(crate) fn stream_out(compose: &Compose, args: &[&str], file: &Path) -> Result<String, String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let out = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let dir = compose.dir.display().to_string();
    let status = Command::new(&compose.docker)
        .args(["compose", "--project-directory", &dir])
        .args(args)
        .stdout(Stdio::from(out))
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", compose.docker))?;
    if !status.status.success() {
        return Err(format!(
            "the command failed: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ));
    }
    let size = fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err("the command wrote nothing".into());
    }
    Ok(format!("{size} bytes"))
}

/// Registers the S3 repository (idempotent) and takes a snapshot of every index, waiting for it.
/// A request to `es-index` from inside its container, with its own `elastic` password.
pub(crate) fn es_curl(
    compose: &Compose,
    method: &str,
    path: &str,
    body: &str,
) -> Result<String, String> {
    let script = format!(
        "curl -fsS -u \"elastic:$ELASTIC_PASSWORD\" -X {method} \
         -H 'Content-Type: application/json' 'http://localhost:9200/{path}' -d '{body}'"
    );
    compose.run(&["exec", "-T", "es-index", "sh", "-c", &script])
}

/// Registers the snapshot repository on the snapshot bucket (idempotent).
pub(crate) fn es_repository(compose: &Compose, bucket: &str) -> Result<String, String> {
    es_curl(
        compose,
        "PUT",
        &format!("_snapshot/{REPOSITORY}"),
        &format!("{{\"type\":\"s3\",\"settings\":{{\"bucket\":\"{bucket}\",\"base_path\":\"es-index\"}}}}"),
    )
    .map_err(|e| format!("registering the repository: {e}"))
}

fn es_snapshot(compose: &Compose, bucket: &str, stamp: &str) -> Result<String, String> {
    let curl = |method: &str, path: &str, body: &str| es_curl(compose, method, path, body);
    es_repository(compose, bucket)?;
    let name = snapshot_name(stamp);
    let answer = curl(
        "PUT",
        &format!("_snapshot/{REPOSITORY}/{name}?wait_for_completion=true"),
        "{\"indices\":\"*\",\"include_global_state\":true}",
    )
    .map_err(|e| format!("snapshot {name}: {e}"))?;
    let state = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v["snapshot"]["state"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if state != "SUCCESS" {
        return Err(format!("snapshot {name} ended {state:?}: {answer}"));
    }
    Ok(format!("{REPOSITORY}/{name} in bucket {bucket}"))
}

fn manifest(stamp: &str, bucket: &str, parts: &[Part]) -> String {
    let name = snapshot_name(stamp);
    let mut m = format!("# Backup {stamp}\n\n| part | outcome |\n|---|---|\n");
    for p in parts {
        let o = match &p.outcome {
            Ok(s) => format!("ok: {s}"),
            Err(e) => format!("FAILED: {}", e.replace('\n', " ")),
        };
        m.push_str(&format!("| {} | {o} |\n", p.name));
    }
    m.push_str(&format!(
        "\n## Restoring\n\n\
         1. `bundle/` is the rendered bundle: put it back as the project directory (its secrets\n   \
         are the ones the data below was written with), then `docker compose up -d misp-db\n   \
         es-index cassandra s3`.\n\
         2. MISP: `docker compose exec -T misp-db sh -c 'exec mariadb -uroot \
         -p\"$MYSQL_ROOT_PASSWORD\"' < misp-db.sql`.\n\
         3. Elasticsearch: register the repository as `backup` does (`PUT _snapshot/{REPOSITORY}`\n   \
         on bucket `{bucket}`, base path `es-index`), then `POST _snapshot/{REPOSITORY}/{name}/_restore`.\n\
         4. Cassandra: `cassandra.tar` holds the snapshot `{name}` of every table\n   \
         (`thehive/<table>/snapshots/{name}`, with each table's `schema.cql`).\n\
         5. `s3/<bucket>/` hold the S3 buckets (`soc bucket import`).\n\
         \n`cargo xtask deploy restore --from <this directory> --out <a fresh directory>` does all of\n\
         the above.\n"
    ));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::stack::tests::Stub;

    fn bundle(stub: &Stub) -> Compose {
        let dir = stub.dir.join("bundle");
        fs::create_dir_all(dir.join("secrets")).unwrap();
        fs::create_dir_all(dir.join("cortex-jobs")).unwrap();
        fs::write(dir.join(".env"), "A=1\n").unwrap();
        fs::write(dir.join("secrets/misp_admin_key"), "k").unwrap();
        fs::set_permissions(
            dir.join("secrets/misp_admin_key"),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        fs::write(dir.join("cortex-jobs/job"), "x").unwrap();
        Compose::new(&stub.dir.join("docker").display().to_string(), &dir)
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_backup_runs_every_part_inside_its_container() {
        let stub = Stub::new();
        stub.exec_answers(
            "es-index",
            "{\"snapshot\":{\"snapshot\":\"soc-20261125t010203z\",\"state\":\"SUCCESS\"}}",
        );
        stub.exec_answers("misp-db", "-- MariaDB dump\nCREATE DATABASE misp;");
        stub.exec_answers("cassandra", "Snapshot directory: soc-20261125t010203z");
        let compose = bundle(&stub);
        let mut exported = Vec::new();
        let buckets = ["thehive".to_string(), "es-snapshots".to_string()];
        let (dest, parts) = run(
            &compose,
            "es-snapshots",
            &buckets,
            "20261125T010203Z",
            &mut |b: &str, dir: &Path| {
                exported.push((b.to_owned(), dir.to_path_buf()));
                Ok("3 objects".into())
            },
        );
        for p in &parts {
            assert!(p.outcome.is_ok(), "{p:?}");
        }
        assert_eq!(dest, compose.dir.join("backups/20261125T010203Z"));
        assert_eq!(mode(&dest), 0o700);
        assert_eq!(mode(&dest.join("misp-db.sql")), 0o600);
        let dump = fs::read_to_string(dest.join("misp-db.sql")).unwrap();
        assert!(dump.contains("CREATE DATABASE misp"), "{dump}");
        assert_eq!(mode(&dest.join("bundle/secrets/misp_admin_key")), 0o600);
        assert!(!dest.join("bundle/cortex-jobs").exists());
        assert!(!dest.join("bundle/backups").exists());
        let calls = stub.calls_for(&compose.dir);
        let exec: Vec<&String> = calls.iter().filter(|c| c.starts_with("exec")).collect();
        assert_eq!(exec.len(), 5, "{calls:?}");
        assert!(exec[0].starts_with("exec -T misp-db sh -c exec mariadb-dump --single-transaction"));
        assert!(
            exec[1].contains("-X PUT")
                && exec[1].contains("9200/_snapshot/soc-s3'")
                && exec[1].contains("{\"type\":\"s3\",\"settings\":{\"bucket\":\"es-snapshots\""),
            "{}",
            exec[1]
        );
        assert!(
            exec[2].contains("_snapshot/soc-s3/soc-20261125t010203z?wait_for_completion=true"),
            "{}",
            exec[2]
        );
        assert_eq!(
            exec[3],
            "exec -T cassandra nodetool snapshot --tag soc-20261125t010203z thehive"
        );
        assert_eq!(
            exec[4],
            "exec -T cassandra sh -c cd /var/lib/cassandra/data && tar cf - \
             thehive/*/snapshots/soc-20261125t010203z"
        );
        assert_eq!(mode(&dest.join("cassandra.tar")), 0o600);
        assert_eq!(
            exported,
            [
                ("thehive".to_string(), dest.join("s3/thehive")),
                ("es-snapshots".to_string(), dest.join("s3/es-snapshots")),
            ],
            "both buckets, after the snapshot"
        );
        // Passwords are read from the containers' own environment, never passed from here.
        for c in &calls {
            for (i, _) in c.match_indices("PASSWORD") {
                let before = &c[..i];
                assert!(
                    before.ends_with("$MYSQL_ROOT_") || before.ends_with("$ELASTIC_"),
                    "{c}"
                );
            }
        }
        let manifest = fs::read_to_string(dest.join("MANIFEST.md")).unwrap();
        assert!(manifest.contains("| elasticsearch snapshot | ok: soc-s3/soc-20261125t010203z in bucket es-snapshots |"), "{manifest}");
        assert!(manifest.contains("deploy restore --from"), "{manifest}");
    }

    #[test]
    fn a_failed_part_is_reported_and_the_others_still_run() {
        let stub = Stub::new();
        stub.exec_fails("es-index", "repository_verification_exception");
        stub.exec_answers("misp-db", "-- dump");
        stub.exec_answers("cassandra", "Snapshot directory: x");
        let compose = bundle(&stub);
        let (dest, parts) = run(
            &compose,
            "es-snapshots",
            &[],
            "20261125T010203Z",
            &mut |_, _| Ok(String::new()),
        );
        let failed: Vec<&str> = parts
            .iter()
            .filter(|p| p.outcome.is_err())
            .map(|p| p.name)
            .collect();
        assert_eq!(failed, ["elasticsearch snapshot"]);
        let err = parts[2].outcome.as_ref().unwrap_err();
        assert!(err.contains("registering the repository"), "{err}");
        assert!(err.contains("repository_verification_exception"), "{err}");
        let manifest = fs::read_to_string(dest.join("MANIFEST.md")).unwrap();
        assert!(
            manifest.contains("| elasticsearch snapshot | FAILED: registering"),
            "{manifest}"
        );
        assert!(dest.join("misp-db.sql").exists());
    }

    #[test]
    fn an_empty_dump_is_a_failure() {
        let stub = Stub::new();
        stub.exec_answers("misp-db", "");
        let compose = bundle(&stub);
        let (_, parts) = run(&compose, "b", &[], "20261125T010203Z", &mut |_, _| {
            Ok(String::new())
        });
        let misp = parts.iter().find(|p| p.name == "misp database").unwrap();
        assert_eq!(
            misp.outcome.as_ref().unwrap_err(),
            "mariadb-dump wrote nothing"
        );
    }
}
