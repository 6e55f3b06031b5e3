//! The rendered bundle validates clean for every S3 backend and profile, and each defect the
//! validator is there for is found, named at its place.
//!
//! The published schemas are read from `SOC_DEPLOY_SCHEMAS` (`cargo xtask ci` downloads them);
//! without it the schema checks are left out and said so.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::TempDir;
use serde_json::{json, Value};
use soc_deploy::validate::configs::yaml_to_json;
use soc_deploy::{render, validate, Report, Schemas, Settings, S3_BACKENDS};

fn schemas() -> Option<Schemas> {
    match std::env::var_os("SOC_DEPLOY_SCHEMAS") {
        Some(dir) => Some(Schemas::load(Path::new(&dir)).expect("SOC_DEPLOY_SCHEMAS")),
        None => {
            eprintln!("SOC_DEPLOY_SCHEMAS is not set: the schema checks are left out");
            None
        }
    }
}

fn rendered(dir: &TempDir, settings: &str) -> PathBuf {
    let out = dir.0.join("out");
    render(&out, &Settings::parse(settings).unwrap()).unwrap();
    out
}

fn show(report: &Report) -> String {
    report.findings.iter().map(|f| format!("  {f}\n")).collect()
}

#[test]
fn every_backend_and_profile_validates_clean() {
    let schemas = schemas();
    for backend in S3_BACKENDS {
        for profiles in ["", "shuffle"] {
            let dir = TempDir::new("soc-deploy-it");
            let out = rendered(
                &dir,
                &format!("[s3]\nbackend = \"{backend}\"\n[stack]\nprofiles = \"{profiles}\"\n"),
            );
            let report = validate(&out, schemas.as_ref()).unwrap();
            assert!(report.is_ok(), "{backend} {profiles}:\n{}", show(&report));
            let checked = report.checked.join("\n");
            for what in [
                "docker-compose.yml: dependencies",
                "config/thehive/application.conf: HOCON",
                "config/cortex/application.conf: HOCON",
                "config/elastalert/config.yaml: YAML, ElastAlert2",
                "config/elastalert/rules/ssh-bruteforce.yaml: ElastAlert2 rule",
                "config/init/s3-init.sh: sh -n",
                "config/misp/misp.env: env file",
                "soc.toml: TOML, https everywhere",
                "config/proxy/nginx.conf:",
            ] {
                assert!(checked.contains(what), "{what} not checked:\n{checked}");
            }
            if schemas.is_some() {
                assert!(checked.contains("compose-spec JSON schema"), "{checked}");
                assert!(checked.contains("schema and alerter options"), "{checked}");
            }
            if *backend == "garage" {
                assert!(
                    checked.contains("config/garage/garage.toml: TOML"),
                    "{checked}"
                );
            }
        }
    }
}

/// The bundle's conventions, beyond validity: one network, labels, no static addresses, no
/// container names, the long-lived services restart, published ports on the bind address.
#[test]
fn bundle_conventions_hold() {
    let dir = TempDir::new("soc-deploy-it");
    let out = rendered(&dir, "[stack]\nprofiles = \"shuffle\"\n");
    let text = fs::read_to_string(out.join("docker-compose.yml")).unwrap();
    assert!(!text.contains("ipv4_address"), "no static IPs");
    assert!(
        !text.contains("\nversion:"),
        "no obsolete top-level version"
    );
    let doc = yaml_to_json(&text).unwrap();
    let services = doc["services"].as_object().unwrap();
    for want in [
        "cassandra",
        "es-index",
        "thehive",
        "cortex",
        "s3",
        "s3-init",
        "es-siem",
        "es-siem-setup",
        "kibana",
        "logstash",
        "elastalert",
        "misp-db",
        "redis",
        "misp-modules",
        "misp-core",
        "node-red",
        "portainer",
        "shuffle-backend",
    ] {
        assert!(services.contains_key(want), "no {want}");
    }
    for (n, s) in services {
        let networks = match n.as_str() {
            // The Docker API proxy is reachable from Cortex only.
            "docker-proxy" => json!(["docker-api"]),
            "cortex" => json!(["soc", "docker-api"]),
            _ => json!(["soc"]),
        };
        assert_eq!(s["networks"], networks, "{n}: its networks");
        assert_eq!(
            s["labels"]["org.soc-toolkit.service"],
            json!(n),
            "{n}: labels"
        );
        assert!(s.get("container_name").is_none(), "{n}: container_name");
        let restart = s["restart"].as_str().unwrap_or("no");
        assert!(matches!(restart, "no" | "unless-stopped"), "{n}: {restart}");
        for p in s["ports"].as_array().into_iter().flatten() {
            assert!(
                p.as_str().unwrap().starts_with("${BIND_ADDRESS}:${"),
                "{n}: {p}"
            );
        }
    }
}

