//! `cargo xtask deploy upgrade --to FILE`: the running bundle moved to a new pinned set.
//!
//! 1. The plan ([`soc_deploy::upgrade::plan`]): the target set against the compatibility
//!    matrix, the services to restart in dependency order. Nothing changes if it is refused.
//! 2. A backup ([`super::backup`]); the upgrade stops if any part of it fails.
//! 3. The previous set saved as `versions.previous.env`, the bundle rendered with the target set
//!    and validated.
//! 4. Service by service: `docker compose pull`, `up --detach --no-deps`, its health awaited.
//!    On a failure, the bundle is rendered again with the previous set and the services changed
//!    so far are started on their previous images (their data is the backup's to restore if a
//!    newer version already migrated it; the error says which backup).
//! 5. Migrations: `soc setup` (Cortex's index migration among its steps) and, when MISP changed,
//!    MISP's own database updates; then `soc smoke`.

use std::fs;
use std::path::Path;
use std::time::Duration;

use soc_deploy::upgrade::UpgradePlan;
use soc_deploy::Settings;

use super::backup;
use super::stack::{self, Compose};

/// What the upgrade needs from outside: `soc` (`setup`, `smoke`: did it succeed?), the
/// validation of a rendered bundle, and where to say what happens.
pub(crate) struct Hooks<'a> {
    pub(crate) soc: &'a mut dyn FnMut(&str) -> Result<bool, String>,
    pub(crate) export: backup::Exporter<'a>,
    pub(crate) validate: &'a dyn Fn(&Path) -> Result<(), String>,
    pub(crate) say: &'a mut dyn FnMut(&str),
}

/// The image variables of a rendered bundle's `.env`, as a versions file.
pub(crate) fn current_versions(dir: &Path) -> Result<String, String> {
    let env = fs::read_to_string(dir.join(".env")).map_err(|e| {
        format!(
            "{}: {e} (render the bundle first)",
            dir.join(".env").display()
        )
    })?;
    Ok(soc_deploy::parse_env(&env)
        .into_iter()
        .filter(|(k, _)| k.ends_with("_IMAGE"))
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect())
}

/// Runs the upgrade of the bundle in `compose.dir` to `target` (a versions file's text).
pub(crate) fn run(
    compose: &Compose,
    settings: &Settings,
    target: &str,
    stamp: &str,
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    hooks: Hooks<'_>,
) -> Result<UpgradePlan, String> {
    let dir = &compose.dir;
    let previous = current_versions(dir)?;
    let plan = soc_deploy::upgrade::plan(&previous, target)
        .map_err(|problems| format!("the target set is refused:\n  {}", problems.join("\n  ")))?;
    if plan.changes.is_empty() {
        (hooks.say)("every image is already at the target version");
        return Ok(plan);
    }
    for c in &plan.changes {
        (hooks.say)(&format!(
            "{}: {} -> {} ({})",
            c.var,
            c.from,
            c.to,
            c.services.join(", ")
        ));
    }

    let snapshots = settings.get("s3.snapshot_bucket");
    let buckets = [settings.get("s3.bucket"), snapshots.clone()];
    let (backup_dir, parts) = backup::run(compose, &snapshots, &buckets, stamp, hooks.export);
    let failed: Vec<String> = parts
        .iter()
        .filter_map(|p| p.outcome.as_ref().err().map(|e| format!("{}: {e}", p.name)))
        .collect();
    if !failed.is_empty() {
        return Err(format!(
            "the backup before the upgrade failed, nothing was upgraded:\n  {}",
            failed.join("\n  ")
        ));
    }
    (hooks.say)(&format!("backup: {}", backup_dir.display()));

    fs::write(dir.join("versions.previous.env"), &previous)
        .map_err(|e| format!("cannot write versions.previous.env: {e}"))?;
    soc_deploy::render_with_versions(dir, settings, target).map_err(|e| e.to_string())?;
    if let Err(e) = (hooks.validate)(dir) {
        // Nothing moved yet: the bundle goes back to the set it runs.
        let back = soc_deploy::render_with_versions(dir, settings, &previous)
            .map(|_| "the bundle is rendered with the previous set again".to_string())
            .unwrap_or_else(|r| format!("rendering the previous set again failed too: {r}"));
        return Err(format!(
            "the bundle rendered with the target set does not validate, nothing was upgraded \
             ({back}):\n{e}"
        ));
    }
    // Services of profiles this stack does not run stay off (Compose would start a service
    // named on its command line whatever its profile).
    let active = active_services(dir)?;

    let mut done: Vec<String> = Vec::new();
    for service in plan.services().into_iter().filter(|s| active.contains(s)) {
        let step = compose
            .run(&["pull", "--quiet", &service])
            .and_then(|_| compose.run(&["up", "--detach", "--no-deps", &service]))
            .and_then(|_| {
                stack::wait_for(
                    compose,
                    std::slice::from_ref(&service),
                    budget,
                    poll,
                    hooks.say,
                )
            });
        done.push(service.clone());
        if let Err(e) = step {
            let rollback = roll_back(compose, settings, &previous, &done, budget, poll, hooks.say);
            return Err(format!(
                "upgrading {service} failed: {e}\n{rollback}\nThe backup taken before the upgrade \
                 is {} (MANIFEST.md says how to restore it, if a newer version already changed \
                 the data).",
                backup_dir.display()
            ));
        }
    }

    if !(hooks.soc)("setup")? {
        return Err(
            "soc setup failed after the upgrade (see above); the services run the new \
                    images"
                .into(),
        );
    }
    if plan.changes.iter().any(|c| c.var == "MISP_CORE_IMAGE") {
        compose
            .run(&[
                "exec",
                "-T",
                "misp-core",
                "/var/www/MISP/app/Console/cake",
                "Admin",
                "runUpdates",
            ])
            .map_err(|e| format!("MISP's database updates failed: {e}"))?;
        (hooks.say)("MISP database updates applied");
    }
    if !(hooks.soc)("smoke")? {
        return Err("the smoke test failed after the upgrade (see above)".into());
    }
    Ok(plan)
}

