//! Driving the rendered stack through `docker compose`: start and wait for health, status,
//! logs, down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::preflight::run_capture;

/// `docker compose` for one bundle directory. `docker` is the CLI to run (a parameter so tests
/// can put a recording stub in its place).
pub(crate) struct Compose {
    pub(crate) docker: String,
    pub(crate) dir: PathBuf,
}

impl Compose {
    pub(crate) fn new(docker: &str, dir: &Path) -> Compose {
        Compose {
            docker: docker.to_string(),
            dir: dir.to_path_buf(),
        }
    }

    /// `docker compose --project-directory DIR <args>`: its stdout, or why it failed.
    pub(crate) fn run(&self, args: &[&str]) -> Result<String, String> {
        let dir = self.dir.display().to_string();
        let mut all = vec!["compose", "--project-directory", dir.as_str()];
        all.extend_from_slice(args);
        run_capture(&self.docker, &all)
    }

    /// The services' states: `docker compose ps --all --format json`.
    pub(crate) fn ps(&self) -> Result<Vec<Container>, String> {
        Ok(parse_ps(&self.run(&["ps", "--all", "--format", "json"])?))
    }
}

/// One line of `docker compose ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Container {
    pub(crate) service: String,
    pub(crate) state: String,
    pub(crate) health: String,
    pub(crate) exit_code: Option<i64>,
}

impl Container {
    /// Healthy, or a one-shot job that exited 0 (a running service without a healthcheck is
    /// never "done": every long-lived service of the bundle has one).
    fn done(&self) -> bool {
        self.health == "healthy" || (self.state == "exited" && self.exit_code == Some(0))
    }

    /// A job that exited non-zero, or a container that died.
    fn failed(&self) -> bool {
        (self.state == "exited" && self.exit_code != Some(0)) || self.state == "dead"
    }

    fn summary(&self) -> String {
        let what = if self.health.is_empty() {
            &self.state
        } else {
            &self.health
        };
        format!("{}:{what}", self.service)
    }
}

/// `docker compose ps --format json` prints one object per line (Compose 2.21+) or one array
/// (earlier v2 releases): both are read.
pub(crate) fn parse_ps(text: &str) -> Vec<Container> {
    let items: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(a)) => a,
        _ => text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    };
    items
        .iter()
        .map(|i| Container {
            service: i["Service"].as_str().unwrap_or("?").to_string(),
            state: i["State"].as_str().unwrap_or_default().to_string(),
            health: i["Health"].as_str().unwrap_or_default().to_string(),
            exit_code: i["ExitCode"].as_i64(),
        })
        .collect()
}

/// How long a service may take to become healthy on a first boot, measured from `up`: the
/// slow starters get more (MISP's first boot runs its database migrations, TheHive and Cortex
/// wait for their databases).
pub(crate) fn budget(service: &str) -> Duration {
    let secs = match service {
        "misp-core" => 900,
        "thehive" | "cortex" | "kibana" => 420,
        "cassandra" | "es-index" | "es-siem" | "misp-db" | "shuffle-opensearch" => 240,
        _ => 180,
    };
    Duration::from_secs(secs)
}