/// A compose document edit, a file edit, or a new file, and what the validator must say.
enum Defect {
    Compose(fn(&mut Value)),
    File(&'static str, fn(String) -> String),
}

fn service<'a>(doc: &'a mut Value, name: &str) -> &'a mut serde_json::Map<String, Value> {
    doc["services"][name].as_object_mut().unwrap()
}

fn defects() -> Vec<(&'static str, Defect, &'static str, &'static str, bool)> {
    // (what, defect, file, expected message part, needs the schemas)
    use Defect::*;
    vec![
        (
            "undefined dependency",
            Compose(|d| {
                d["services"]["thehive"]["depends_on"]["ghost"] =
                    json!({"condition": "service_started"})
            }),
            "docker-compose.yml: services.thehive.depends_on.ghost",
            "ghost, which is not defined",
            false,
        ),
        (
            "health condition on a service without a healthcheck",
            Compose(|d| {
                service(d, "cassandra").remove("healthcheck");
            }),
            "services.cassandra-init.depends_on.cassandra",
            "cassandra has no healthcheck",
            false,
        ),
        (
            "long-lived service without a healthcheck",
            Compose(|d| {
                service(d, "kibana").remove("healthcheck");
            }),
            "services.kibana.healthcheck",
            "without a healthcheck",
            false,
        ),
        (
            "completion awaited from a restarting service",
            Compose(|d| {
                d["services"]["thehive"]["depends_on"]["es-index"] =
                    json!({"condition": "service_completed_successfully"})
            }),
            "services.thehive.depends_on.es-index",
            "never completes",
            false,
        ),
        (
            "default service gated by an optional profile",
            Compose(|d| {
                service(d, "node-red").insert(
                    "depends_on".into(),
                    json!({"shuffle-backend": {"condition": "service_started"}}),
                );
            }),
            "services.node-red.depends_on.shuffle-backend",
            "disabled by its profile",
            false,
        ),
        (
            "duplicate host port",
            Compose(|d| {
                {
                    service(d, "node-red").insert("ports".into(), json!(["127.0.0.1:9000:1880"]));
                };
            }),
            "services.",
            "host port 9000/tcp is also published by",
            false,
        ),
        (
            "unset variable",
            Compose(|d| {
                service(d, "redis").insert("image".into(), json!("${NO_SUCH_IMAGE}"));
            }),
            "services.redis.image",
            "${NO_SUCH_IMAGE} is not set in .env",
            false,
        ),
        (
            "unpinned image",
            Compose(|d| {
                service(d, "redis").insert("image".into(), json!("valkey/valkey:latest"));
            }),
            "services.redis.image",
            "`latest` is not a version",
            false,
        ),
        (
            "bare major version",
            Compose(|d| {
                service(d, "misp-db").insert("image".into(), json!("mariadb:10"));
            }),
            "services.misp-db.image",
            "not an exact version",
            false,
        ),
        (
            "seed default credential",
            Compose(|d| {
                d["services"]["s3"]["environment"]["RUSTFS_SECRET_KEY"] = json!("rustfsadmin")
            }),
            "services.s3.environment.RUSTFS_SECRET_KEY",
            "seed default credential",
            false,
        ),
        (
            "memory over the host budget",
            Compose(|d| {
                service(d, "es-siem").insert("mem_limit".into(), json!("12g"));
            }),
            "docker-compose.yml: services",
            "over the 14.5 GiB budget",
            false,
        ),
        (
            "no memory limit",
            Compose(|d| {
                service(d, "redis").remove("mem_limit");
            }),
            "services.redis.mem_limit",
            "no memory limit",
            false,
        ),
        (
            "undeclared named volume",
            Compose(|d| {
                {
                    service(d, "redis").insert("volumes".into(), json!(["ghost-data:/data"]));
                };
            }),
            "services.redis.volumes",
            "ghost-data is not declared",
            false,
        ),
        (
            "missing bind source",
            Compose(|d| {
                {
                    service(d, "redis")
                        .insert("volumes".into(), json!(["./config/nothing:/data:ro"]));
                };
            }),
            "services.redis.volumes",
            "./config/nothing does not exist",
            false,
        ),
        (
            "undeclared network",
            Compose(|d| {
                service(d, "redis").insert("networks".into(), json!(["elsewhere"]));
            }),
            "services.redis.networks",
            "elsewhere is not declared",
            false,
        ),
        (
            "unknown key (schema)",
            Compose(|d| {
                {
                    service(d, "redis").insert("restart_policy".into(), json!("always"));
                };
            }),
            "services.redis",
            "compose-spec schema",
            true,
        ),
        (
            "wrong type (schema)",
            Compose(|d| {
                service(d, "redis").insert("ports".into(), json!("6379"));
            }),
            "services.redis.ports",
            "compose-spec schema",
            true,
        ),
        (
            "HOCON syntax",
            File("config/thehive/application.conf", |t| t + "\nbroken = {\n"),
            "config/thehive/application.conf",
            "not valid HOCON",
            false,
        ),
        (
            "HOCON environment substitution not provided",
            File("config/cortex/application.conf", |t| {
                t + "\nplay.mailer.password = ${CORTEX_SMTP_PASSWORD}\n"
            }),
            "config/cortex/application.conf: ${CORTEX_SMTP_PASSWORD}",
            "service cortex does not set CORTEX_SMTP_PASSWORD",
            false,
        ),
        (
            "TheHive context path in the ElastAlert2 host",
            File("config/elastalert/rules/ssh-bruteforce.yaml", |t| {
                t.replace(
                    "hive_host: http://thehive",
                    "hive_host: http://thehive/thehive",
                )
            }),
            "ssh-bruteforce.yaml: hive_connection.hive_host",
            "context path",
            false,
        ),
        (
            "TheHive alerter without a type",
            File("config/elastalert/rules/ssh-bruteforce.yaml", |t| {
                t.replace("  type: external\n", "")
            }),
            "ssh-bruteforce.yaml: hive_alert_config.type",
            "required by the TheHive alerter",
            false,
        ),
        (
            "duplicate observable mapping",
            File("config/elastalert/rules/ssh-bruteforce.yaml", |t| {
                t + "  - ip: source.ip\n"
            }),
            "ssh-bruteforce.yaml: hive_observable_data_mapping.2",
            "mapped twice",
            false,
        ),
        (
            "frequency rule without num_events (schema)",
            File("config/elastalert/rules/ssh-bruteforce.yaml", |t| {
                t.replace("num_events: 20\n", "")
            }),
            "ssh-bruteforce.yaml",
            "ElastAlert2 rule schema",
            true,
        ),
        (
            "ElastAlert2 config without es_port",
            File("config/elastalert/config.yaml", |t| {
                t.replace("es_port: 9200\n", "")
            }),
            "config/elastalert/config.yaml: es_port",
            "required by ElastAlert2",
            false,
        ),
        (
            "shell syntax",
            File("config/init/s3-init.sh", |t| t + "\nif then fi (\n"),
            "config/init/s3-init.sh",
            "shell syntax",
            false,
        ),
        (
            "a configuration no service reads",
            File("config/kibana/kibana.yml", |_| {
                "server.name: kibana\n".into()
            }),
            "config/kibana/kibana.yml",
            "no service mounts or reads this file",
            false,
        ),
        (
            "env file line",
            File("config/misp/misp.env", |t| t + "not an assignment\n"),
            "config/misp/misp.env: line",
            "not a KEY=VALUE line",
            false,
        ),
        (
            "an internal service publishing a port",
            Compose(|d| {
                service(d, "redis").insert("ports".into(), json!(["127.0.0.1:6379:6379"]));
            }),
            "services.redis.ports",
            "not an edge service",
            false,
        ),
        (
            "a secret's value written into the compose file",
            Compose(|d| {
                // The stand-in is replaced by the bundle's real MISP key before validation.
                d["services"]["redis"]["environment"]["LEAK"] = json!("SECRET_PLACEHOLDER");
            }),
            "docker-compose.yml: MISP_ADMIN_KEY",
            "holds a secret's value",
            false,
        ),
        (
            "a proxy listener in clear text",
            File("config/proxy/nginx.conf", |t| {
                t.replacen("listen 9001 ssl;", "listen 9001;", 1)
            }),
            "config/proxy/nginx.conf: line",
            "without ssl",
            false,
        ),
        (
            "a published proxy port with no TLS listener",
            File("config/proxy/nginx.conf", |t| {
                t.replacen("listen 5601 ssl;", "listen 5602 ssl;", 1)
            }),
            "config/proxy/nginx.conf",
            "no TLS listener is on port 5601",
            false,
        ),
        (
            "soc.toml in clear text",
            File("soc.toml", |t| {
                t.replacen("url = \"https://", "url = \"http://", 1)
            }),
            "soc.toml: s3.url",
            "not https",
            false,
        ),
        (
            "soc.toml with verification off",
            File("soc.toml", |t| {
                t.replace(
                    "[defaults]\n",
                    "[defaults]\ndanger_accept_invalid_certs = true\n",
                )
            }),
            "soc.toml: defaults.danger_accept_invalid_certs",
            "verification is off",
            false,
        ),
        (
            "soc.toml's CA missing",
            File("soc.toml", |t| t.replace("tls/ca.crt", "tls/gone.crt")),
            "soc.toml: defaults.ca_file",
            "does not exist",
            false,
        ),
        (
            "soc.toml secret file missing",
            File("soc.toml", |t| {
                t.replace("secrets/misp_admin_key", "secrets/misp_admin_key_gone")
            }),
            "soc.toml: misp.api_key.file",
            "does not exist",
            false,
        ),
    ]
}

