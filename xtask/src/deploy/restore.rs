//! `cargo xtask deploy restore --from BACKUP --out DIR`: a backup brought back as a fresh
//! deployment in `DIR`.
//!
//! 1. The backup is checked whole (manifest, bundle, MISP dump, Cassandra archive, bucket
//!    exports) and `DIR` must not hold a bundle already: a restore never overwrites one.
//! 2. The bundle (its configuration and the secrets the data was written with) into `DIR`.
//! 3. The data stores and the S3 store started (with the bucket job and the proxy), their health
//!    awaited.
//! 4. The buckets imported (`soc bucket import`, checked against their manifests): TheHive's
//!    attachments and the snapshot repository.
//! 5. MISP's database from its dump; Elasticsearch's indices from the snapshot (system indices
//!    and global state left to the new cluster); Cassandra's tables from their snapshot (the
//!    keyspace created, each table's schema applied, its files imported with
//!    `nodetool import`).
//! 6. Everything started, health awaited, `soc smoke`.
//!
//! A step that fails stops the restore and says which; nothing before it is undone (the
//! directory is a fresh one: remove it to start again).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::backup::{self, Part};
use super::stack::{self, Compose};

/// What the restore needs from outside: importing a bucket export (`soc bucket import DIR
/// BUCKET` with the restored soc.toml), `soc smoke`, and where to say what happens.
pub(crate) struct Hooks<'a> {
    pub(crate) import: &'a mut dyn FnMut(&Path, &str) -> Result<String, String>,
    pub(crate) smoke: &'a mut dyn FnMut() -> Result<bool, String>,
    pub(crate) say: &'a mut dyn FnMut(&str),
}

/// The data stores started first, with their role and bucket jobs (Cassandra's administrator is
/// made by `cassandra-init`) and the proxy `soc` reaches S3 through.
const FIRST: &[&str] = &[
    "misp-db",
    "es-index",
    "cassandra",
    "cassandra-init",
    "s3",
    "s3-init",
    "proxy",
];

