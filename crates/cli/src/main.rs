//! The `vigil` command line.
//!
//! Exit codes: 0 success; 1 some input was rejected (`check` found a bad rule); 2 usage or
//! I/O error that stopped the run.

mod check;
mod rules;

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
    /// Load rules and print every diagnostic; exits 1 when a rule is rejected.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Do not print warnings.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Check { paths, quiet } => check::run(&paths, quiet, &mut out),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        Err(e) => {
            eprintln!("vigil: {e:#}");
            ExitCode::from(2)
        }
    }
}