/// `docker compose up -d`, then polls until every service is healthy and every job exited 0.
///
/// Fails on the first job that exits non-zero or container that dies, or when a service is
/// still not healthy past its own budget; either way with the last log lines of the services
/// concerned. A transient "unhealthy" inside the budget is not fatal (first boots are slow).
pub(crate) fn start_and_wait(
    compose: &Compose,
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    say: &mut dyn FnMut(&str),
) -> Result<(), String> {
    compose.run(&["up", "--detach", "--remove-orphans"])?;
    let started = Instant::now();
    let mut last = String::new();
    let logs = |service: &str| {
        compose
            .run(&["logs", "--no-color", "--tail", "50", service])
            .unwrap_or_else(|e| format!("(no logs: {e})"))
    };
    loop {
        let ps = compose.ps()?;
        let summary: Vec<String> = ps.iter().map(Container::summary).collect();
        let summary = summary.join(" ");
        if summary != last {
            say(&format!("[{:>4}s] {summary}", started.elapsed().as_secs()));
            last = summary;
        }
        if ps.is_empty() {
            return Err("docker compose ps lists no container after `up`".into());
        }
        if let Some(c) = ps.iter().find(|c| c.failed()) {
            return Err(format!(
                "{} {} (exit code {}); its last log lines:\n{}",
                c.service,
                c.state,
                c.exit_code.map_or("?".into(), |e| e.to_string()),
                logs(&c.service)
            ));
        }
        let pending: Vec<&Container> = ps.iter().filter(|c| !c.done()).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let late: Vec<&&Container> = pending
            .iter()
            .filter(|c| started.elapsed() > budget(&c.service))
            .collect();
        if !late.is_empty() {
            let mut text = String::new();
            for c in &late {
                text.push_str(&format!(
                    "--- {} ({}), not healthy after {} s:\n{}\n",
                    c.service,
                    c.summary(),
                    budget(&c.service).as_secs(),
                    logs(&c.service)
                ));
            }
            let names: Vec<&str> = late.iter().map(|c| c.service.as_str()).collect();
            return Err(format!(
                "not healthy within their budgets: {}\n{text}",
                names.join(", ")
            ));
        }
        std::thread::sleep(poll);
    }
}

/// Polls until each of `services` is healthy (or, for a job, exited 0): after a
/// `docker compose up --no-deps SERVICE`. Fails like [`start_and_wait`].
pub(crate) fn wait_for(
    compose: &Compose,
    services: &[String],
    budget: &dyn Fn(&str) -> Duration,
    poll: Duration,
    say: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let started = Instant::now();
    let logs = |service: &str| {
        compose
            .run(&["logs", "--no-color", "--tail", "50", service])
            .unwrap_or_else(|e| format!("(no logs: {e})"))
    };
    loop {
        let ps: Vec<Container> = compose
            .ps()?
            .into_iter()
            .filter(|c| services.contains(&c.service))
            .collect();
        if let Some(c) = ps.iter().find(|c| c.failed()) {
            return Err(format!(
                "{} {}; its last log lines:\n{}",
                c.service,
                c.state,
                logs(&c.service)
            ));
        }
        let missing: Vec<&String> = services
            .iter()
            .filter(|s| !ps.iter().any(|c| &c.service == *s))
            .collect();
        let pending: Vec<&Container> = ps.iter().filter(|c| !c.done()).collect();
        if missing.is_empty() && pending.is_empty() {
            say(&format!("healthy: {}", services.join(", ")));
            return Ok(());
        }
        if let Some(late) = services.iter().find(|s| {
            started.elapsed() > budget(s)
                && (missing.contains(s) || pending.iter().any(|c| &c.service == *s))
        }) {
            return Err(format!(
                "{late} is not healthy after {} s; its last log lines:\n{}",
                budget(late).as_secs(),
                logs(late)
            ));
        }
        std::thread::sleep(poll);
    }
}

