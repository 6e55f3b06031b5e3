//! The scale-out path: the same settings and secrets rendered for a Kubernetes cluster, on the
//! established operators and charts, when one Docker host is outgrown.
//!
//! [`render_k8s`] writes `<bundle>/k8s/` next to a rendered compose bundle, taking the bundle's
//! generated secrets so both describe one deployment:
//!
//! | file | what | installed with |
//! |---|---|---|
//! | `00-namespace.yaml` | the namespace | `kubectl apply` |
//! | `10-secrets.yaml` (0600) | TheHive's and Cortex's application secrets, the S3 keys, Cassandra's superuser | `kubectl apply` |
//! | `20-elasticsearch.yaml` | ECK `Elasticsearch` `es-index` (TheHive, Cortex) and `es-siem`, `Kibana` on `es-siem`, a `NetworkPolicy` keeping `es-index` to TheHive and Cortex | ECK operator |
//! | `30-cassandra.yaml` | a K8ssandra `K8ssandraCluster`, one datacenter | k8ssandra-operator (needs cert-manager) |
//! | `40-garage-values.yaml` (0600) | Garage's chart: replicated S3 store for attachments and snapshots | Garage's chart (from its repository) |
//! | `50-thehive-values.yaml` | StrangeBee's `thehive` chart on the external Cassandra, Elasticsearch and S3 above | `helm install` |
//! | `60-cortex-values.yaml` | StrangeBee's `cortex` chart on `es-index`, analyzers as Kubernetes jobs | `helm install` |
//! | `README.md` | install order, chart and operator versions, Garage's first layout | |
//!
//! The Kubernetes objects are checked against the Kubernetes JSON schemas
//! ([`crate::validate::k8s`]); the operators' custom resources and the charts' values have no
//! published schema and are checked for what the stack relies on.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::render::{parse_env, write_file, VERSIONS};
use crate::{Error, Settings};

/// ECK operator, k8ssandra-operator, cert-manager and StrangeBee chart versions the rendered
/// set was written for.
pub const ECK_OPERATOR: &str = "3.5.0";
/// k8ssandra-operator chart version.
pub const K8SSANDRA_OPERATOR: &str = "1.32.5";
/// StrangeBee's `thehive` chart version.
pub const THEHIVE_CHART: &str = "1.0.5";
/// StrangeBee's `cortex` chart version.
pub const CORTEX_CHART: &str = "1.2.0";
/// Garage's chart version (in Garage's repository, `script/helm/garage`).
pub const GARAGE_CHART: &str = "0.8.0";

/// The Cassandra cluster and datacenter names (the client service is `soc-dc1-service`).
const CASSANDRA_CLUSTER: &str = "soc";
const CASSANDRA_DC: &str = "dc1";

/// What [`render_k8s`] wrote.
#[derive(Debug)]
pub struct RenderedK8s {
    /// The directory (`<bundle>/k8s`).
    pub dir: PathBuf,
    /// The files, in install order.
    pub files: Vec<String>,
}

