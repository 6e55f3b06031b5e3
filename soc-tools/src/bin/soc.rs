//! `soc`: drives the SOC stack from one `soc.toml`.
//!
//! Exit codes: 0 success; 1 the command ran and something failed (an item of `setup`); 2 the
//! command could not run (usage, an unreadable or invalid configuration, a secrets file error).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};
use soc_tools::config::SocConfig;
use soc_tools::setup::{self, SetupOptions};

#[derive(Parser)]
#[command(
    name = "soc",
    version,
    about = "Deploy and drive the open-source SOC stack: TheHive, Cortex, MISP, Elasticsearch, S3"
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "SOC_CONFIG",
        default_value = "soc.toml"
    )]
    config: PathBuf,
    /// Machine-readable output: JSON Lines on stdout, errors as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Brings every configured service to the configuration (idempotent).
    Setup {
        /// Read everything, write nothing: show what would be created or changed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Replaces a credential everywhere it is used: new one stored, consumers reconfigured,
    /// verified, old one revoked; run again after an interruption to finish it.
    Rotate {
        /// misp.thehive-key, cortex.thehive-key or thehive.key:LOGIN.
        credential: String,
        /// Read everything, change nothing: show what would happen.
        #[arg(long)]
        dry_run: bool,
    },
    /// A bucket of the S3 store to a directory and back (backups, moves).
    Bucket {
        #[command(subcommand)]
        command: BucketCommand,
    },
    /// Retention: indices put under their policy, Cortex jobs past `[cortex] job_retention`
    /// deleted. Shows the plan; `--apply` carries it out.
    Prune {
        /// Carry the plan out.
        #[arg(long)]
        apply: bool,
    },
    /// One real round trip per service with the accounts setup created (an alert, an analyzer
    /// run, a MISP search, an S3 object, cluster health); exits 1 when one fails.
    Smoke {
        /// How long to wait for the Cortex report.
        #[arg(long, default_value = "120s")]
        deadline: String,
    },
    /// Checks every configured service and diagnoses known failures; exits 1 when one fails.
    Doctor {
        /// Apply the fixes that can be applied through the services' APIs.
        #[arg(long)]
        fix: bool,
        /// Also check this Docker host (vm.max_map_count, port 443, volume owners).
        #[arg(long)]
        host: bool,
        /// MISP's data directory on this host (checked for owner 33:33).
        #[arg(long, requires = "host")]
        misp_volume: Option<PathBuf>,
    },
    /// Caches and fetches MISP's feeds as background jobs tracked to the end, then turns MISP
    /// events into TheHive alerts when `[feed_sync.to_thehive]` is set.
    FeedSync {
        /// Run as a daemon, once per period (`24h`), with jitter; MISP being down only fails
        /// that pass.
        #[arg(long)]
        every: Option<String>,
    },
    /// Webhooks: `POST /alerts` (HMAC-signed) creates TheHive alerts, `POST /hooks/thehive`
    /// queues enrichment, `/healthz`, `/metrics`; runs until Ctrl-C or SIGTERM.
    Serve {
        /// Enrich the alerts TheHive's notifications queue, as they arrive (needs `[enrich]`).
        #[arg(long)]
        enrich: bool,
    },
    /// Enriches TheHive alerts: indicators looked up once each in MISP, Cortex and
    /// Elasticsearch, a threat score and report, a case above the threshold, then the alert
    /// tagged `enriched`. Exit 1 when an alert failed (it is taken again next time).
    Enrich {
        /// Keep running, a pass every `--every`.
        #[arg(long)]
        watch: bool,
        /// The period of `--watch`.
        #[arg(long, default_value = "60s")]
        every: String,
    },
    /// TheHive alerts.
    Alert {
        #[command(subcommand)]
        command: AlertCommand,
    },
    /// Integrations.
    Wazuh {
        #[command(subcommand)]
        command: WazuhCommand,
    },
    /// Prints a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum AlertCommand {
    /// Creates alerts from a JSON Lines file (one `POST /alerts` document per line); importing
    /// it again creates nothing.
    Import {
        /// The file.
        file: PathBuf,
        /// The TheHive user to create them as (its key in the secrets file).
        #[arg(long = "as")]
        user: Option<String>,
        /// The alerts' type.
        #[arg(long, default_value = "import")]
        kind: String,
    },
}

