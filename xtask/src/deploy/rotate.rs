//! `cargo xtask deploy rotate CLUSTER.USER`: an Elasticsearch password of the bundle replaced
//! everywhere it is used. (`soc rotate` rotates the credentials services hand out through their
//! APIs; these passwords live in the bundle's own configuration.)
//!
//! 1. The new password is generated and kept in `secrets/<var>.pending` (0600) before anything
//!    else, so an interruption never loses it.
//! 2. Elasticsearch changes it (`_security/user/<user>/_password`, run inside the cluster's
//!    container as `elastic`; the new password goes in on standard input, never on a command
//!    line).
//! 3. `.env` and `secrets/` take it, the bundle is rendered again, and the services that read
//!    it are recreated and awaited.
//! 4. The password is verified (`_security/_authenticate` as the user), and the pending file
//!    removed.
//!
//! Run again after an interruption: a pending password that already works is carried through;
//! one that does not is set first.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use soc_deploy::Settings;

use super::stack::{self, Compose};

/// The passwords this rotates: name, cluster service, Elasticsearch user, `.env` variable, and
/// the services recreated to read it.
pub(crate) const PASSWORDS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "es-index.thehive",
        "es-index",
        "thehive",
        "THEHIVE_ES_PASSWORD",
        &["thehive"],
    ),
    (
        "es-index.cortex",
        "es-index",
        "cortex",
        "CORTEX_ES_PASSWORD",
        &["cortex"],
    ),
    (
        "es-index.elastic",
        "es-index",
        "elastic",
        "INDEX_ELASTIC_PASSWORD",
        &["es-index"],
    ),
    (
        "es-siem.elastic",
        "es-siem",
        "elastic",
        "ELASTIC_PASSWORD",
        &["es-siem"],
    ),
    (
        "es-siem.kibana_system",
        "es-siem",
        "kibana_system",
        "KIBANA_SYSTEM_PASSWORD",
        &["kibana"],
    ),
    (
        "es-siem.soc_logstash",
        "es-siem",
        "soc_logstash",
        "LOGSTASH_ES_PASSWORD",
        &["logstash"],
    ),
    (
        "es-siem.soc_elastalert",
        "es-siem",
        "soc_elastalert",
        "ELASTALERT_ES_PASSWORD",
        &["elastalert"],
    ),
];

