//! `cargo xtask deploy`: the SOC stack as a rendered, validated Docker Compose bundle, and its
//! life on a Docker host. Rendering and validation are the `soc-deploy` library; this module
//! adds the host (preflight), the published schemas (downloaded once) and `docker compose`.
//!
//! - `deploy [--out DIR] [--settings FILE]`: preflight, render, validate, `docker compose up`,
//!   health polling with per-service budgets, then `soc setup` against the fresh stack (which
//!   also bootstraps TheHive's administrator), a render with the keys setup issued, `soc smoke`
//!   (an alert, an analyzer run, a MISP search, an S3 round trip) and a table of URLs and where
//!   the credentials are.
//! - `deploy --render-only [--k8s] [--out DIR] [--settings FILE]`: render and validate only (no
//!   Docker); `--k8s` also renders the Kubernetes set into `DIR/k8s` (operators and charts).
//! - `deploy validate [--out DIR]`: validate an already rendered bundle.
//! - `deploy preflight`, `status`, `logs SERVICE`, `down`.
//! - `deploy upgrade --to FILE`: a new pinned set, checked against the compatibility matrix,
//!   after a backup, service by service with health gates and a rollback, then migrations and
//!   `soc smoke` (see [`upgrade`]).
//! - `deploy restore --from BACKUP --out DIR`: a backup brought back as a fresh deployment
//!   (see [`restore`]).
//! - `deploy rotate CLUSTER.USER`: an Elasticsearch password of the bundle, changed and carried
//!   to the services reading it (see [`rotate`]).
//! - `deploy backup`: the bundle, MISP's database, an Elasticsearch snapshot to S3 and a
//!   Cassandra snapshot, into `DIR/backups/<UTC time>/` with a manifest saying how to restore.

// The subcommands report on stdout.
#![allow(clippy::print_stdout)]

mod backup;
mod preflight;
mod restore;
mod rotate;
mod schemas;
mod stack;
mod upgrade;

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use soc_deploy::{Rendered, Settings};

use preflight::{preflight, report};
use stack::Compose;

const USAGE: &str =
    "usage: cargo xtask deploy [--render-only] [--out DIR] [--settings FILE]\n       \
                     cargo xtask deploy preflight|validate|status|down|backup [--out DIR]\n       \
                     cargo xtask deploy logs SERVICE [--out DIR]\n       \
                     cargo xtask deploy upgrade --to VERSIONS_FILE [--out DIR]\n       \
                     cargo xtask deploy restore --from BACKUP_DIR --out NEW_DIR\n       \
                     cargo xtask deploy rotate CLUSTER.USER [--dry-run] [--out DIR]\n\
                     \n\
                     DIR defaults to deploy/out; FILE to deploy/settings.toml when present\n\
                     (deploy/settings.example.toml lists the settings). The Docker CLI is\n\
                     `docker`, or SOC_DOCKER when set.";

/// The directory holding the published schemas (downloaded on first use).
pub(crate) fn schema_dir(root: &Path) -> Result<PathBuf, String> {
    schemas::ensure(root)
}

/// The command line, parsed.
struct Args {
    command: String,
    service: Option<String>,
    render_only: bool,
    k8s: bool,
    dry_run: bool,
    to: Option<PathBuf>,
    from: Option<PathBuf>,
    out: PathBuf,
    settings: Settings,
}