#[test]
fn each_defect_is_found_where_it_is() {
    let schemas = schemas();
    let dir = TempDir::new("soc-deploy-it");
    let clean = rendered(&dir, "");
    let compose = fs::read_to_string(clean.join("docker-compose.yml")).unwrap();
    for (what, defect, place, message, needs_schemas) in defects() {
        if needs_schemas && schemas.is_none() {
            continue;
        }
        let copy = dir.0.join("copy");
        let _ = fs::remove_dir_all(&copy);
        copy_tree(&clean, &copy);
        match defect {
            Defect::Compose(edit) => {
                let mut doc = yaml_to_json(&compose).unwrap();
                edit(&mut doc);
                // JSON is YAML: the validator reads it as Compose would.
                let env = soc_deploy::parse_env(&fs::read_to_string(copy.join(".env")).unwrap());
                let text = serde_json::to_string_pretty(&doc)
                    .unwrap()
                    .replace("SECRET_PLACEHOLDER", &env["MISP_ADMIN_KEY"]);
                fs::write(copy.join("docker-compose.yml"), text).unwrap();
            }
            Defect::File(rel, edit) => {
                let p = copy.join(rel);
                let before = fs::read_to_string(&p).unwrap_or_default();
                let after = edit(before.clone());
                assert_ne!(before, after, "{what}: the edit changed nothing");
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, after).unwrap();
            }
        }
        let report = validate(&copy, schemas.as_ref()).unwrap();
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.to_string().contains(place) && f.message.contains(message)),
            "{what}: expected `{place}` ... `{message}`, got:\n{}",
            show(&report)
        );
    }
}