/// Renders `<bundle>/k8s/` from the settings and the secrets of the compose bundle already
/// rendered in `bundle` (run [`crate::render`] first).
pub fn render_k8s(bundle: &Path, settings: &Settings) -> Result<RenderedK8s, Error> {
    let env_path = bundle.join(".env");
    let env =
        parse_env(&fs::read_to_string(&env_path).map_err(|e| Error::io(&env_path, "read", e))?);
    let get = |k: &str| -> Result<String, Error> {
        env.get(k).cloned().ok_or_else(|| Error::Secret {
            file: env_path.clone(),
            var: k.to_string(),
            message: "missing: render the compose bundle first".into(),
        })
    };
    let versions = parse_env(VERSIONS);
    let tag = |var: &str| -> Result<String, Error> {
        versions
            .get(var)
            .and_then(|i| i.rsplit_once(':'))
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| Error::Template(format!("versions.env has no tagged {var}")))
    };
    let ns = settings.get("k8s.namespace");
    let count = |key: &str| -> Result<u64, Error> {
        let v = settings.get(key);
        v.parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::Setting {
                key: key.into(),
                message: format!("{v:?} is not a node count"),
            })
    };
    let storage_class = settings.get("k8s.storage_class");
    let rwx_class = settings.get("k8s.rwx_storage_class");
    let labels = |component: &str| {
        json!({
            "app.kubernetes.io/part-of": "soc",
            "app.kubernetes.io/component": component,
        })
    };
    let claim = |size: &str, class: &str, mode: &str| {
        let mut spec = json!({
            "accessModes": [mode],
            "resources": {"requests": {"storage": size}},
        });
        if !class.is_empty() {
            spec["storageClassName"] = json!(class);
        }
        spec
    };
    let es_version = tag("ES_INDEX_IMAGE")?;
    let bucket = settings.get("s3.bucket");
    let snapshot_bucket = settings.get("s3.snapshot_bucket");
    let s3_endpoint = "http://garage:3900";

    let dir = bundle.join("k8s");
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", e))?;
    let mut files = Vec::new();
    let mut write = |name: &str, docs: &[Value], mode: u32, header: &str| -> Result<(), Error> {
        let mut text =
            format!("# {header}\n# Rendered by `cargo xtask deploy --render-only --k8s`.\n");
        for d in docs {
            text.push_str("---\n");
            text.push_str(&to_yaml(d)?);
        }
        write_file(&dir.join(name), &text, mode)?;
        files.push(name.to_string());
        Ok(())
    };

    write(
        "00-namespace.yaml",
        &[json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": labels("namespace")},
        })],
        0o644,
        "The namespace of the stack.",
    )?;

    let secret = |name: &str, component: &str, data: Value| {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": ns, "labels": labels(component)},
            "stringData": data,
        })
    };
    write(
        "10-secrets.yaml",
        &[
            secret(
                "thehive-secrets",
                "thehive",
                json!({"http-secret": get("THEHIVE_SECRET")?}),
            ),
            secret(
                "cortex-secrets",
                "cortex",
                json!({"http-secret": get("CORTEX_SECRET")?}),
            ),
            secret(
                "s3-credentials",
                "s3",
                json!({
                    "access-key": get("S3_ROOT_ACCESS_KEY")?,
                    "secret-key": get("S3_ROOT_SECRET_KEY")?,
                }),
            ),
            secret(
                "cassandra-superuser",
                "cassandra",
                json!({
                    "username": "soc-admin",
                    "password": get("CASSANDRA_SUPERUSER_PASSWORD")?,
                }),
            ),
        ],
        0o600,
        "Secrets, generated with the compose bundle (mode 0600: keep this file out of Git).",
    )?;

    let es = |name: &str, nodes: u64, memory: &str, disk: &str, plain_http: bool| {
        let mut spec = json!({
            "version": es_version,
            "nodeSets": [{
                "name": "default",
                "count": nodes,
                "podTemplate": {"spec": {"containers": [{
                    "name": "elasticsearch",
                    "resources": {
                        "requests": {"memory": memory, "cpu": "1"},
                        "limits": {"memory": memory},
                    },
                }]}},
                "volumeClaimTemplates": [{
                    "metadata": {"name": "elasticsearch-data"},
                    "spec": claim(disk, &storage_class, "ReadWriteOnce"),
                }],
            }],
        });
        if plain_http {
            // TheHive's and Cortex's charts cannot be given a CA for Elasticsearch: es-index
            // answers plain HTTP inside the cluster, and the NetworkPolicy below admits only
            // TheHive, Cortex and ECK's own operator traffic.
            spec["http"] = json!({"tls": {"selfSignedCertificate": {"disabled": true}}});
        }
        json!({
            "apiVersion": "elasticsearch.k8s.elastic.co/v1",
            "kind": "Elasticsearch",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name)},
            "spec": spec,
        })
    };
    let es_nodes = count("k8s.es_nodes")?;
    write(
        "20-elasticsearch.yaml",
        &[
            es("es-index", es_nodes, "4Gi", "50Gi", true),
            es("es-siem", es_nodes, "8Gi", "200Gi", false),
            json!({
                "apiVersion": "kibana.k8s.elastic.co/v1",
                "kind": "Kibana",
                "metadata": {"name": "kibana", "namespace": ns, "labels": labels("kibana")},
                "spec": {
                    "version": tag("KIBANA_IMAGE")?,
                    "count": 1,
                    "elasticsearchRef": {"name": "es-siem"},
                    "podTemplate": {"spec": {"containers": [{
                        "name": "kibana",
                        "resources": {"limits": {"memory": "1Gi"}},
                    }]}},
                },
            }),
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "es-index-clients", "namespace": ns, "labels": labels("es-index")},
                "spec": {
                    "podSelector": {"matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "es-index"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "thehive"}}},
                                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "cortex"}}},
                            ],
                            "ports": [{"port": 9200, "protocol": "TCP"}],
                        },
                        {
                            "from": [{"podSelector": {"matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "es-index"}}}],
                            "ports": [{"port": 9300, "protocol": "TCP"}],
                        },
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "elastic-system"}}}],
                        },
                    ],
                },
            }),
        ],
        0o644,
        "Elasticsearch and Kibana on ECK: es-index holds TheHive's and Cortex's indices, es-siem the \
         SIEM data (StrangeBee advises against sharing one cluster).",
    )?;

    write(
        "30-cassandra.yaml",
        &[json!({
            "apiVersion": "k8ssandra.io/v1alpha1",
            "kind": "K8ssandraCluster",
            "metadata": {"name": CASSANDRA_CLUSTER, "namespace": ns, "labels": labels("cassandra")},
            "spec": {"cassandra": {
                "serverVersion": tag("CASSANDRA_IMAGE")?,
                "superuserSecretRef": {"name": "cassandra-superuser"},
                "datacenters": [{
                    "metadata": {"name": CASSANDRA_DC},
                    "size": count("k8s.cassandra_nodes")?,
                    "storageConfig": {
                        "cassandraDataVolumeClaimSpec": claim("100Gi", &storage_class, "ReadWriteOnce"),
                    },
                    "config": {"jvmOptions": {"heapSize": "2G"}},
                }],
            }},
        })],
        0o644,
        "TheHive's database: Cassandra on k8ssandra-operator.",
    )?;

    let s3_nodes = count("k8s.s3_nodes")?;
    let garage_tag = tag("GARAGE_IMAGE")?;
    write(
        "40-garage-values.yaml",
        &[json!({
            "garage": {
                "replicationFactor": s3_nodes.min(3).to_string(),
                "consistencyMode": "consistent",
                "rpcSecret": get("GARAGE_RPC_SECRET")?,
                "s3": {"api": {"region": settings.get("s3.region")}},
            },
            "deployment": {"kind": "StatefulSet", "replicaCount": s3_nodes},
            "image": {"repository": "dxflrs/garage", "tag": garage_tag},
            "persistence": {
                "enabled": true,
                "meta": {"size": "1Gi"},
                "data": {"size": "200Gi"},
            },
        })],
        0o600,
        "Values for Garage's chart: the S3 store (attachments, snapshots). Holds the RPC secret: 0600.",
    )?;

    let th_tag = tag("THEHIVE_IMAGE")?;
    write(
        "50-thehive-values.yaml",
        &[json!({
            "cassandra": {"enabled": false},
            "elasticsearch": {"enabled": false},
            "minio": {"enabled": false},
            "thehive": {
                "image": {"tag": th_tag},
                "k8sSecretName": "thehive-secrets",
                "k8sSecretKey": "http-secret",
                "database": {
                    "hostnames": [format!("{CASSANDRA_CLUSTER}-{CASSANDRA_DC}-service")],
                    "username": "soc-admin",
                    "k8sSecretName": "cassandra-superuser",
                    "k8sSecretKey": "password",
                    "wait": true,
                },
                "extraCommand": ["--cql-keyspace", "thehive"],
                "index": {
                    "hostnames": ["es-index-es-http"],
                    "username": "elastic",
                    "k8sSecretName": "es-index-es-elastic-user",
                    "k8sSecretKey": "elastic",
                },
                "storage": {
                    "endpoint": s3_endpoint,
                    "bucket": bucket,
                    "region": settings.get("s3.region"),
                    "usePathAccessStyle": true,
                    "k8sSecretName": "s3-credentials",
                    "k8sSecretKey": "secret-key",
                },
                // The chart has no Secret for the access key: env overrides its ConfigMap.
                "extraEnv": [{
                    "name": "TH_S3_ACCESS_KEY",
                    "valueFrom": {"secretKeyRef": {"name": "s3-credentials", "key": "access-key"}},
                }],
                "cortex": {
                    "enabled": true,
                    "protocol": "http",
                    "hostnames": ["cortex"],
                    "port": 9001,
                },
                "resources": {
                    "requests": {"cpu": "1000m", "memory": "2048Mi"},
                    "limits": {"memory": "3584Mi"},
                },
            },
        })],
        0o644,
        &format!("Values for StrangeBee's thehive chart {THEHIVE_CHART} on the services above."),
    )?;

    let mut pvc = json!({"create": true, "size": "10Gi"});
    if !rwx_class.is_empty() {
        pvc["storageClass"] = json!(rwx_class);
    }
    write(
        "60-cortex-values.yaml",
        &[json!({
            "elasticsearch": {"enabled": false},
            "cortex": {
                "image": {"tag": tag("CORTEX_IMAGE")?},
                "k8sSecretName": "cortex-secrets",
                "k8sSecretKey": "http-secret",
                "index": {
                    "uri": "http://es-index-es-http:9200",
                    "username": "elastic",
                    "k8sSecretName": "es-index-es-elastic-user",
                    "k8sSecretKey": "elastic",
                },
                // Analyzers and responders run as Kubernetes jobs sharing this volume, which
                // must be ReadWriteMany.
                "persistentVolumeClaim": pvc,
                "resources": {
                    "requests": {"cpu": "1000m", "memory": "2048Mi"},
                    "limits": {"memory": "3584Mi"},
                },
            },
        })],
        0o644,
        &format!("Values for StrangeBee's cortex chart {CORTEX_CHART} on es-index."),
    )?;

    let readme = readme(
        &ns,
        &settings.get("s3.region"),
        &bucket,
        &snapshot_bucket,
        s3_nodes,
        &get("S3_ROOT_ACCESS_KEY")?,
    );
    write_file(&dir.join("README.md"), &readme, 0o644)?;
    files.push("README.md".into());
    Ok(RenderedK8s { dir, files })
}