#[derive(Subcommand)]
enum WazuhCommand {
    /// Wazuh's MISP integration: looks up every indicator of the alert in MISP and writes one
    /// event per match to Wazuh's queue. Called by integratord as
    /// `custom-misp <alert-file> <api-key> <hook-url> [debug] [<options-file>]`. Exit codes: 0
    /// done, 1 MISP failed (reported on the queue), 2 bad arguments, 3 unreadable alert or
    /// options file, 4 the queue refused an event.
    Misp {
        /// Wazuh's queue socket.
        #[arg(long, default_value = soc_tools::wazuh::DEFAULT_QUEUE)]
        queue: PathBuf,
        /// A CA file to trust for MISP's certificate.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Seconds the whole lookup may take.
        #[arg(long)]
        timeout: Option<u64>,
        /// The arguments integratord passes.
        #[arg(required = true, num_args = 3.., allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum BucketCommand {
    /// Copies every object of BUCKET into DIR, with a manifest of keys, sizes and SHA-256.
    Export {
        /// The bucket.
        bucket: String,
        /// The directory (created, 0700).
        dir: PathBuf,
    },
    /// Puts the objects of an export in DIR back into BUCKET, after checking every file.
    Import {
        /// The export directory.
        dir: PathBuf,
        /// The bucket (created when missing).
        bucket: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validates the configuration without contacting any server (secrets are resolved).
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(cli.json, &format!("cannot start the runtime: {e}"), 2),
    };
    runtime.block_on(run(cli))
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

fn fail(json: bool, message: &str, code: u8) -> ExitCode {
    if json {
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({"error": message})
        );
    } else {
        let _ = writeln!(std::io::stderr(), "soc: {message}");
    }
    ExitCode::from(code)
}

/// Prints a report; exit 1 when an item failed.
fn print_report(report: &soc_tools::report::Report, json: bool) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if json {
        report.write_json(&mut out)
    } else {
        report.write_table(&mut out)
    };
    if let Err(e) = written {
        return fail(json, &format!("cannot write the report: {e}"), 2);
    }
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn run(cli: Cli) -> ExitCode {
    if cli.json {
        soc_tools::progress::quiet();
    }
    // The Wazuh integration is configured by its arguments, not by soc.toml.
    if let Command::Wazuh {
        command:
            WazuhCommand::Misp {
                queue,
                ca_file,
                timeout,
                args,
            },
    } = &cli.command
    {
        return wazuh_misp(queue, ca_file.as_ref(), *timeout, args, cli.json).await;
    }
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "soc", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let config = match SocConfig::load(&cli.config) {
        Ok(c) => c,
        Err(e) => return fail(cli.json, &e.to_string(), 2),
    };
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check,
        } => match soc_tools::check::resolve_all(&config) {
            Ok(summary) => {
                let mut out = std::io::stdout();
                if cli.json {
                    let _ = writeln!(
                        out,
                        "{}",
                        serde_json::json!({"valid": true, "services": summary})
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "{}: valid ({})",
                        config.path.display(),
                        summary.join(", ")
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(cli.json, &e.to_string(), 2),
        },
        Command::Setup { dry_run } => {
            let report = match setup::run(&config, SetupOptions { dry_run }).await {
                Ok(r) => r,
                Err(e) => return fail(cli.json, &e.to_string(), 2),
            };
            let mut out = std::io::stdout().lock();
            let written = if cli.json {
                report.write_json(&mut out)
            } else {
                report.write_table(&mut out)
            };
            if let Err(e) = written {
                return fail(cli.json, &format!("cannot write the report: {e}"), 2);
            }
            if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Rotate {
            credential,
            dry_run,
        } => {
            let credential: soc_tools::rotate::Credential = match credential.parse() {
                Ok(c) => c,
                Err(e) => return fail(cli.json, &e, 2),
            };
            let options = soc_tools::rotate::RotateOptions { dry_run };
            match soc_tools::rotate::run(&config, &credential, options).await {
                Ok(report) => print_report(&report, cli.json),
                Err(e) => fail(cli.json, &e.to_string(), 2),
            }
        }
        Command::Bucket { command } => {
            let (result, verb) = match &command {
                BucketCommand::Export { bucket, dir } => (
                    soc_tools::bucket::export(&config, bucket, dir).await,
                    "exported",
                ),
                BucketCommand::Import { dir, bucket } => (
                    soc_tools::bucket::import(&config, dir, bucket).await,
                    "imported",
                ),
            };
            match result {
                Ok(m) => {
                    let bytes: u64 = m.objects.iter().map(|o| o.size).sum();
                    let line = if cli.json {
                        serde_json::json!({"bucket": m.bucket, verb: m.objects.len(), "bytes": bytes})
                            .to_string()
                    } else {
                        format!(
                            "{}: {verb} {} objects, {bytes} bytes",
                            m.bucket,
                            m.objects.len()
                        )
                    };
                    let _ = writeln!(std::io::stdout(), "{line}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(cli.json, &e.to_string(), 1),
            }
        }
        Command::Prune { apply } => {
            let plan = soc_tools::housekeeping::plan(&config).await;
            let report = soc_tools::housekeeping::prune(&config, &plan, !apply).await;
            if !apply && !report.items.is_empty() && !cli.json {
                let _ = writeln!(
                    std::io::stderr(),
                    "the plan; run with --apply to carry it out"
                );
            }
            print_report(&report, cli.json)
        }
        Command::Smoke { deadline } => {
            let deadline = match soc_tools::config::parse_duration(&deadline) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => return fail(cli.json, "--deadline must be longer than zero", 2),
                Err(e) => return fail(cli.json, &format!("--deadline: {e}"), 2),
            };
            let report = soc_tools::smoke::run(&config, deadline).await;
            let mut out = std::io::stdout().lock();
            let written = if cli.json {
                report.write_json(&mut out)
            } else {
                report.write_table(&mut out)
            };
            if let Err(e) = written {
                return fail(cli.json, &format!("cannot write the report: {e}"), 2);
            }
            if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Doctor {
            fix,
            host,
            misp_volume,
        } => {
            let options = soc_tools::doctor::DoctorOptions {
                fix,
                host,
                misp_volume,
            };
            let diagnosis = soc_tools::doctor::run(&config, &options).await;
            let mut out = std::io::stdout().lock();
            let written = if cli.json {
                diagnosis.write_json(&mut out)
            } else {
                diagnosis.write_table(&mut out)
            };
            if let Err(e) = written {
                return fail(cli.json, &format!("cannot write the diagnosis: {e}"), 2);
            }
            if diagnosis.healthy() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::FeedSync { every: None } => match soc_tools::feed_sync::run_once(&config).await {
            Ok(report) => print_report(&report, cli.json),
            Err(e) => fail(cli.json, &e.to_string(), 2),
        },
        Command::FeedSync { every: Some(every) } => {
            let period = match soc_tools::config::parse_duration(&every) {
                Ok(p) if !p.is_zero() => p,
                Ok(_) => return fail(cli.json, "--every must be longer than zero", 2),
                Err(e) => return fail(cli.json, &format!("--every: {e}"), 2),
            };
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let json = cli.json;
            soc_tools::feed_sync::run_every(&config, period, stop, |pass| match pass {
                Ok(report) => {
                    let _ = print_report(&report, json);
                }
                Err(e) => {
                    let _ = fail(json, &e.to_string(), 1);
                }
            })
            .await;
            ExitCode::SUCCESS
        }
        Command::Serve { enrich } => {
            let listener = match soc_tools::serve::bind(&config).await {
                Ok(l) => l,
                Err(e) => return fail(cli.json, &e.to_string(), 2),
            };
            let server = match soc_tools::serve::Server::from_config(&config) {
                Ok(s) => s,
                Err(e) => return fail(cli.json, &e.to_string(), 2),
            };
            if enrich {
                let enricher = match soc_tools::enrich::Enricher::new(&config) {
                    Ok(e) => e,
                    Err(e) => return fail(cli.json, &e.to_string(), 2),
                };
                let hook = server.clone();
                tokio::spawn(async move {
                    let forever = std::future::pending::<()>();
                    enricher
                        .follow_hook(&hook, forever, |pass| match pass {
                            Ok(s) => tracing::info!(
                                alerts = s.alerts,
                                enriched = s.enriched,
                                failed = s.failed,
                                "enrichment pass"
                            ),
                            Err(e) => tracing::warn!(error = %e, "enrichment pass failed"),
                        })
                        .await;
                });
            }
            match server
                .run(listener, soc_tools::serve::shutdown_signal())
                .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(cli.json, &e.to_string(), 1),
            }
        }
        Command::Alert {
            command: AlertCommand::Import { file, user, kind },
        } => match soc_tools::alert_import::import(&config, &file, user.as_deref(), &kind).await {
            Ok(report) => print_report(&report, cli.json),
            Err(e) => fail(cli.json, &e.to_string(), 2),
        },
        Command::Enrich { watch, every } => enrich(&config, watch, &every, cli.json).await,
        Command::Completions { .. } | Command::Wazuh { .. } => ExitCode::SUCCESS,
    }
}

async fn wazuh_misp(
    queue: &std::path::Path,
    ca_file: Option<&PathBuf>,
    timeout: Option<u64>,
    args: &[String],
    json: bool,
) -> ExitCode {
    let mut wargs = match soc_tools::wazuh::WazuhArgs::from_argv(args) {
        Ok(a) => a,
        Err(e) => return fail(json, &e.to_string(), e.exit_code()),
    };
    wargs = wargs.queue(queue.to_path_buf());
    if let Some(ca) = ca_file {
        wargs = wargs.ca_file(ca.clone());
    }
    if let Some(t) = timeout {
        wargs = wargs.timeout(std::time::Duration::from_secs(t));
    }
    match soc_tools::wazuh::run(&wargs).await {
        Ok(outcome) => {
            if json {
                let _ = writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::to_string(&outcome).unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(json, &e.to_string(), e.exit_code()),
    }
}

async fn enrich(config: &SocConfig, watch: bool, every: &str, json: bool) -> ExitCode {
    use soc_tools::enrich::{AlertResult, Enricher, Summary};
    let enricher = match Enricher::new(config) {
        Ok(e) => e,
        Err(e) => return fail(json, &e.to_string(), 2),
    };
    let on_result = |r: &AlertResult| {
        if json {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string(r).unwrap_or_default()
            );
        }
    };
    let print_summary = |s: &Summary| {
        let mut out = std::io::stdout().lock();
        if json {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.remove("results");
            }
            let _ = writeln!(out, "{}", serde_json::json!({ "summary": v }));
        } else {
            for r in &s.results {
                let what = match (&r.case, &r.error) {
                    (_, Some(e)) => format!("FAILED: {e}"),
                    (Some(c), None) => format!("case {c}"),
                    (None, None) => "commented".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{:<10} score {:>3}  {:<48}  {what}",
                    r.alert, r.score, r.title
                );
            }
            if let Some(best) = s
                .results
                .iter()
                .filter(|r| r.error.is_none())
                .max_by_key(|r| r.score)
            {
                let _ = writeln!(out, "\n{}", best.report);
            }
            let _ = writeln!(
                out,
                "\n{} alerts: {} enriched, {} failed, {} cases; {} indicators ({} distinct, {} lookups saved by the cache); highest score {}",
                s.alerts, s.enriched, s.failed, s.cases, s.indicators, s.distinct_indicators, s.lookups_saved, s.max_score
            );
        }
    };
    if watch {
        let period = match soc_tools::config::parse_duration(every) {
            Ok(p) if !p.is_zero() => p,
            _ => {
                return fail(
                    json,
                    &format!("--every {every}: expected a duration such as 60s or 5m"),
                    2,
                )
            }
        };
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        enricher
            .watch(period, stop, on_result, |pass| match pass {
                Ok(s) => print_summary(&s),
                Err(e) => {
                    let _ = fail(json, &e.to_string(), 1);
                }
            })
            .await;
        return ExitCode::SUCCESS;
    }
    match enricher.run_once(on_result).await {
        Ok(s) => {
            print_summary(&s);
            if s.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(json, &e.to_string(), 2),
    }
}
