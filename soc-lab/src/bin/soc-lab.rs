//! `soc-lab`: runs the five stand-ins on loopback until Ctrl-C, printing their URLs and the
//! credentials generated for them.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use soc_lab::{Faults, Lab, LabConfig, Service};

const USAGE: &str = "\
usage: soc-lab [options]

Runs TheHive, Cortex, MISP, Elasticsearch and an S3 store with the MinIO admin API on loopback
until interrupted (Ctrl-C), then saves the state file if one is given.

options:
  --state FILE            load the lab from FILE when it exists; save it there on exit
  --port SERVICE=PORT     fixed port for a service (thehive, cortex, misp, es, s3); repeatable
  --port-base PORT        thehive on PORT, cortex PORT+1, misp PORT+2, es PORT+3, s3 PORT+4
  --faults SERVICE=JSON   start a service with faults, e.g. misp='{\"error_rate\":0.1}'
  --fresh-cortex          start Cortex uninitialised (index to migrate, no user yet)
  --fresh-thehive         start TheHive as its image does (admin@thehive.local, initial password, no key)
  --es-7x-wildcards       let DELETE /<pattern*> resolve wildcards as Elasticsearch 7 did
  --malicious LIST        comma-separated indicators the lab's analyzers call malicious
  --seed N                seed of the fault dice
  --json                  print the endpoints as one JSON object instead of a table
  -h, --help              this text

Live control: GET|PUT <service-url>/_lab/faults, POST <service-url>/_lab/restart.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, json) = match parse(&args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "soc-lab: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "soc-lab: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, json)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "soc-lab: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: LabConfig, json: bool) -> Result<(), soc_lab::LabError> {
    let lab = Lab::start(config).await?;
    let mut out = std::io::stdout().lock();
    if json {
        let mut map = serde_json::Map::new();
        for e in lab.endpoints() {
            map.insert(
                e.service.name().into(),
                serde_json::json!({
                    "url": e.url.as_str(),
                    "username": e.username,
                    "password": e.password(),
                    "api_key": e.api_key(),
                }),
            );
        }
        let _ = writeln!(out, "{}", serde_json::Value::Object(map));
    } else {
        let _ = writeln!(out, "soc-lab is running (Ctrl-C stops it)\n");
        let _ = writeln!(
            out,
            "{:<14} {:<28} {:<22} credentials",
            "service", "url", "user"
        );
        for e in lab.endpoints() {
            let secret = match (e.api_key(), e.password()) {
                (Some(k), Some(p)) => format!("key {k}  password {p}"),
                (Some(k), None) => format!("key {k}"),
                (None, Some(p)) => format!("password {p}"),
                (None, None) => "none yet (fresh install)".into(),
            };
            let _ = writeln!(
                out,
                "{:<14} {:<28} {:<22} {secret}",
                e.service.name(),
                e.url.as_str(),
                e.username.as_deref().unwrap_or("-"),
            );
        }
    }
    let _ = out.flush();
    drop(out);
    if let Err(e) = tokio::signal::ctrl_c().await {
        let _ = writeln!(std::io::stderr(), "soc-lab: cannot wait for Ctrl-C: {e}");
    }
    lab.stop().await
}

fn parse(args: &[String]) -> Result<Option<(LabConfig, bool)>, String> {
    let mut config = LabConfig::default();
    let mut json = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => json = true,
            "--fresh-cortex" => config.cortex_fresh = true,
            "--fresh-thehive" => config.thehive_fresh = true,
            "--es-7x-wildcards" => config.es_7x_wildcards = true,
            "--state" => config.state_file = Some(PathBuf::from(value("--state")?)),
            "--seed" => {
                let v = value("--seed")?;
                config.seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?;
            }
            "--malicious" => {
                config.malicious = value("--malicious")?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--port-base" => {
                let v = value("--port-base")?;
                let base: u16 = v.parse().map_err(|e| format!("--port-base {v}: {e}"))?;
                for (i, s) in Service::ALL.into_iter().enumerate() {
                    let port = base
                        .checked_add(i as u16)
                        .ok_or_else(|| format!("--port-base {base}: ports run past 65535"))?;
                    config.ports.insert(s, port);
                }
            }
            "--port" => {
                let v = value("--port")?;
                let (s, p) = service_pair(&v, "--port")?;
                let port = p.parse().map_err(|e| format!("--port {v}: {e}"))?;
                config.ports.insert(s, port);
            }
            "--faults" => {
                let v = value("--faults")?;
                let (s, j) = service_pair(&v, "--faults")?;
                let faults: Faults =
                    serde_json::from_str(j).map_err(|e| format!("--faults {v}: {e}"))?;
                faults
                    .validate()
                    .map_err(|e| format!("--faults {v}: {e}"))?;
                config.faults.insert(s, faults);
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some((config, json)))
}

fn service_pair<'a>(v: &'a str, flag: &str) -> Result<(Service, &'a str), String> {
    let (s, rest) = v
        .split_once('=')
        .ok_or_else(|| format!("{flag} {v}: expected SERVICE=VALUE"))?;
    let service = Service::parse(s).ok_or_else(|| {
        format!("{flag} {v}: unknown service {s} (thehive, cortex, misp, es, s3)")
    })?;
    Ok((service, rest))
}