fn parse_args(args: &[String], root: &Path) -> Result<Args, Box<dyn Error>> {
    let mut command = String::from("up");
    let mut service = None;
    let mut render_only = false;
    let mut k8s = false;
    let mut dry_run = false;
    let mut to = None;
    let mut from = None;
    let mut out = root.join("deploy/out");
    let mut settings_path = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--render-only" => render_only = true,
            "--k8s" => k8s = true,
            "--dry-run" => dry_run = true,
            "--to" => {
                to = Some(PathBuf::from(
                    it.next().ok_or("--to needs a versions file")?,
                ))
            }
            "--from" => {
                from = Some(PathBuf::from(
                    it.next().ok_or("--from needs a backup directory")?,
                ))
            }
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--settings" => {
                settings_path = Some(PathBuf::from(it.next().ok_or("--settings needs a file")?))
            }
            "-h" | "--help" => return Err(USAGE.into()),
            "preflight" | "validate" | "status" | "down" | "backup" | "upgrade" | "restore"
                if command == "up" =>
            {
                command = a.clone();
            }
            "rotate" if command == "up" => {
                command = a.clone();
                service = Some(
                    it.next()
                        .ok_or("rotate needs a password name (es-index.thehive ...)")?
                        .clone(),
                );
            }
            "logs" if command == "up" => {
                command = a.clone();
                service = Some(it.next().ok_or("logs needs a service name")?.clone());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    if render_only && command != "up" {
        return Err(format!("--render-only does not go with {command}").into());
    }
    if (command == "restore") != from.is_some() {
        return Err("restore takes --from BACKUP_DIR, and only restore does".into());
    }
    if (command == "upgrade") != to.is_some() {
        return Err("upgrade takes --to FILE (a versions file), and only upgrade does".into());
    }
    if dry_run && command != "rotate" {
        return Err("--dry-run goes with rotate".into());
    }
    if k8s && !render_only {
        return Err("--k8s renders for Kubernetes: use it with --render-only".into());
    }
    let default = root.join("deploy/settings.toml");
    let path = settings_path.or_else(|| default.exists().then_some(default));
    let settings = match path {
        None => Settings::default(),
        Some(p) => {
            let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Settings::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
    };
    Ok(Args {
        command,
        service,
        render_only,
        k8s,
        dry_run,
        to,
        from,
        out,
        settings,
    })
}

/// `cargo xtask deploy ...`.
pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?;
    let a = parse_args(args, root)?;
    let docker = std::env::var("SOC_DOCKER").unwrap_or_else(|_| "docker".into());
    let compose = || Compose::new(&docker, &a.out);
    match a.command.as_str() {
        "up" if a.render_only => {
            let r = soc_deploy::render(&a.out, &a.settings)?;
            print_rendered(&r);
            if a.k8s {
                let k = soc_deploy::render_k8s(&r.out, &a.settings)?;
                println!("rendered {} ({})", k.dir.display(), k.files.join(", "));
            }
            validate(root, &r.out)
        }
        "up" => up(root, &a, &docker),
        "validate" => validate(root, &a.out),
        "preflight" => {
            if report(&preflight(&a.settings, &a.out, &docker)) {
                Ok(())
            } else {
                Err("preflight failed: fix the checks marked FAIL".into())
            }
        }
        "status" => {
            print!("{}", stack::status_table(&compose().ps()?));
            Ok(())
        }
        "logs" => {
            let service = a.service.as_deref().unwrap_or_default();
            println!(
                "{}",
                compose().run(&["logs", "--no-color", "--tail", "200", service])?
            );
            Ok(())
        }
        "backup" => {
            let stamp = utc_stamp()?;
            let bucket = a.settings.get("s3.snapshot_bucket");
            let buckets = [a.settings.get("s3.bucket"), bucket.clone()];
            let config = a.out.join("soc.toml");
            let mut export = |b: &str, dir: &Path| soc_bucket(root, &config, "export", b, dir);
            let (dest, parts) = backup::run(&compose(), &bucket, &buckets, &stamp, &mut export);
            for p in &parts {
                match &p.outcome {
                    Ok(s) => println!("ok      {:<24} {s}", p.name),
                    Err(e) => println!("FAILED  {:<24} {e}", p.name),
                }
            }
            println!("{} (MANIFEST.md says how to restore)", dest.display());
            let failed = parts.iter().filter(|p| p.outcome.is_err()).count();
            if failed == 0 {
                Ok(())
            } else {
                Err(format!("backup incomplete: {failed} parts failed").into())
            }
        }
        "upgrade" => {
            let path = a.to.as_deref().ok_or("upgrade needs --to FILE")?;
            let target =
                fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let config = a.out.join("soc.toml");
            let mut soc_run = |cmd: &str| soc(root, &config, cmd).map(|s| s.success());
            let mut export = |b: &str, dir: &Path| soc_bucket(root, &config, "export", b, dir);
            let check = |dir: &Path| validate(root, dir).map_err(|e| e.to_string());
            let mut say = |m: &str| println!("{m}");
            let plan = upgrade::run(
                &compose(),
                &a.settings,
                &target,
                &utc_stamp()?,
                &stack::budget,
                Duration::from_secs(10),
                upgrade::Hooks {
                    soc: &mut soc_run,
                    export: &mut export,
                    validate: &check,
                    say: &mut say,
                },
            )?;
            println!("upgraded: {}", plan.services().join(", "));
            Ok(())
        }
        "restore" => {
            let from = a.from.as_deref().ok_or("restore needs --from BACKUP_DIR")?;
            let from = from
                .canonicalize()
                .map_err(|e| format!("{}: {e}", from.display()))?;
            let config = a.out.join("soc.toml");
            let mut import = |dir: &Path, b: &str| soc_bucket(root, &config, "import", b, dir);
            let mut smoke = || soc(root, &config, "smoke").map(|s| s.success());
            let mut say = |m: &str| println!("{m}");
            let parts = restore::run(
                &compose(),
                &a.settings,
                &from,
                &stack::budget,
                Duration::from_secs(10),
                restore::Hooks {
                    import: &mut import,
                    smoke: &mut smoke,
                    say: &mut say,
                },
            )?;
            for p in &parts {
                if let Ok(s) = &p.outcome {
                    println!("ok      {:<24} {s}", p.name);
                }
            }
            println!("restored into {}", a.out.display());
            Ok(())
        }
        "rotate" => {
            let name = a.service.as_deref().unwrap_or_default();
            if a.dry_run {
                println!("{}", rotate::plan(name)?);
                return Ok(());
            }
            let mut say = |m: &str| println!("{m}");
            rotate::run(
                &compose(),
                &a.settings,
                name,
                &stack::budget,
                Duration::from_secs(10),
                &mut say,
            )?;
            Ok(())
        }
        "down" => {
            // Volumes are kept: `down` stops the stack, it does not delete its data.
            compose().run(&["down", "--remove-orphans"])?;
            println!("stopped; the data volumes are kept");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

fn print_rendered(r: &Rendered) {
    println!("rendered {}", r.out.display());
    if r.tls.ca_created {
        println!("created the bundle's CA: {}/tls/ca.crt", r.out.display());
    }
    if !r.tls.issued.is_empty() {
        println!("issued certificates: {}", r.tls.issued.join(", "));
    }
    if r.generated.is_empty() {
        println!("all secrets kept from the existing .env");
    } else {
        println!(
            "generated {} secrets: {}",
            r.generated.len(),
            r.generated.join(", ")
        );
    }
}

/// Validates the bundle in `dir` against the published schemas and the semantic checks;
/// prints what was checked and every finding.
fn validate(root: &Path, dir: &Path) -> Result<(), Box<dyn Error>> {
    let schemas = soc_deploy::Schemas::load(&schemas::ensure(root)?)?;
    let mut result = soc_deploy::validate(dir, Some(&schemas))?;
    if dir.join("k8s").is_dir() {
        let k = soc_deploy::validate::k8s::validate_k8s(
            &dir.join("k8s"),
            &dir.join(".env"),
            Some(&schemas),
        )?;
        result.findings.extend(k.findings);
        result.checked.extend(k.checked);
    }
    for c in &result.checked {
        println!("checked  {c}");
    }
    for f in &result.findings {
        println!("FINDING  {f}");
    }
    if result.is_ok() {
        println!("{}: valid ({} checks)", dir.display(), result.checked.len());
        Ok(())
    } else {
        Err(format!("{}: {} findings", dir.display(), result.findings.len()).into())
    }
}

/// Preflight, render, validate, start and wait, then `soc setup` and the table of endpoints.
fn up(root: &Path, a: &Args, docker: &str) -> Result<(), Box<dyn Error>> {
    if !report(&preflight(&a.settings, &a.out, docker)) {
        return Err(
            "preflight failed: fix the checks marked FAIL, then run `cargo xtask deploy` again"
                .into(),
        );
    }
    let r = soc_deploy::render(&a.out, &a.settings)?;
    print_rendered(&r);
    validate(root, &r.out)?;
    let compose = Compose::new(docker, &r.out);
    stack::start_and_wait(
        &compose,
        &stack::budget,
        Duration::from_secs(10),
        &mut |s| println!("{s}"),
    )?;
    println!("every service is healthy; configuring them with `soc setup`");
    let config = r.out.join("soc.toml");
    let status = soc(root, &config, "setup")?;
    if status.success() {
        // Keys setup issued that the bundle's own configurations need (ElastAlert2's TheHive
        // key): render again and restart the services reading them.
        let issued = soc_deploy::collect_issued_keys(&r.out, &a.settings)?;
        if !issued.is_empty() {
            println!("issued by setup: {}; rendering again", issued.join(", "));
            soc_deploy::render(&r.out, &a.settings)?;
            validate(root, &r.out)?;
            compose.run(&["up", "--detach", "--force-recreate", "elastalert"])?;
        }
    }
    let smoke = status.success() && soc(root, &config, "smoke")?.success();
    endpoints(&a.settings, &r.out)?;
    if status.success() && smoke {
        Ok(())
    } else if status.success() {
        Err("the smoke test failed: see the steps marked FAIL above".into())
    } else {
        Err(format!(
            "soc setup did not finish cleanly; rerun it after fixing: cargo run -p soc-tools --bin soc -- --config {} setup",
            config.display()
        )
        .into())
    }
}

/// `soc --config CONFIG` from this workspace (built in release), arguments to add.
fn soc_command(root: &Path, config: &Path) -> std::process::Command {
    let mut cmd =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "soc-tools",
            "--bin",
            "soc",
            "--",
        ])
        .arg("--config")
        .arg(config);
    cmd
}

/// Runs `soc --config CONFIG COMMAND`, its output on the terminal.
fn soc(root: &Path, config: &Path, command: &str) -> Result<std::process::ExitStatus, String> {
    soc_command(root, config)
        .arg(command)
        .status()
        .map_err(|e| format!("cannot run soc {command}: {e}"))
}

/// `soc bucket export BUCKET DIR` or `soc bucket import DIR BUCKET` with the bundle's soc.toml.
fn soc_bucket(
    root: &Path,
    config: &Path,
    verb: &str,
    bucket: &str,
    dir: &Path,
) -> Result<String, String> {
    let mut cmd = soc_command(root, config);
    cmd.args(["bucket", verb]);
    if verb == "export" {
        cmd.arg(bucket).arg(dir);
    } else {
        cmd.arg(dir).arg(bucket);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run soc bucket {verb}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Where each service answers, and where its credentials are.
fn endpoints(settings: &Settings, out: &Path) -> Result<(), Box<dyn Error>> {
    let host = settings.get("stack.public_host");
    let rows = [
        (
            "TheHive",
            "https",
            "thehive",
            "admin@thehive.local, secrets/thehive_admin_password",
        ),
        ("Cortex", "https", "cortex", "secrets/cortex_admin_password"),
        (
            "MISP",
            "https",
            "misp_https",
            "misp.admin_email, secrets/misp_admin_password, key secrets/misp_admin_key",
        ),
        (
            "Kibana",
            "https",
            "kibana",
            "elastic, secrets/elastic_password",
        ),
        (
            "S3",
            "https",
            "s3",
            "secrets/s3_root_access_key, secrets/s3_root_secret_key",
        ),
        (
            "Node-RED",
            "https",
            "node_red",
            "admin, secrets/node_red_admin_password",
        ),
        (
            "Portainer",
            "https",
            "portainer",
            "admin, secrets/portainer_admin_password",
        ),
    ];
    println!(
        "\nEvery endpoint is TLS, with certificates from {}/tls/ca.crt (trust it in your browser).",
        out.display()
    );
    println!(
        "\n{:<10} {:<32} credentials (under {})",
        "service",
        "url",
        out.display()
    );
    for (name, scheme, port, creds) in rows {
        let url = format!("{scheme}://{host}:{}", settings.port(port)?);
        println!("{name:<10} {url:<32} {creds}");
    }
    Ok(())
}

/// The current UTC time as `YYYYMMDDTHHMMSSZ` (civil date from the Unix time, no time zone
/// database needed).
fn utc_stamp() -> Result<String, String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("the clock is before 1970: {e}"))?
        .as_secs();
    Ok(stamp_of(secs))
}

fn stamp_of(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_civil_times() {
        assert_eq!(stamp_of(0), "19700101T000000Z");
        assert_eq!(stamp_of(951_782_400), "20000229T000000Z");
        assert_eq!(stamp_of(1_795_568_523), "20261125T010203Z");
    }

    #[test]
    fn arguments_are_parsed_and_checked() {
        let root = Path::new("/repo");
        let a = parse_args(&["logs".into(), "thehive".into()], root).unwrap();
        assert_eq!(
            (a.command.as_str(), a.service.as_deref()),
            ("logs", Some("thehive"))
        );
        let a = parse_args(&["--render-only".into(), "--out".into(), "/x".into()], root).unwrap();
        assert!(a.render_only && a.command == "up" && a.out == Path::new("/x"));
        assert!(parse_args(&["backup".into(), "--render-only".into()], root).is_err());
        assert!(parse_args(&["logs".into()], root).is_err());
        assert!(parse_args(&["render".into()], root)
            .err()
            .unwrap()
            .to_string()
            .contains("unknown argument"));
    }
}
