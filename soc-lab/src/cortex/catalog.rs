//! The analyzers and responders the lab ships, and the verdicts they reach.

use serde_json::{json, Value};

use super::Cortex;

pub(super) struct Definition {
    pub(super) id: &'static str,
    pub(super) name: &'static str,
    pub(super) version: &'static str,
    pub(super) description: &'static str,
    pub(super) data_types: &'static [&'static str],
    pub(super) base_config: &'static str,
    /// `(name, description, type, required, default)`.
    pub(super) items: &'static [(
        &'static str,
        &'static str,
        &'static str,
        bool,
        Option<&'static str>,
    )],
    pub(super) docker_image: Option<&'static str>,
    pub(super) command: Option<&'static str>,
    pub(super) kind: &'static str,
}

pub(super) const DEFINITIONS: &[Definition] = &[
    Definition {
        id: "AbuseIPDB_1_0",
        name: "AbuseIPDB",
        version: "1.0",
        description: "Checks an IP address against the AbuseIPDB database of reported addresses",
        data_types: &["ip"],
        base_config: "AbuseIPDB",
        items: &[
            ("key", "API key for AbuseIPDB", "string", true, None),
            (
                "days",
                "Check for IP reports in the last X days",
                "number",
                false,
                Some("30"),
            ),
        ],
        docker_image: Some("cortexneurons/abuseipdb:1"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "VirusTotal_GetReport_3_1",
        name: "VirusTotal_GetReport",
        version: "3.1",
        description: "Get the latest VirusTotal report for a file, hash, domain or an IP address",
        data_types: &["file", "hash", "domain", "fqdn", "ip", "url"],
        base_config: "VirusTotal",
        items: &[
            ("key", "API key for VirusTotal", "string", true, None),
            (
                "polling_interval",
                "Define time interval between two requests attempts for the report",
                "number",
                false,
                Some("60"),
            ),
            (
                "download_sample",
                "Download the sample when available",
                "boolean",
                false,
                Some("false"),
            ),
        ],
        docker_image: Some("cortexneurons/virustotal_getreport:3"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "MISP_2_1",
        name: "MISP",
        version: "2.1",
        description: "Query multiple MISP instances for events containing an observable",
        data_types: &[
            "domain",
            "ip",
            "url",
            "fqdn",
            "uri_path",
            "user-agent",
            "hash",
            "email",
            "mail",
            "mail_subject",
            "registry",
            "regexp",
            "other",
            "filename",
        ],
        base_config: "MISP",
        items: &[
            ("url", "URL of MISP servers", "string", false, None),
            ("key", "API key for each server", "string", false, None),
            (
                "cert_check",
                "Verify server certificate",
                "boolean",
                false,
                Some("true"),
            ),
            ("name", "Name of MISP servers", "string", false, None),
        ],
        docker_image: Some("cortexneurons/misp:2"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "Lab_Reputation_1_0",
        name: "Lab_Reputation",
        version: "1.0",
        description: "Reputation of an observable from the lab's list of known-bad indicators",
        data_types: &["ip", "domain", "fqdn", "url", "mail", "hash", "filename"],
        base_config: "Lab_Reputation",
        items: &[],
        docker_image: None,
        command: Some("lab/reputation.py"),
        kind: "analyzer",
    },
    Definition {
        id: "Mailer_1_0",
        name: "Mailer",
        version: "1.0",
        description: "Send an email with information from a TheHive case or alert",
        data_types: &["thehive:case", "thehive:case_task", "thehive:alert"],
        base_config: "Mailer",
        items: &[
            (
                "from",
                "email address from which the mail is sent",
                "string",
                true,
                None,
            ),
            (
                "smtp_host",
                "SMTP server used to send mail",
                "string",
                true,
                Some("localhost"),
            ),
            ("smtp_port", "SMTP server port", "number", true, Some("25")),
        ],
        docker_image: Some("cortexneurons/mailer:1"),
        command: None,
        kind: "responder",
    },
    Definition {
        id: "Lab_Block_1_0",
        name: "Lab_Block",
        version: "1.0",
        description: "Add an observable to the lab's block list",
        data_types: &["thehive:case_artifact", "thehive:alert"],
        base_config: "Lab_Block",
        items: &[],
        docker_image: None,
        command: Some("lab/block.py"),
        kind: "responder",
    },
];

pub(super) fn definition(id: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.id == id)
}

pub(super) fn default_value(item_type: &str, raw: &str) -> Value {
    match item_type {
        "number" => raw.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        "boolean" => Value::from(raw == "true"),
        _ => Value::from(raw),
    }
}

pub(super) fn definition_json(d: &Definition) -> Value {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|(name, description, kind, required, default)| {
            let mut item = json!({
                "name": name, "description": description, "type": kind,
                "multi": false, "required": required,
            });
            if let (Some(obj), Some(raw)) = (item.as_object_mut(), default) {
                obj.insert("defaultValue".into(), default_value(kind, raw));
            }
            item
        })
        .collect();
    json!({
        "id": d.id,
        "name": d.name,
        "version": d.version,
        "description": d.description,
        "dataTypeList": d.data_types,
        "author": "TheHive-Project",
        "url": "https://github.com/TheHive-Project/Cortex-Analyzers",
        "license": "AGPL-V3",
        "baseConfig": d.base_config,
        "configurationItems": items,
        "dockerImage": d.docker_image,
        "command": d.command,
    })
}

// ---------------------------------------------------------------------------------------------
// Verdicts

fn url_host(data: &str) -> Option<String> {
    url::Url::parse(data)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

impl Cortex {
    fn is_malicious(&self, candidates: &[String]) -> bool {
        candidates.iter().any(|c| {
            let c = c.trim().to_lowercase();
            self.malicious.iter().any(|m| m.trim().to_lowercase() == c)
        })
    }

    /// The report a worker produces for an input, and its artifacts.
    pub(super) fn make_report(
        &self,
        def: &Definition,
        data_type: &str,
        data: &str,
        file_hashes: &[String],
    ) -> (Value, Vec<Value>) {
        let mut candidates: Vec<String> = vec![data.to_owned()];
        candidates.extend(file_hashes.iter().cloned());
        let bad = self.is_malicious(&candidates);
        let subject = if data_type == "file" {
            file_hashes.first().cloned().unwrap_or_default()
        } else {
            data.to_owned()
        };
        let mut artifacts = Vec::new();
        if bad && data_type == "url" {
            if let Some(host) = url_host(data) {
                artifacts.push(json!({"data": host, "dataType": "domain", "message": null, "tags": ["autoImport:true"], "tlp": 2}));
            }
        }
        let (taxonomies, full, operations) = match def.name {
            "AbuseIPDB" => {
                let score = if bad { 100 } else { 0 };
                let reports = if bad { 47 } else { 0 };
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "AbuseIPDB", "predicate": "Score", "value": score.to_string()}),
                    ],
                    json!({"values": [{"data": {
                        "ipAddress": subject, "isPublic": true, "ipVersion": 4,
                        "isWhitelisted": false, "abuseConfidenceScore": score,
                        "countryCode": if bad {"DE"} else {"US"}, "usageType": "Data Center/Web Hosting/Transit",
                        "isp": "Example Transit", "domain": "example.net", "totalReports": reports,
                        "numDistinctUsers": if bad {31} else {0},
                        "lastReportedAt": if bad {Value::from("2025-11-24T08:12:44+00:00")} else {Value::Null},
                        "reports": []
                    }}]}),
                    vec![],
                )
            }
            "VirusTotal_GetReport" => {
                let positives = if bad { 47 } else { 0 };
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "VT", "predicate": "GetReport", "value": format!("{positives}/94")}),
                    ],
                    json!({
                        "response_code": 1, "resource": subject, "positives": positives,
                        "total": 94, "scan_date": "2025-11-24 08:00:00",
                        "verbose_msg": "Scan finished, information embedded",
                        "permalink": format!("https://www.virustotal.com/gui/search/{subject}"),
                    }),
                    if bad {
                        vec![json!({"type": "AddTagToArtifact", "tag": "vt:malicious"})]
                    } else {
                        vec![]
                    },
                )
            }
            "MISP" => {
                let hits = usize::from(bad);
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"info"}, "namespace": "MISP", "predicate": "Search", "value": format!("{hits} event(s)")}),
                    ],
                    json!({"results": [{"name": "lab-misp", "url": "http://misp", "result": if bad {
                        json!([{"id": "1", "info": "Known-bad indicators of the lab", "threat_level_id": "1", "uuid": "5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "tags": [{"name": "tlp:amber"}]}])
                    } else { json!([]) }}]}),
                    vec![],
                )
            }
            _ => (
                vec![
                    json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "Lab", "predicate": "Reputation", "value": if bad {"malicious"} else {"clean"}}),
                ],
                json!({"data": subject, "dataType": data_type, "malicious": bad, "source": "soc-lab indicator list"}),
                vec![],
            ),
        };
        let report = json!({
            "summary": {"taxonomies": taxonomies},
            "full": full,
            "success": true,
            "artifacts": artifacts,
            "operations": operations,
        });
        (report, artifacts)
    }

    pub(super) fn responder_report(def: &Definition, data: &Value) -> Value {
        let title = data
            .get("title")
            .or_else(|| data.get("data"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let operations = match def.name {
            "Mailer" => vec![json!({"type": "AddTagToCase", "tag": "mail sent"})],
            _ => vec![json!({"type": "AddTagToArtifact", "tag": "lab:blocked"})],
        };
        json!({
            "full": {"message": format!("{} done for {title}", def.name)},
            "success": true,
            "artifacts": [],
            "operations": operations,
        })
    }
}
