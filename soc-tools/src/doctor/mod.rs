//! `soc doctor`: the health of every configured service, with a diagnosis of the failures SOC
//! teams meet most (the seed guides' troubleshooting sections) and the fix, applied with `--fix`
//! where one can be applied through an API.
//!
//! Every check has an id (`misp.background-jobs`), a status, the evidence it saw and the fix.
//! Every service reached over HTTPS also gets `<service>.certificate`: the served certificate's
//! end date, verified as `soc` verifies it (a warning under 30 days, a failure under 7 or once
//! expired).

use std::error::Error as StdError;
use std::io::Write;

use serde::Serialize;

mod certs;
mod host;
mod housekeeping;
mod services;

use crate::config::SocConfig;
use crate::secrets::Secrets;
use host::host;
use services::{cortex, elasticsearch, misp, s3, thehive};

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Healthy.
    Pass,
    /// Works, but needs attention.
    Warn,
    /// Broken.
    Fail,
    /// Broken, and `--fix` repaired it (evidence says what it saw before).
    Fixed,
    /// Not checked (the service is not configured, or a check it depends on failed).
    Skip,
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, `<service>.<topic>`.
    pub id: String,
    /// The verdict.
    pub status: Status,
    /// What was seen.
    pub evidence: String,
    /// How to fix it (empty when nothing is wrong).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

/// How `doctor` runs.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// Apply the fixes that can be applied through the services' APIs.
    pub fix: bool,
    /// Also check the Docker host this runs on (kernel settings, ports, volume owners).
    pub host: bool,
    /// MISP's data directory on the host (checked for owner 33:33, www-data in the image).
    pub misp_volume: Option<std::path::PathBuf>,
}

/// All checks, in order.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Diagnosis {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Diagnosis {
    fn push(
        &mut self,
        id: impl Into<String>,
        status: Status,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let c = Check {
            id: id.into(),
            status,
            evidence: evidence.into(),
            fix: fix.into(),
        };
        tracing::info!(id = %c.id, status = ?c.status, evidence = %c.evidence, "doctor check");
        self.checks.push(c);
    }

    /// Whether every check passed (warnings, fixes and skips included).
    pub fn healthy(&self) -> bool {
        !self.checks.iter().any(|c| c.status == Status::Fail)
    }

    /// The check with this id.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// One line per check, then the fixes.
    pub fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let w = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(5);
        for c in &self.checks {
            let mark = match c.status {
                Status::Pass => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
                Status::Fixed => "FIXD",
                Status::Skip => "skip",
            };
            writeln!(out, "{mark}  {:<w$}  {}", c.id, c.evidence)?;
            if !c.fix.is_empty() && c.status != Status::Pass {
                writeln!(out, "      {:<w$}  fix: {}", "", c.fix)?;
            }
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        writeln!(
            out,
            "\n{} passed, {} warnings, {} failed, {} fixed, {} skipped",
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Fixed),
            count(Status::Skip)
        )
    }

    /// JSON Lines, one check per line.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for c in &self.checks {
            serde_json::to_writer(&mut *out, c)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// What kind of failure an error is, for the check id and the fix.
pub(super) fn classify(service: &str, e: &(dyn StdError + 'static)) -> (String, String) {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let lower = text.to_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
        (
            format!("{service}.tls"),
            format!("the server's certificate is not trusted: set defaults.ca_file in soc.toml to the CA that signed it (self-signed: that certificate itself); do not turn verification off ({text})"),
        )
    } else if lower.contains("401")
        || lower.contains("unauthori")
        || lower.contains("authentication")
        || lower.contains("403")
    {
        (format!("{service}.auth"), format!("the credentials are refused: check {service}'s key or password in soc.toml ({text})"))
    } else {
        (
            format!("{service}.reachable"),
            format!("cannot talk to {service}: is it running, and is the URL right? ({text})"),
        )
    }
}

/// Runs every check.
pub async fn run(config: &SocConfig, options: &DoctorOptions) -> Diagnosis {
    let mut d = Diagnosis::default();
    let secrets = match Secrets::open(&config.secrets_file) {
        Ok(s) => Some(s),
        Err(e) => {
            d.push(
                "soc.secrets-file",
                Status::Fail,
                e.to_string(),
                "chmod 600 the secrets file, or remove it and run `soc setup`",
            );
            None
        }
    };
    misp(config, options, secrets.as_ref(), &mut d).await;
    cortex(config, options, secrets.as_ref(), &mut d).await;
    thehive(config, secrets.as_ref(), &mut d).await;
    elasticsearch(config, &mut d).await;
    s3(config, options, secrets.as_ref(), &mut d).await;
    certs::certificates(config, &mut d).await;
    housekeeping::checks(config, &mut d).await;
    if options.host {
        host(options, &mut d);
    }
    d
}

pub(super) fn client_error(d: &mut Diagnosis, service: &str, e: &dyn std::fmt::Display) {
    d.push(
        format!("{service}.client"),
        Status::Fail,
        e.to_string(),
        "fix the configuration (soc config check)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);
    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Chain {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn failures_are_classified_with_their_fix() {
        let tls = Chain(
            "transport error: GET https://misp.soc.example/users/view/me",
            Some(Box::new(Chain(
                "invalid peer certificate: UnknownIssuer",
                None,
            ))),
        );
        let (id, fix) = classify("misp", &tls);
        assert_eq!(id, "misp.tls");
        assert!(
            fix.contains("defaults.ca_file") && fix.contains("do not turn verification off"),
            "{fix}"
        );
        let (id, _) = classify(
            "thehive",
            &Chain("unauthorized: 401 Authentication failure", None),
        );
        assert_eq!(id, "thehive.auth");
        let (id, _) = classify(
            "cortex",
            &Chain("transport error: connection refused", None),
        );
        assert_eq!(id, "cortex.reachable");
    }

    #[test]
    fn listening_ports_parse_proc_net_tcp() {
        // Whatever this machine listens on, the parser must not panic and ports are real.
        for p in host::listening_ports() {
            assert!(p > 0);
        }
    }
}
