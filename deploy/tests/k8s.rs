//! The Kubernetes rendering validates clean, shares the compose bundle's secrets, and each defect
//! the validator is there for is found at its place. The Kubernetes schemas come from
//! `SOC_DEPLOY_SCHEMAS` (`cargo xtask ci` downloads them); without them the schema cases are
//! left out and said so.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::TempDir;
use soc_deploy::validate::k8s::{validate_k8s, yaml_documents};
use soc_deploy::{parse_env, render, render_k8s, Report, Schemas, Settings};

fn schemas() -> Option<Schemas> {
    let dir = std::env::var_os("SOC_DEPLOY_SCHEMAS")?;
    let s = Schemas::load(Path::new(&dir)).expect("SOC_DEPLOY_SCHEMAS");
    s.has_k8s().then_some(s).or_else(|| {
        eprintln!("no Kubernetes schemas in SOC_DEPLOY_SCHEMAS: the schema cases are left out");
        None
    })
}

fn rendered(dir: &TempDir) -> PathBuf {
    let out = dir.0.join("out");
    let settings = Settings::default();
    render(&out, &settings).unwrap();
    render_k8s(&out, &settings).unwrap();
    out
}

fn check(out: &Path, schemas: Option<&Schemas>) -> Report {
    validate_k8s(&out.join("k8s"), &out.join(".env"), schemas).unwrap()
}

fn show(r: &Report) -> String {
    r.findings.iter().map(|f| format!("  {f}\n")).collect()
}