/// Restores `from` into `compose.dir`; answers each step's outcome.
pub(crate) fn run(
    compose: &Compose,
    settings: &soc_deploy::Settings,
    from: &Path,
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    hooks: Hooks<'_>,
) -> Result<Vec<Part>, String> {
    let dir = &compose.dir;
    let stamp = from
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a backup directory", from.display()))?;
    let needed = ["MANIFEST.md", "bundle/.env", "misp-db.sql", "cassandra.tar"];
    for f in needed {
        if !from.join(f).is_file() {
            return Err(format!(
                "{}: incomplete backup, {f} is missing",
                from.display()
            ));
        }
    }
    let buckets: Vec<String> = fs::read_dir(from.join("s3"))
        .map_err(|e| format!("{}: {e}", from.join("s3").display()))?
        .flatten()
        .filter(|e| e.path().join("MANIFEST.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    if buckets.is_empty() {
        return Err(format!(
            "{}: incomplete backup, no bucket export in s3/",
            from.display()
        ));
    }
    if dir.join(".env").exists() {
        return Err(format!(
            "{} already holds a bundle: restore into a fresh directory (a restore never \
             overwrites one)",
            dir.display()
        ));
    }

    let mut parts = Vec::new();
    let mut step = |name: &'static str, outcome: Result<String, String>| {
        let failed = outcome.as_ref().err().cloned();
        parts.push(Part { name, outcome });
        match failed {
            Some(e) => Err(format!("restore stopped at {name}: {e}")),
            None => Ok(()),
        }
    };

    step("bundle", {
        let mut files = 0;
        backup::make_private_dir(dir)
            .and_then(|()| backup::copy_tree(&from.join("bundle"), dir, &mut files, true))
            // Rendered again here: the secrets are the backup's (the data was written with them),
            // the paths, owners and certificates this directory's and this host's.
            .and_then(|()| {
                soc_deploy::render(dir, settings)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .map(|()| format!("{files} files, rendered for {}", dir.display()))
    })?;
    // A project of the same name already running here would be taken over by this one.
    step("project", {
        let running = compose.ps()?;
        if running.is_empty() {
            Ok("no container of this project runs here".to_string())
        } else {
            Err(format!(
                "containers of this compose project already run here ({}): stop them, or \
                 restore under another [stack] project name",
                running
                    .iter()
                    .map(|c| c.service.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    })?;
    let first: Vec<String> = FIRST.iter().map(|s| (*s).to_string()).collect();
    step("data stores", {
        let mut args = vec!["up", "--detach"];
        args.extend(FIRST);
        compose
            .run(&args)
            .and_then(|_| stack::wait_for(compose, &first, budget, poll, hooks.say))
            .map(|()| "healthy".to_string())
    })?;
    for b in &buckets {
        let outcome = (hooks.import)(&from.join("s3").join(b), b);
        step("s3 bucket", outcome.map(|s| format!("{b}: {s}")))?;
    }
    step(
        "misp database",
        stream_in(
            compose,
            &[
                "exec",
                "-T",
                "misp-db",
                "sh",
                "-c",
                "exec mariadb -uroot -p\"$MYSQL_ROOT_PASSWORD\"",
            ],
            &from.join("misp-db.sql"),
        ),
    )?;
    let name = backup::snapshot_name(stamp);
    let backed_env = soc_deploy::parse_env(
        &fs::read_to_string(from.join("bundle/.env")).map_err(|e| format!("bundle/.env: {e}"))?,
    );
    let snapshot_bucket = backed_env
        .get("S3_SNAPSHOT_BUCKET")
        .cloned()
        .ok_or("bundle/.env has no S3_SNAPSHOT_BUCKET")?;
    step("elasticsearch snapshot", {
        backup::es_repository(compose, &snapshot_bucket).and_then(|_| {
            let answer = backup::es_curl(
                compose,
                "POST",
                &format!(
                    "_snapshot/{}/{name}/_restore?wait_for_completion=true",
                    backup::REPOSITORY
                ),
                "{\"indices\":\"*,-.*\",\"include_global_state\":false}",
            )?;
            let v: serde_json::Value = serde_json::from_str(&answer)
                .map_err(|e| format!("unreadable answer ({e}): {answer}"))?;
            let shards = &v["snapshot"]["shards"];
            match (shards["failed"].as_u64(), shards["successful"].as_u64()) {
                (Some(0), Some(ok)) => Ok(format!("{name}: {ok} shards restored")),
                _ => Err(format!("{name}: {answer}")),
            }
        })
    })?;
    step("cassandra snapshot", {
        stream_in(
            compose,
            &[
                "exec",
                "-T",
                "cassandra",
                "sh",
                "-c",
                "mkdir -p /var/lib/cassandra/restore && tar xf - -C /var/lib/cassandra/restore",
            ],
            &from.join("cassandra.tar"),
        )
        .and_then(|_| {
            compose.run(&[
                "exec",
                "-T",
                "cassandra",
                "sh",
                "-c",
                &cassandra_script(&name),
            ])
        })
        .map(|out| out.lines().last().unwrap_or("imported").to_string())
    })?;
    step("services", {
        stack::start_and_wait(compose, budget, poll, hooks.say).map(|()| "healthy".into())
    })?;
    step(
        "smoke test",
        (hooks.smoke)().and_then(|ok| {
            if ok {
                Ok("passed".into())
            } else {
                Err("soc smoke failed (see above)".into())
            }
        }),
    )?;
    Ok(parts)
}

/// The script run in the Cassandra container: the keyspace, each table's schema from its
/// snapshot, then the snapshot's files imported into the live table.
pub(crate) fn cassandra_script(tag: &str) -> String {
    format!(
        "set -e; cd /var/lib/cassandra/restore; \
         cq() {{ cqlsh -u soc_admin -p \"$CASSANDRA_SUPERUSER_PASSWORD\" \"$@\"; }}; \
         cq -e \"CREATE KEYSPACE IF NOT EXISTS thehive WITH replication = \
         {{'class': 'SimpleStrategy', 'replication_factor': 1}}\"; \
         cq -e \"GRANT ALL PERMISSIONS ON KEYSPACE thehive TO thehive\"; \
         n=0; for d in thehive/*/snapshots/{tag}; do \
         t=$(basename \"$(dirname \"$(dirname \"$d\")\")\"); t=${{t%-*}}; \
         if [ -f \"$d/schema.cql\" ]; then cq -f \"$d/schema.cql\" || true; fi; \
         nodetool import thehive \"$t\" \"$PWD/$d\"; n=$((n+1)); done; \
         echo \"$n tables imported\""
    )
}

/// `docker compose ... <args>` reading its standard input from `file`.
fn stream_in(compose: &Compose, args: &[&str], file: &Path) -> Result<String, String> {
    let input = fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let dir = compose.dir.display().to_string();
    let out = Command::new(&compose.docker)
        .args(["compose", "--project-directory", &dir])
        .args(args)
        .stdin(Stdio::from(input))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", compose.docker))?;
    if out.status.success() {
        Ok(format!("{size} bytes read"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::stack::tests::Stub;
    use std::path::PathBuf;

    /// A backup as `deploy backup` writes it, from a rendered bundle.
    fn backup(stub: &Stub) -> PathBuf {
        let src = stub.dir.join("old");
        soc_deploy::render(&src, &soc_deploy::Settings::default()).unwrap();
        let b = src.join("backups/20261125T030000Z");
        let mut n = 0;
        backup::copy_tree(&src, &b.join("bundle"), &mut n, true).unwrap();
        fs::write(b.join("MANIFEST.md"), "# Backup\n").unwrap();
        fs::write(b.join("misp-db.sql"), "CREATE DATABASE misp;\n").unwrap();
        fs::write(b.join("cassandra.tar"), "TAR-BYTES").unwrap();
        for bucket in ["thehive", "es-snapshots"] {
            fs::create_dir_all(b.join("s3").join(bucket)).unwrap();
            fs::write(b.join("s3").join(bucket).join("MANIFEST.json"), "{}").unwrap();
        }
        b
    }

    fn restore(
        stub: &Stub,
        from: &Path,
        imported: &mut Vec<String>,
        smoked: &mut bool,
    ) -> Result<Vec<Part>, String> {
        let compose = Compose::new(
            &stub.dir.join("docker").display().to_string(),
            &stub.dir.join("new"),
        );
        run(
            &compose,
            &soc_deploy::Settings::default(),
            from,
            &|_| Duration::from_millis(40),
            Duration::from_millis(5),
            Hooks {
                import: &mut |dir: &Path, b: &str| {
                    imported.push(format!("{b} from {}", dir.display()));
                    Ok("2 objects".into())
                },
                smoke: &mut || {
                    *smoked = true;
                    Ok(true)
                },
                say: &mut |_| {},
            },
        )
    }

    fn healthy(stub: &Stub) {
        let mut lines: Vec<(&str, &str, &str, i64)> = FIRST
            .iter()
            .map(|s| (*s, "running", "healthy", 0))
            .collect();
        lines.retain(|l| l.0 != "s3-init");
        lines.push(("s3-init", "exited", "", 0));
        lines.retain(|l| l.0 != "cassandra-init");
        lines.push(("cassandra-init", "exited", "", 0));
        lines.push(("thehive", "running", "healthy", 0));
        stub.ps("last", &lines);
        // Before the restore starts anything, no container of the project runs.
        stub.ps("1", &[]);
    }

    const ES_OK: &str = "{\"accepted\":true,\"snapshot\":{\"snapshot\":\"soc-20261125t030000z\",\
                         \"shards\":{\"total\":4,\"failed\":0,\"successful\":4},\"state\":\"SUCCESS\"}}";

    #[test]
    fn a_backup_comes_back_as_a_fresh_deployment() {
        let stub = Stub::new();
        healthy(&stub);
        stub.exec_answers("es-index", ES_OK);
        stub.exec_answers("cassandra", "12 tables imported");
        stub.exec_answers("misp-db", "");
        let from = backup(&stub);
        let (mut imported, mut smoked) = (Vec::new(), false);
        let parts = restore(&stub, &from, &mut imported, &mut smoked).unwrap();
        let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "bundle",
                "project",
                "data stores",
                "s3 bucket",
                "s3 bucket",
                "misp database",
                "elasticsearch snapshot",
                "cassandra snapshot",
                "services",
                "smoke test"
            ]
        );
        assert!(smoked);
        imported.sort();
        assert!(
            imported[0].starts_with("es-snapshots from ")
                && imported[1].starts_with("thehive from "),
            "{imported:?}"
        );
        let new = stub.dir.join("new");
        // The secrets the data was written with; the paths this directory's.
        let restored = soc_deploy::parse_env(&fs::read_to_string(new.join(".env")).unwrap());
        let backed = soc_deploy::parse_env(&fs::read_to_string(from.join("bundle/.env")).unwrap());
        for var in [
            "MISP_MYSQL_ROOT_PASSWORD",
            "CASSANDRA_SUPERUSER_PASSWORD",
            "THEHIVE_SECRET",
        ] {
            assert_eq!(restored[var], backed[var], "{var}");
        }
        assert_ne!(restored["CORTEX_JOBS_DIR"], backed["CORTEX_JOBS_DIR"]);
        // The dump and the archive went in on the containers' standard input.
        assert_eq!(
            fs::read_to_string(stub.dir.join("stdin.misp-db")).unwrap(),
            "CREATE DATABASE misp;\n"
        );
        assert_eq!(
            fs::read_to_string(stub.dir.join("stdin.cassandra")).unwrap(),
            "TAR-BYTES"
        );
        let calls = stub.calls_for(&new);
        assert_eq!(calls[0], "ps --all --format json");
        assert_eq!(
            calls[1],
            "up --detach misp-db es-index cassandra cassandra-init s3 s3-init proxy"
        );
        let restore = calls
            .iter()
            .find(|c| c.contains("_restore"))
            .expect("a snapshot restore");
        assert!(
            restore.contains(
                "_snapshot/soc-s3/soc-20261125t030000z/_restore?wait_for_completion=true"
            ),
            "{restore}"
        );
        assert!(
            restore.contains("\"include_global_state\":false"),
            "{restore}"
        );
        let import = calls
            .iter()
            .find(|c| c.contains("nodetool import"))
            .unwrap();
        assert!(
            import.contains("thehive/*/snapshots/soc-20261125t030000z"),
            "{import}"
        );
        assert!(calls.iter().any(|c| c == "up --detach --remove-orphans"));
    }

    #[test]
    fn an_incomplete_backup_or_an_occupied_directory_is_refused() {
        let stub = Stub::new();
        let from = backup(&stub);
        fs::remove_file(from.join("cassandra.tar")).unwrap();
        let (mut i, mut s) = (Vec::new(), false);
        let err = restore(&stub, &from, &mut i, &mut s).unwrap_err();
        assert!(err.contains("cassandra.tar is missing"), "{err}");
        fs::write(from.join("cassandra.tar"), "x").unwrap();
        fs::create_dir_all(stub.dir.join("new")).unwrap();
        fs::write(stub.dir.join("new/.env"), "A=1\n").unwrap();
        let err = restore(&stub, &from, &mut i, &mut s).unwrap_err();
        assert!(err.contains("already holds a bundle"), "{err}");
        assert!(stub.calls_for(&stub.dir.join("new")).is_empty());
    }

    #[test]
    fn a_project_already_running_here_is_not_taken_over() {
        let stub = Stub::new();
        stub.ps("1", &[("thehive", "running", "healthy", 0)]);
        let from = backup(&stub);
        let (mut i, mut s) = (Vec::new(), false);
        let err = restore(&stub, &from, &mut i, &mut s).unwrap_err();
        assert!(err.contains("already run here (thehive)"), "{err}");
        let calls = stub.calls_for(&stub.dir.join("new"));
        assert_eq!(calls, ["ps --all --format json"], "nothing started");
        // The copied bundle was rendered for its new directory.
        let env = fs::read_to_string(stub.dir.join("new/.env")).unwrap();
        let new_dir = stub.dir.join("new").canonicalize().unwrap();
        assert!(
            env.contains(&format!(
                "CORTEX_JOBS_DIR={}/cortex-jobs",
                new_dir.display()
            )),
            "{env}"
        );
    }

    #[test]
    fn a_failed_snapshot_restore_stops_before_cassandra() {
        let stub = Stub::new();
        healthy(&stub);
        stub.exec_answers(
            "es-index",
            "{\"snapshot\":{\"shards\":{\"total\":4,\"failed\":2,\"successful\":2}}}",
        );
        stub.exec_answers("misp-db", "");
        let from = backup(&stub);
        let (mut i, mut s) = (Vec::new(), false);
        let err = restore(&stub, &from, &mut i, &mut s).unwrap_err();
        assert!(
            err.starts_with("restore stopped at elasticsearch snapshot"),
            "{err}"
        );
        assert!(err.contains("\"failed\":2"), "{err}");
        let calls = stub.calls_for(&stub.dir.join("new"));
        assert!(
            !calls.iter().any(|c| c.starts_with("exec -T cassandra")),
            "{calls:?}"
        );
        assert!(!s, "no smoke test");
    }
}
