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
    /// Prints a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
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

async fn run(cli: Cli) -> ExitCode {
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
        Command::Completions { .. } => ExitCode::SUCCESS,
    }
}