#[test]
fn the_rendering_validates_clean_and_shares_the_bundles_secrets() {
    let schemas = schemas();
    let dir = TempDir::new("soc-deploy-k8s");
    let out = rendered(&dir);
    let report = check(&out, schemas.as_ref());
    assert!(report.is_ok(), "{}", show(&report));
    if schemas.is_some() {
        assert!(
            report.checked[0].contains("against the Kubernetes JSON schemas"),
            "{:?}",
            report.checked
        );
    }
    let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
    let secrets = fs::read_to_string(out.join("k8s/10-secrets.yaml")).unwrap();
    for var in [
        "THEHIVE_SECRET",
        "CORTEX_SECRET",
        "S3_ROOT_SECRET_KEY",
        "CASSANDRA_SUPERUSER_PASSWORD",
    ] {
        assert!(
            secrets.contains(&env[var]),
            "{var} not in the Kubernetes secrets"
        );
    }
    let mode = |f: &str| {
        fs::metadata(out.join("k8s").join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("10-secrets.yaml"), 0o600);
    assert_eq!(mode("40-garage-values.yaml"), 0o600);
    assert_eq!(mode("50-thehive-values.yaml"), 0o644);
    // A second rendering keeps everything (the secrets come from the bundle).
    let before = secrets.clone();
    render_k8s(&out, &Settings::default()).unwrap();
    assert_eq!(
        fs::read_to_string(out.join("k8s/10-secrets.yaml")).unwrap(),
        before
    );
    let readme = fs::read_to_string(out.join("k8s/README.md")).unwrap();
    assert!(readme.contains("eck-operator --version 3.5.0"), "{readme}");
    assert!(readme.contains(&env["S3_ROOT_ACCESS_KEY"]), "{readme}");
    assert!(
        !readme.contains(&env["S3_ROOT_SECRET_KEY"]),
        "secret key in README"
    );
}

#[test]
fn settings_shape_the_rendering() {
    let dir = TempDir::new("soc-deploy-k8s");
    let out = dir.0.join("out");
    let settings = Settings::parse(
        "[k8s]\nnamespace = \"sec-ops\"\nstorage_class = \"fast\"\nrwx_storage_class = \"nfs\"\n\
         es_nodes = 5\ns3_nodes = 1\n",
    )
    .unwrap();
    render(&out, &settings).unwrap();
    render_k8s(&out, &settings).unwrap();
    let es = yaml_documents(&fs::read_to_string(out.join("k8s/20-elasticsearch.yaml")).unwrap())
        .unwrap();
    assert_eq!(es[0]["metadata"]["namespace"], "sec-ops");
    assert_eq!(es[0]["spec"]["nodeSets"][0]["count"], 5);
    assert_eq!(
        es[0]["spec"]["nodeSets"][0]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "fast"
    );
    let cortex =
        yaml_documents(&fs::read_to_string(out.join("k8s/60-cortex-values.yaml")).unwrap())
            .unwrap();
    assert_eq!(
        cortex[0]["cortex"]["persistentVolumeClaim"]["storageClass"],
        "nfs"
    );
    let garage =
        yaml_documents(&fs::read_to_string(out.join("k8s/40-garage-values.yaml")).unwrap())
            .unwrap();
    assert_eq!(garage[0]["garage"]["replicationFactor"], "1");
    assert!(check(&out, None).is_ok());
    let err = Settings::parse("[k8s]\nes_nodes = 0\n")
        .and_then(|s| render_k8s(&out, &s).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("k8s.es_nodes"), "{err}");
}

/// A text edit of one file, and what the validator must say where.
type Edit = fn(String) -> String;

#[test]
fn each_defect_is_found_where_it_is() {
    let schemas = schemas();
    let cases: Vec<(&str, &str, Edit, &str, &str, bool)> = vec![
        (
            "Kibana on a cluster that is not rendered",
            "20-elasticsearch.yaml",
            |t| {
                t.replace(
                    "elasticsearchRef:\n    name: es-siem",
                    "elasticsearchRef:\n    name: es-logs",
                )
            },
            "Kibana/kibana.spec.elasticsearchRef",
            "\"es-logs\" is not a rendered Elasticsearch",
            false,
        ),
        (
            "Elasticsearch version drift",
            "20-elasticsearch.yaml",
            |t| t.replacen("version: 8.19.20", "version: 8.18.0", 1),
            "Elasticsearch/es-index.spec.version",
            "not the version in versions.env",
            false,
        ),
        (
            "ECK data claim renamed",
            "20-elasticsearch.yaml",
            |t| t.replacen("name: elasticsearch-data", "name: data", 1),
            "Elasticsearch/es-index.spec.nodeSets.0.volumeClaimTemplates",
            "elasticsearch-data",
            false,
        ),
        (
            "es-index back on ECK's TLS while TheHive speaks HTTP",
            "20-elasticsearch.yaml",
            |t| {
                t.replacen(
                    "  http:\n    tls:\n      selfSignedCertificate:\n        disabled: true\n",
                    "",
                    1,
                )
            },
            "thehive.index.hostnames",
            "serves HTTPS",
            false,
        ),
        (
            "Cassandra version not x.y.z",
            "30-cassandra.yaml",
            |t| t.replace("serverVersion: 4.1.12", "serverVersion: '4.1'"),
            "K8ssandraCluster/soc.spec.cassandra.serverVersion",
            "x.y.z",
            false,
        ),
        (
            "superuser secret missing",
            "30-cassandra.yaml",
            |t| t.replace("name: cassandra-superuser", "name: cassandra-admin"),
            "K8ssandraCluster/soc.spec.cassandra.superuserSecretRef",
            "\"cassandra-admin\"",
            false,
        ),
        (
            "a values file naming a secret key that is not rendered",
            "50-thehive-values.yaml",
            |t| t.replace("k8sSecretKey: secret-key", "k8sSecretKey: rootPassword"),
            "thehive.storage",
            "\"s3-credentials\" with key \"rootPassword\"",
            false,
        ),
        (
            "TheHive on a Cassandra service that does not exist",
            "50-thehive-values.yaml",
            |t| t.replace("soc-dc1-service", "cassandra"),
            "thehive.database.hostnames",
            "not a rendered Cassandra's service",
            false,
        ),
        (
            "the bundled Cassandra subchart left on",
            "50-thehive-values.yaml",
            |t| {
                t.replacen(
                    "cassandra:\n  enabled: false",
                    "cassandra:\n  enabled: true",
                    1,
                )
            },
            "cassandra.enabled",
            "subchart must be off",
            false,
        ),
        (
            "a secret inlined in a values file",
            "60-cortex-values.yaml",
            |t| t + "extra:\n  token: PLACEHOLDER\n",
            "k8s/60-cortex-values.yaml",
            "holds the secret",
            false,
        ),
        (
            "Cortex's application secret too short for its chart",
            "10-secrets.yaml",
            |t| {
                let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                // The second http-secret is Cortex's.
                let mut seen = 0;
                for l in &mut lines {
                    if l.trim_start().starts_with("http-secret: ") {
                        seen += 1;
                        if seen == 2 {
                            *l = "  http-secret: short".into();
                        }
                    }
                }
                lines.join("\n") + "\n"
            },
            "cortex.k8sSecretName",
            "under 32 characters",
            false,
        ),
        (
            "Garage replicated wider than it has nodes",
            "40-garage-values.yaml",
            |t| t.replace("replicaCount: 3", "replicaCount: 2"),
            "garage.replicationFactor",
            "needs at least as many nodes",
            false,
        ),
        (
            "an unknown field in a Kubernetes object (strict schema)",
            "00-namespace.yaml",
            |t| t + "spex:\n  finalizers: []\n",
            "Namespace/soc",
            "Kubernetes schema",
            true,
        ),
        (
            "a wrong type in a NetworkPolicy (schema)",
            "20-elasticsearch.yaml",
            |t| t.replace("policyTypes:\n  - Ingress", "policyTypes: Ingress"),
            "NetworkPolicy/es-index-clients",
            "Kubernetes schema",
            true,
        ),
        (
            "not YAML",
            "30-cassandra.yaml",
            |t| t + "spec: [\n",
            "k8s/30-cassandra.yaml",
            "not valid YAML",
            false,
        ),
    ];
    for (what, file, edit, place, message, needs_schemas) in cases {
        if needs_schemas && schemas.is_none() {
            continue;
        }
        let dir = TempDir::new("soc-deploy-k8s");
        let out = rendered(&dir);
        let path = out.join("k8s").join(file);
        let before = fs::read_to_string(&path).unwrap();
        let mut after = edit(before.clone());
        if after.contains("PLACEHOLDER") {
            let env = parse_env(&fs::read_to_string(out.join(".env")).unwrap());
            after = after.replace("PLACEHOLDER", &env["CORTEX_SECRET"]);
        }
        assert_ne!(before, after, "{what}: the edit changed nothing");
        fs::write(&path, after).unwrap();
        let report = check(&out, schemas.as_ref());
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.to_string().contains(place) && f.message.contains(message)),
            "{what}: expected `{place}` ... `{message}`, got:\n{}",
            show(&report)
        );
    }

    // A secret file left readable by others.
    let dir = TempDir::new("soc-deploy-k8s");
    let out = rendered(&dir);
    fs::set_permissions(
        out.join("k8s/10-secrets.yaml"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let report = check(&out, None);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("not 600")),
        "{}",
        show(&report)
    );
}