/// YAML for a JSON value (JSON is YAML; this is the readable block form).
fn to_yaml(v: &Value) -> Result<String, Error> {
    serde_norway::to_string(v).map_err(|e| Error::Template(format!("cannot write YAML: {e}")))
}

fn readme(
    ns: &str,
    region: &str,
    bucket: &str,
    snapshot_bucket: &str,
    s3_nodes: u64,
    access_key: &str,
) -> String {
    let mut zones = String::new();
    for i in 0..s3_nodes {
        zones.push_str(&format!(
            "kubectl -n {ns} exec garage-0 -- /garage layout assign -z z{} -c 100G \\\n  $(kubectl -n {ns} exec garage-{i} -- /garage node id -q | cut -d@ -f1)\n",
            i % 3
        ));
    }
    let steps: BTreeMap<u8, String> = BTreeMap::from([
        (1, format!(
            "Operators (once per cluster):\n\n```sh\n\
             helm repo add jetstack https://charts.jetstack.io\n\
             helm install cert-manager jetstack/cert-manager -n cert-manager --create-namespace --set crds.enabled=true\n\
             helm repo add elastic https://helm.elastic.co\n\
             helm install elastic-operator elastic/eck-operator --version {ECK_OPERATOR} -n elastic-system --create-namespace\n\
             helm repo add k8ssandra https://helm.k8ssandra.io/stable\n\
             helm install k8ssandra-operator k8ssandra/k8ssandra-operator --version {K8SSANDRA_OPERATOR} -n k8ssandra-operator --create-namespace\n\
             ```"
        )),
        (2, "The namespace, secrets, Elasticsearch, Kibana and Cassandra:\n\n```sh\n\
             kubectl apply -f 00-namespace.yaml -f 10-secrets.yaml\n\
             kubectl apply -f 20-elasticsearch.yaml -f 30-cassandra.yaml\n\
             ```".to_string()),
        (3, format!(
            "Garage (its chart lives in Garage's repository, `script/helm/garage`, chart {GARAGE_CHART}),\n\
             then its first layout, the stack's key and buckets:\n\n```sh\n\
             helm install garage ./garage -n {ns} -f 40-garage-values.yaml\n\
             {zones}kubectl -n {ns} exec garage-0 -- /garage layout apply --version 1\n\
             kubectl -n {ns} exec garage-0 -- /garage key import --yes -n soc-root {access_key} \\\n  \
             \"$(kubectl -n {ns} get secret s3-credentials -o jsonpath='{{.data.secret-key}}' | base64 -d)\"\n\
             for b in {bucket} {snapshot_bucket}; do\n  \
             kubectl -n {ns} exec garage-0 -- /garage bucket create $b\n  \
             kubectl -n {ns} exec garage-0 -- /garage bucket allow --read --write --owner $b --key soc-root\n\
             done\n```\n\n\
             The S3 region is `{region}`; TheHive reaches the store at `http://garage:3900`."
        )),
        (4, format!(
            "TheHive and Cortex (StrangeBee's charts):\n\n```sh\n\
             helm repo add strangebee https://strangebeecorp.github.io/helm-charts\n\
             helm install cortex strangebee/cortex --version {CORTEX_CHART} -n {ns} -f 60-cortex-values.yaml\n\
             helm install thehive strangebee/thehive --version {THEHIVE_CHART} -n {ns} -f 50-thehive-values.yaml\n\
             ```"
        )),
        (5, "Point `soc` at the cluster (an Ingress or `kubectl port-forward` for TheHive on 9000\n\
             and Cortex on 9001; Elasticsearch's `elastic` password is in the\n\
             `es-index-es-elastic-user` secret) and run `soc setup`, then `soc smoke`. MISP,\n\
             Logstash, ElastAlert2 and Node-RED can stay on the compose host, pointed at the\n\
             cluster's endpoints.".to_string()),
    ]);
    let mut out = String::from(
        "# The stack on Kubernetes\n\n\
         Rendered by `cargo xtask deploy --render-only --k8s` from the same settings and secrets as\n\
         the compose bundle beside it. `10-secrets.yaml` and `40-garage-values.yaml` hold secrets\n\
         (mode 0600): keep them out of Git.\n\n",
    );
    for (n, text) in steps {
        out.push_str(&format!("{n}. {text}\n\n"));
    }
    out.push_str(
        "Elasticsearch `es-index` serves plain HTTP inside the cluster, behind a NetworkPolicy that\n\
         admits TheHive and Cortex only: neither chart can be given a CA for it. `es-siem` keeps\n\
         ECK's TLS.\n",
    );
    out
}