/// A table of the services: state, health, exit code.
pub(crate) fn status_table(ps: &[Container]) -> String {
    let mut by_service: BTreeMap<&str, &Container> = BTreeMap::new();
    for c in ps {
        by_service.insert(&c.service, c);
    }
    let mut out = format!(
        "{:<20} {:<10} {:<10} {}\n",
        "SERVICE", "STATE", "HEALTH", "EXIT"
    );
    for (s, c) in by_service {
        out.push_str(&format!(
            "{s:<20} {:<10} {:<10} {}\n",
            c.state,
            if c.health.is_empty() { "-" } else { &c.health },
            c.exit_code.map_or("-".into(), |e| e.to_string())
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A recording `docker`: appends its arguments to `calls`, answers `ps` with `ps.N` for the
    /// Nth call (or `ps.last`), and `logs` with a line naming the service.
    pub(crate) struct Stub {
        pub(crate) dir: PathBuf,
    }

    impl Stub {
        pub(crate) fn new() -> Stub {
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "xtask-docker-stub-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            let d = dir.display();
            let script = format!(
                "#!/bin/sh\n\
                 echo \"$*\" >> '{d}/calls'\n\
                 case \"$*\" in\n\
                 *' exec -T '*)\n\
                   svc=$6\n\
                   cat >> '{d}/stdin.'$svc\n\
                   if [ -f '{d}/exec.fails-once.'$svc ]; then cat '{d}/exec.fails-once.'$svc >&2; rm '{d}/exec.fails-once.'$svc; exit 1; fi\n\
                   if [ -f '{d}/exec.fails.'$svc ]; then cat '{d}/exec.fails.'$svc >&2; exit 1; fi\n\
                   [ -f '{d}/exec.'$svc ] && cat '{d}/exec.'$svc ;;\n\
                 *' ps '*)\n\
                   n=$(cat '{d}/n' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{d}/n'\n\
                   f='{d}/ps.'$n; [ -f \"$f\" ] || f='{d}/ps.last'; cat \"$f\" ;;\n\
                 *' logs '*) for a in \"$@\"; do last=$a; done; echo \"log of $last\" ;;\n\
                 *' up '*) [ -f '{d}/up.fails' ] && {{ echo 'no such image' >&2; exit 1; }} ;;\n\
                 esac\n\
                 exit 0\n"
            );
            let path = dir.join("docker");
            fs::write(&path, script).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
            Stub { dir }
        }

        pub(crate) fn ps(&self, n: &str, lines: &[(&str, &str, &str, i64)]) {
            let text: String = lines
                .iter()
                .map(|(s, state, health, code)| {
                    format!(
                        "{{\"Service\":\"{s}\",\"State\":\"{state}\",\"Health\":\"{health}\",\"ExitCode\":{code}}}\n"
                    )
                })
                .collect();
            fs::write(self.dir.join(format!("ps.{n}")), text).unwrap();
        }

        fn compose(&self) -> Compose {
            Compose::new(
                &self.dir.join("docker").display().to_string(),
                Path::new("/srv/soc"),
            )
        }

        /// What `docker compose exec -T SERVICE ...` prints.
        pub(crate) fn exec_answers(&self, service: &str, text: &str) {
            fs::write(self.dir.join(format!("exec.{service}")), text).unwrap();
        }

        /// `docker compose exec -T SERVICE ...` fails with this on stderr.
        pub(crate) fn exec_fails(&self, service: &str, text: &str) {
            fs::write(self.dir.join(format!("exec.fails.{service}")), text).unwrap();
        }

        /// The next `docker compose exec -T SERVICE ...` fails with this on stderr, the
        /// following ones do not.
        pub(crate) fn exec_fails_once(&self, service: &str, text: &str) {
            fs::write(self.dir.join(format!("exec.fails-once.{service}")), text).unwrap();
        }

        /// The recorded calls, without `compose --project-directory DIR`.
        pub(crate) fn calls_for(&self, dir: &Path) -> Vec<String> {
            let prefix = format!("compose --project-directory {} ", dir.display());
            fs::read_to_string(self.dir.join("calls"))
                .unwrap_or_default()
                .lines()
                .map(|l| l.trim_start_matches(prefix.as_str()).to_string())
                .collect()
        }

        fn calls(&self) -> Vec<String> {
            fs::read_to_string(self.dir.join("calls"))
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    l.trim_start_matches("compose --project-directory /srv/soc ")
                        .to_string()
                })
                .collect()
        }
    }

    impl Drop for Stub {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    fn wait(stub: &Stub, budget: Duration) -> (Result<(), String>, Vec<String>) {
        let mut said = Vec::new();
        let r = start_and_wait(
            &stub.compose(),
            &|_| budget,
            Duration::from_millis(5),
            &mut |s| said.push(s.to_string()),
        );
        (r, said)
    }

    #[test]
    fn up_waits_for_health_and_jobs() {
        let stub = Stub::new();
        stub.ps(
            "1",
            &[
                ("s3-init", "running", "", 0),
                ("thehive", "running", "starting", 0),
            ],
        );
        stub.ps(
            "2",
            &[
                ("s3-init", "exited", "", 0),
                ("thehive", "running", "unhealthy", 0),
            ],
        );
        stub.ps(
            "last",
            &[
                ("s3-init", "exited", "", 0),
                ("thehive", "running", "healthy", 0),
            ],
        );
        let (r, said) = wait(&stub, Duration::from_secs(60));
        r.unwrap();
        assert_eq!(
            stub.calls(),
            [
                "up --detach --remove-orphans",
                "ps --all --format json",
                "ps --all --format json",
                "ps --all --format json",
            ]
        );
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[2].contains("thehive:healthy"), "{said:?}");
    }

    #[test]
    fn a_failed_job_stops_the_wait_with_its_logs() {
        let stub = Stub::new();
        stub.ps(
            "last",
            &[
                ("s3-init", "exited", "", 1),
                ("thehive", "running", "starting", 0),
            ],
        );
        let (r, _) = wait(&stub, Duration::from_secs(60));
        let err = r.unwrap_err();
        assert!(err.contains("s3-init exited (exit code 1)"), "{err}");
        assert!(err.contains("log of s3-init"), "{err}");
        assert_eq!(
            stub.calls().last().unwrap(),
            "logs --no-color --tail 50 s3-init"
        );
    }

    #[test]
    fn a_service_past_its_budget_is_named_with_its_logs() {
        let stub = Stub::new();
        stub.ps(
            "last",
            &[
                ("cassandra", "running", "healthy", 0),
                ("thehive", "running", "unhealthy", 0),
            ],
        );
        let (r, _) = wait(&stub, Duration::from_millis(30));
        let err = r.unwrap_err();
        assert!(
            err.starts_with("not healthy within their budgets: thehive\n"),
            "{err}"
        );
        assert!(err.contains("log of thehive"), "{err}");
        assert!(!err.contains("log of cassandra"), "{err}");
        let calls = stub.calls();
        assert!(calls.len() > 2, "{calls:?}");
        assert_eq!(calls.last().unwrap(), "logs --no-color --tail 50 thehive");
    }

    #[test]
    fn a_failing_up_is_reported_with_dockers_words() {
        let stub = Stub::new();
        fs::write(stub.dir.join("up.fails"), "").unwrap();
        let (r, _) = wait(&stub, Duration::from_secs(1));
        let err = r.unwrap_err();
        assert!(err.contains("no such image"), "{err}");
        assert_eq!(stub.calls(), ["up --detach --remove-orphans"]);
    }

    #[test]
    fn a_missing_docker_is_a_sentence() {
        let c = Compose::new("/nonexistent/docker", Path::new("/srv/soc"));
        let err = c.ps().unwrap_err();
        assert!(err.contains("is not installed"), "{err}");
    }

    #[test]
    fn ps_is_read_in_both_formats_and_tabled() {
        let lines = "{\"Service\":\"thehive\",\"State\":\"running\",\"Health\":\"starting\"}\n\
                     {\"Service\":\"s3-init\",\"State\":\"exited\",\"Health\":\"\",\"ExitCode\":0}";
        let ps = parse_ps(lines);
        assert_eq!(ps.len(), 2);
        assert!(!ps[0].done() && ps[1].done());
        let array =
            "[{\"Service\":\"s3-init\",\"State\":\"exited\",\"Health\":\"\",\"ExitCode\":1}]";
        assert!(parse_ps(array)[0].failed());
        let table = status_table(&ps);
        assert!(
            table.contains("s3-init              exited     -          0"),
            "{table}"
        );
        assert!(budget("misp-core") > budget("redis"));
    }
}