/// The services the rendered compose file runs with its `.env`'s `COMPOSE_PROFILES`.
fn active_services(dir: &Path) -> Result<Vec<String>, String> {
    let env = soc_deploy::parse_env(
        &fs::read_to_string(dir.join(".env")).map_err(|e| format!(".env: {e}"))?,
    );
    let profiles: Vec<&str> = env
        .get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let text = fs::read_to_string(dir.join("docker-compose.yml"))
        .map_err(|e| format!("docker-compose.yml: {e}"))?;
    let doc = soc_deploy::validate::configs::yaml_to_json(&text)
        .map_err(|e| format!("docker-compose.yml: {e}"))?;
    Ok(doc["services"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, s)| {
            let own: Vec<&str> = s["profiles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .collect();
            own.is_empty() || own.iter().any(|p| profiles.contains(p))
        })
        .map(|(n, _)| n.clone())
        .collect())
}

/// The previous images back for the services already moved.
fn roll_back(
    compose: &Compose,
    settings: &Settings,
    previous: &str,
    services: &[String],
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    say: &mut dyn FnMut(&str),
) -> String {
    let result = soc_deploy::render_with_versions(&compose.dir, settings, previous)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            for s in services {
                compose.run(&["up", "--detach", "--no-deps", s])?;
            }
            stack::wait_for(compose, services, budget, poll, say)
        });
    match result {
        Ok(()) => format!(
            "Rolled back: {} run their previous images again.",
            services.join(", ")
        ),
        Err(e) => format!("The rollback failed too: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::stack::tests::Stub;

    struct Setup {
        stub: Stub,
        compose: Compose,
        settings: Settings,
        versions: String,
    }

    fn setup() -> Setup {
        let stub = Stub::new();
        let settings = Settings::default();
        let dir = stub.dir.join("bundle");
        soc_deploy::render(&dir, &settings).unwrap();
        let versions = current_versions(&dir).unwrap();
        stub.exec_answers("es-index", "{\"snapshot\":{\"state\":\"SUCCESS\"}}");
        stub.exec_answers("misp-db", "-- dump");
        stub.exec_answers("cassandra", "Snapshot directory: x");
        let compose = Compose::new(&stub.dir.join("docker").display().to_string(), &dir);
        Setup {
            stub,
            compose,
            settings,
            versions,
        }
    }

    fn target(base: &str, changes: &[(&str, &str)]) -> String {
        base.lines()
            .map(|l| {
                let var = l.split('=').next().unwrap_or_default();
                match changes.iter().find(|(v, _)| *v == var) {
                    Some((v, image)) => format!("{v}={image}\n"),
                    None => format!("{l}\n"),
                }
            })
            .collect()
    }

    fn upgrade(s: &Setup, target: &str, socs: &mut Vec<String>) -> Result<UpgradePlan, String> {
        let mut soc = |cmd: &str| {
            socs.push(cmd.to_owned());
            Ok(true)
        };
        let validate = |dir: &Path| {
            let r = soc_deploy::validate(dir, None).map_err(|e| e.to_string())?;
            if r.is_ok() {
                Ok(())
            } else {
                Err(format!("{:?}", r.findings))
            }
        };
        let mut said = Vec::new();
        let mut say = |m: &str| said.push(m.to_owned());
        run(
            &s.compose,
            &s.settings,
            target,
            "20261125T020000Z",
            &|_| Duration::from_millis(40),
            Duration::from_millis(5),
            Hooks {
                soc: &mut soc,
                export: &mut |b: &str, _: &Path| Ok(format!("{b} exported")),
                validate: &validate,
                say: &mut say,
            },
        )
    }

    fn ps_all_healthy(s: &Setup, services: &[&str]) {
        let mut lines: Vec<(&str, &str, &str, i64)> = services
            .iter()
            .map(|n| (*n, "running", "healthy", 0))
            .collect();
        // Cassandra's role job runs with it, and exits.
        lines.push(("cassandra-init", "exited", "", 0));
        s.stub.ps("last", &lines);
    }

    #[test]
    fn an_upgrade_backs_up_then_moves_services_in_order_then_migrates_and_smoke_tests() {
        let s = setup();
        ps_all_healthy(&s, &["cassandra", "thehive", "misp-core"]);
        let to = target(
            &s.versions,
            &[
                ("THEHIVE_IMAGE", "strangebee/thehive:5.7.6"),
                (
                    "MISP_CORE_IMAGE",
                    "ghcr.io/misp/misp-docker/misp-core:v2.5.43",
                ),
                ("CASSANDRA_IMAGE", "cassandra:4.1.13"),
            ],
        );
        let mut socs = Vec::new();
        let plan = upgrade(&s, &to, &mut socs).unwrap();
        assert_eq!(
            plan.services(),
            ["cassandra", "cassandra-init", "thehive", "misp-core"]
        );
        let calls = s.stub.calls_for(&s.compose.dir);
        let moves: Vec<&String> = calls
            .iter()
            .filter(|c| c.starts_with("pull") || c.starts_with("up"))
            .collect();
        assert_eq!(
            moves,
            [
                "pull --quiet cassandra",
                "up --detach --no-deps cassandra",
                "pull --quiet cassandra-init",
                "up --detach --no-deps cassandra-init",
                "pull --quiet thehive",
                "up --detach --no-deps thehive",
                "pull --quiet misp-core",
                "up --detach --no-deps misp-core",
            ]
        );
        // The backup ran before anything moved.
        let first_move = calls.iter().position(|c| c.starts_with("pull")).unwrap();
        let dump = calls
            .iter()
            .position(|c| c.contains("mariadb-dump"))
            .unwrap();
        assert!(dump < first_move, "{calls:?}");
        assert!(calls
            .iter()
            .any(|c| c == "exec -T misp-core /var/www/MISP/app/Console/cake Admin runUpdates"));
        assert_eq!(socs, ["setup", "smoke"]);
        let env = fs::read_to_string(s.compose.dir.join(".env")).unwrap();
        assert!(
            env.contains("THEHIVE_IMAGE=strangebee/thehive:5.7.6"),
            "rendered with the target"
        );
        let previous = fs::read_to_string(s.compose.dir.join("versions.previous.env")).unwrap();
        assert!(previous.contains("THEHIVE_IMAGE=strangebee/thehive:5.7.5"));
    }

    #[test]
    fn services_of_an_inactive_profile_stay_off() {
        let s = setup();
        ps_all_healthy(&s, &["thehive"]);
        let to = target(
            &s.versions,
            &[
                ("THEHIVE_IMAGE", "strangebee/thehive:5.7.6"),
                (
                    "SHUFFLE_BACKEND_IMAGE",
                    "ghcr.io/shuffle/shuffle-backend:2.1.2",
                ),
            ],
        );
        let mut socs = Vec::new();
        upgrade(&s, &to, &mut socs).unwrap();
        let calls = s.stub.calls_for(&s.compose.dir);
        assert!(!calls.iter().any(|c| c.contains("shuffle")), "{calls:?}");
        assert!(calls.iter().any(|c| c == "up --detach --no-deps thehive"));
        let env = fs::read_to_string(s.compose.dir.join(".env")).unwrap();
        assert!(env.contains("SHUFFLE_BACKEND_IMAGE=ghcr.io/shuffle/shuffle-backend:2.1.2"));
    }

    #[test]
    fn a_target_that_does_not_validate_leaves_the_previous_set() {
        let s = setup();
        let to = target(
            &s.versions,
            &[("THEHIVE_IMAGE", "strangebee/thehive:5.7.6")],
        );
        let mut soc = |_: &str| Ok(true);
        let refuse = |_: &Path| Err("a planted finding".to_string());
        let err = run(
            &s.compose,
            &s.settings,
            &to,
            "20261125T020000Z",
            &|_| Duration::from_millis(40),
            Duration::from_millis(5),
            Hooks {
                soc: &mut soc,
                export: &mut |_: &str, _: &Path| Ok(String::new()),
                validate: &refuse,
                say: &mut |_| {},
            },
        )
        .unwrap_err();
        assert!(
            err.contains("does not validate") && err.contains("a planted finding"),
            "{err}"
        );
        let env = fs::read_to_string(s.compose.dir.join(".env")).unwrap();
        assert!(
            env.contains("THEHIVE_IMAGE=strangebee/thehive:5.7.5"),
            "back to the running set"
        );
        assert!(!s
            .stub
            .calls_for(&s.compose.dir)
            .iter()
            .any(|c| c.starts_with("pull")));
    }

    #[test]
    fn a_refused_set_changes_nothing() {
        let s = setup();
        let to = target(
            &s.versions,
            &[("CORTEX_IMAGE", "thehiveproject/cortex:3.1.8-1")],
        );
        let mut socs = Vec::new();
        let err = upgrade(&s, &to, &mut socs).unwrap_err();
        assert!(err.contains("needs Elasticsearch 7"), "{err}");
        assert!(
            s.stub.calls_for(&s.compose.dir).is_empty(),
            "no docker call"
        );
        assert!(!s.compose.dir.join("versions.previous.env").exists());
    }

    #[test]
    fn a_failed_backup_stops_the_upgrade() {
        let s = setup();
        s.stub.exec_fails("misp-db", "Access denied");
        let to = target(
            &s.versions,
            &[("THEHIVE_IMAGE", "strangebee/thehive:5.7.6")],
        );
        let mut socs = Vec::new();
        let err = upgrade(&s, &to, &mut socs).unwrap_err();
        assert!(
            err.contains("backup before the upgrade failed") && err.contains("Access denied"),
            "{err}"
        );
        assert!(!s
            .stub
            .calls_for(&s.compose.dir)
            .iter()
            .any(|c| c.starts_with("pull")));
    }

    #[test]
    fn an_unhealthy_service_rolls_back_to_the_previous_images() {
        let s = setup();
        s.stub.ps(
            "last",
            &[
                ("cassandra", "running", "healthy", 0),
                ("cassandra-init", "exited", "", 0),
                ("thehive", "running", "unhealthy", 0),
            ],
        );
        let to = target(
            &s.versions,
            &[
                ("CASSANDRA_IMAGE", "cassandra:4.1.13"),
                ("THEHIVE_IMAGE", "strangebee/thehive:5.7.6"),
            ],
        );
        let mut socs = Vec::new();
        let err = upgrade(&s, &to, &mut socs).unwrap_err();
        assert!(err.contains("upgrading thehive failed"), "{err}");
        assert!(err.contains("log of thehive"), "{err}");
        assert!(err.contains("backups/20261125T020000Z"), "{err}");
        assert!(socs.is_empty(), "no setup or smoke after a failed upgrade");
        let env = fs::read_to_string(s.compose.dir.join(".env")).unwrap();
        assert!(
            env.contains("THEHIVE_IMAGE=strangebee/thehive:5.7.5"),
            "rendered back with the previous set"
        );
        let calls = s.stub.calls_for(&s.compose.dir);
        let ups: Vec<&String> = calls.iter().filter(|c| c.starts_with("up")).collect();
        assert_eq!(
            ups,
            [
                "up --detach --no-deps cassandra",
                "up --detach --no-deps cassandra-init",
                "up --detach --no-deps thehive",
                "up --detach --no-deps cassandra",
                "up --detach --no-deps cassandra-init",
                "up --detach --no-deps thehive",
            ],
            "both moved services started again on their previous images"
        );
    }
}