/// With nginx installed, `nginx -t` reads the proxy's configuration with the mounted files.
#[test]
fn nginx_checks_the_proxy_configuration_when_installed() {
    if std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("nginx is not installed: nginx -t is left out");
        return;
    }
    let dir = TempDir::new("soc-deploy-nginx");
    let out = rendered(&dir, "");
    let report = validate(&out, None).unwrap();
    assert!(report.is_ok(), "{}", show(&report));
    assert!(
        report
            .checked
            .iter()
            .any(|c| c.starts_with("config/proxy/nginx.conf: nginx -t")),
        "{:?}",
        report.checked
    );
    let conf = out.join("config/proxy/nginx.conf");
    let text = fs::read_to_string(&conf).unwrap();
    fs::write(
        &conf,
        text.replacen("proxy_read_timeout", "proxy_read_timout", 1),
    )
    .unwrap();
    let report = validate(&out, None).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("nginx -t") && f.message.contains("proxy_read_timout")),
        "{}",
        show(&report)
    );
    // The certificate files it loads are the bundle's: without them, nginx -t fails.
    let text = fs::read_to_string(&conf).unwrap();
    fs::write(
        &conf,
        text.replacen("proxy_read_timout", "proxy_read_timeout", 1),
    )
    .unwrap();
    fs::remove_file(out.join("tls/proxy.key")).unwrap();
    let report = validate(&out, None).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("nginx -t")),
        "{}",
        show(&report)
    );
}

#[test]
fn a_bundle_that_is_not_yaml_is_a_finding_and_no_compose_file_an_error() {
    let dir = TempDir::new("soc-deploy-it");
    fs::write(dir.0.join("docker-compose.yml"), "services: [\n").unwrap();
    let report = validate(&dir.0, None).unwrap();
    assert!(
        report.findings[0].message.contains("not valid YAML"),
        "{report:?}"
    );
    let empty = TempDir::new("soc-deploy-it");
    let err = validate(&empty.0, None).unwrap_err().to_string();
    assert!(err.contains("docker-compose.yml"), "{err}");
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            fs::copy(&p, &dest).unwrap();
        }
    }
}
