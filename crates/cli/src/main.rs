//! The `vigil` command line.
//!
//! Exit codes: 0 success; 1 `check` rejected a rule; 2 a usage or I/O error (for `hunt`: an
//! input that could not be read, the others are still processed; for `check`: a path that
//! could not be read, the others are still checked).

mod check;
mod content;
mod hunt;
mod output;
mod pipelines;
mod rules;
mod runner;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Detection engineering: load, check and run detection rules over logs.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run rules over events and print the alerts. With no paths, runs the built-in rule pack
    /// over the bundled sample telemetry.
    Hunt {
        /// Event files or directories (NDJSON, JSON arrays, concatenated JSON, gzip; EVTX); `-` is stdin.
        paths: Vec<PathBuf>,
        /// Sigma rule files or directories (default: the built-in pack).
        #[arg(long, short)]
        rules: Vec<PathBuf>,
        /// Field mapping: a built-in name (none, ecs-windows, evtx) or a pySigma pipeline YAML
        /// file. Default: ecs-windows for the bundled samples; for your files, the inputs'
        /// format's own (evtx for EVTX files, none for JSON or a mix).
        #[arg(long, short)]
        pipeline: Option<String>,
        /// Output format.
        #[arg(long, short, value_enum, default_value = "table")]
        format: output::Format,
        /// Worker threads (default: all cores).
        #[arg(long, short = 'j')]
        threads: Option<usize>,
        /// Where the events come from, e.g. `product=windows,service=sysmon`: only rules
        /// whose log source fits are run (logsource routing). Default: every rule.
        #[arg(long, value_name = "KEY=VALUE,...")]
        logsource: Option<String>,
        /// Read every input in this format (json, evtx) instead of the one its content shows.
        #[arg(long, value_name = "NAME")]
        format_in: Option<String>,
    },
    /// Load and compile rules and print every diagnostic; exits 1 when a rule is rejected, 2
    /// when a path cannot be read.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Field mapping the rules are compiled with, as for `hunt`: a built-in name (none,
        /// ecs-windows, evtx) or a pySigma pipeline YAML file.
        #[arg(long, short, default_value = "none")]
        pipeline: String,
        /// Do not print warnings.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match cli.command {
        Command::Check { paths, pipeline, quiet } => check::run(&paths, &pipeline, quiet, &mut out),
        Command::Hunt { paths, rules, pipeline, format, threads, logsource, format_in } => {
            let args = hunt::HuntArgs { paths, rules, pipeline, format, threads, logsource, format_in };
            hunt::run_hunt(args, &mut out, &mut std::io::stderr())
        }
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        Err(e) => {
            eprintln!("vigil: {e:#}");
            ExitCode::from(2)
        }
    }
}