/// `docker compose exec -T SERVICE sh -c SCRIPT` with `input` on its standard input.
fn exec_with_input(
    compose: &Compose,
    service: &str,
    script: &str,
    input: &str,
) -> Result<String, String> {
    use std::io::Write as _;
    let dir = compose.dir.display().to_string();
    let mut child = Command::new(&compose.docker)
        .args([
            "compose",
            "--project-directory",
            &dir,
            "exec",
            "-T",
            service,
            "sh",
            "-c",
            script,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", compose.docker))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("{input}\n").as_bytes())
            .map_err(|e| format!("cannot write to {service}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{service}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "{service}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `user` authenticates with `password` on the cluster in `service`.
fn works(compose: &Compose, service: &str, user: &str, password: &str) -> bool {
    let script = format!(
        "read -r p; curl -fsS -u \"{user}:$p\" http://localhost:9200/_security/_authenticate"
    );
    exec_with_input(compose, service, &script, password).is_ok()
}

/// What rotating `name` would do, changing nothing (`--dry-run`).
pub(crate) fn plan(name: &str) -> Result<String, String> {
    let Some((_, cluster, user, var, consumers)) = PASSWORDS.iter().find(|p| p.0 == name) else {
        let names: Vec<&str> = PASSWORDS.iter().map(|p| p.0).collect();
        return Err(format!("unknown password {name:?}: {}", names.join(", ")));
    };
    Ok(format!(
        "{name}: a new {var} changed for {user} in {cluster}, written to .env and secrets/, the \
         bundle rendered again, {} recreated, then verified",
        consumers.join(", ")
    ))
}

/// Rotates the password named `name` (`es-index.thehive` ...) of the bundle in `compose.dir`.
pub(crate) fn run(
    compose: &Compose,
    settings: &Settings,
    name: &str,
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    say: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let Some((_, cluster, user, var, consumers)) = PASSWORDS.iter().find(|p| p.0 == name) else {
        let names: Vec<&str> = PASSWORDS.iter().map(|p| p.0).collect();
        return Err(format!("unknown password {name:?}: {}", names.join(", ")));
    };
    let dir = &compose.dir;
    if !dir.join(".env").is_file() {
        return Err(format!("{}: no rendered bundle", dir.display()));
    }
    let pending_path = dir
        .join("secrets")
        .join(format!("{}.pending", var.to_ascii_lowercase()));
    let pending = match fs::read_to_string(&pending_path) {
        Ok(p) => p.trim().to_string(),
        Err(_) => {
            let p = soc_deploy::new_secret(var).map_err(|e| e.to_string())?;
            super::backup::write_private(&pending_path, p.as_bytes())?;
            p
        }
    };
    if works(compose, cluster, user, &pending) {
        say(&format!("{name}: the pending password already works"));
    } else {
        // As `elastic`, with the password the container started with (or, for `elastic`
        // itself, its current one).
        let script = format!(
            "read -r p; curl -fsS -u \"elastic:$ELASTIC_PASSWORD\" -X POST \
             -H 'Content-Type: application/json' \
             http://localhost:9200/_security/user/{user}/_password \
             -d \"{{\\\"password\\\":\\\"$p\\\"}}\""
        );
        exec_with_input(compose, cluster, &script, &pending)
            .map_err(|e| format!("Elasticsearch refused the new password for {user}: {e}"))?;
        say(&format!("{name}: changed in {cluster}"));
    }
    soc_deploy::set_secret(dir, var, &pending).map_err(|e| e.to_string())?;
    soc_deploy::render(dir, settings).map_err(|e| e.to_string())?;
    let mut args = vec!["up", "--detach", "--force-recreate", "--no-deps"];
    args.extend(consumers.iter().copied());
    compose.run(&args)?;
    let consumers: Vec<String> = consumers.iter().map(|s| (*s).to_string()).collect();
    stack::wait_for(compose, &consumers, budget, poll, say)?;
    if !works(compose, cluster, user, &pending) {
        return Err(format!(
            "{user} does not authenticate with the new password on {cluster}; it is kept in {}",
            pending_path.display()
        ));
    }
    fs::remove_file(&pending_path)
        .map_err(|e| format!("cannot remove {}: {e}", pending_path.display()))?;
    say(&format!(
        "{name}: rotated; {} recreated with it",
        consumers.join(", ")
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::stack::tests::Stub;

    fn bundle(stub: &Stub) -> Compose {
        let dir = stub.dir.join("bundle");
        soc_deploy::render(&dir, &Settings::default()).unwrap();
        Compose::new(&stub.dir.join("docker").display().to_string(), &dir)
    }

    fn rotate(c: &Compose, name: &str) -> Result<(), String> {
        run(
            c,
            &Settings::default(),
            name,
            &|_| Duration::from_millis(40),
            Duration::from_millis(5),
            &mut |_| {},
        )
    }

    fn env(c: &Compose, var: &str) -> String {
        soc_deploy::parse_env(&fs::read_to_string(c.dir.join(".env")).unwrap())[var].clone()
    }

    #[test]
    fn a_password_is_changed_in_elasticsearch_then_everywhere_it_is_read() {
        let stub = Stub::new();
        stub.ps("last", &[("thehive", "running", "healthy", 0)]);
        // The first _authenticate (with the pending password, before the change) fails.
        stub.exec_fails_once("es-index", "401 Unauthorized");
        let c = bundle(&stub);
        let old = env(&c, "THEHIVE_ES_PASSWORD");
        rotate(&c, "es-index.thehive").unwrap();
        let new = env(&c, "THEHIVE_ES_PASSWORD");
        assert_ne!(new, old);
        assert_eq!(new.len(), 40);
        assert_eq!(
            fs::read_to_string(c.dir.join("secrets/thehive_es_password")).unwrap(),
            new
        );
        assert!(!c.dir.join("secrets/thehive_es_password.pending").exists());
        let calls = stub.calls_for(&c.dir);
        let change = calls
            .iter()
            .find(|l| l.contains("_security/user/thehive/_password"))
            .expect("the change");
        assert!(
            change.starts_with("exec -T es-index sh -c read -r p;"),
            "{change}"
        );
        assert!(
            !change.contains(&new),
            "the password is never on a command line"
        );
        assert!(calls
            .iter()
            .any(|l| l == "up --detach --force-recreate --no-deps thehive"));
        // The password went in on standard input (the change, then the verifications).
        let stdin = fs::read_to_string(stub.dir.join("stdin.es-index")).unwrap();
        assert!(stdin.contains(&new), "{stdin}");
    }

    #[test]
    fn a_refused_change_keeps_the_pending_password_and_the_configuration() {
        let stub = Stub::new();
        stub.exec_fails("es-index", "401 Unauthorized");
        let c = bundle(&stub);
        let old = env(&c, "CORTEX_ES_PASSWORD");
        let err = rotate(&c, "es-index.cortex").unwrap_err();
        assert!(err.contains("refused the new password for cortex"), "{err}");
        assert_eq!(env(&c, "CORTEX_ES_PASSWORD"), old, ".env untouched");
        let pending = c.dir.join("secrets/cortex_es_password.pending");
        assert!(pending.exists());
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&pending).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Run again once Elasticsearch answers: the same pending password is carried through.
        let kept = fs::read_to_string(&pending).unwrap();
        fs::remove_file(stub.dir.join("exec.fails.es-index")).unwrap();
        stub.ps("last", &[("cortex", "running", "healthy", 0)]);
        rotate(&c, "es-index.cortex").unwrap();
        assert_eq!(env(&c, "CORTEX_ES_PASSWORD"), kept);
    }

    #[test]
    fn a_dry_run_says_what_would_happen() {
        let p = plan("es-siem.soc_logstash").unwrap();
        assert!(
            p.contains("LOGSTASH_ES_PASSWORD") && p.contains("logstash recreated"),
            "{p}"
        );
        assert!(plan("nope").is_err());
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let stub = Stub::new();
        let c = bundle(&stub);
        let err = rotate(&c, "es-index.nobody").unwrap_err();
        assert!(err.contains("es-siem.soc_logstash"), "{err}");
    }
}
