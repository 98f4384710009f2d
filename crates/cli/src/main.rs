//! The `vigil` command line.
//!
//! Exit codes, the same for every command: 0 success; 1 findings (`check`: a rule was
//! rejected; `hunt --fail-on-detection`: an alert was raised); 2 a usage or I/O error (for
//! `hunt`: an input that could not be read, the others are still processed; for `check`: a
//! path that could not be read, the others are still checked). An I/O error wins over
//! findings.

mod check;
mod color;
mod content;
mod convert;
mod filter;
mod hunt;
mod list;
mod output;
mod pipelines;
mod progress;
mod rules;
mod rules_eql;
mod runner;
mod sarif;
mod timeline;
mod unread;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// mimalloc instead of the system allocator: conversion and hunting allocate many small,
/// short-lived strings on every thread (see the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The exit codes, documented in `--help` and the man page.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 findings (check: a rule was rejected; hunt --fail-on-detection: an alert was raised); 2 a usage or I/O error (an I/O error wins over findings).";

#[derive(Parser)]
#[command(name = "vigil", version, about = "Detection engineering: load, check and run detection rules over logs.", after_help = EXIT_CODES)]
struct Cli {
    /// When to colour the output: auto (when the stream written to is a terminal and NO_COLOR
    /// is not set), always, never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: color::ColorChoice,
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
        /// Field mapping: a built-in name (see `vigil list pipelines`) or a pySigma pipeline YAML
        /// file, for every input. Default: ecs-windows for the bundled samples; for your files,
        /// each file's format's own (evtx for EVTX, ecs-linux for auditd, none for JSON, Zeek,
        /// crt.sh, CEF), so a mixed folder runs each file with its own.
        #[arg(long, short)]
        pipeline: Option<String>,
        /// Output format (sarif: one SARIF 2.1.0 log written when the run ends).
        #[arg(long, short, value_enum, default_value = "table")]
        format: output::Format,
        /// Worker threads (default: all cores).
        #[arg(long, short = 'j')]
        threads: Option<usize>,
        /// Where the events come from, e.g. `product=windows,service=sysmon`: only rules
        /// whose log source fits are run, on every event. Default: each event is routed by
        /// what its own fields say (Windows channel and event ID, auditd, Zeek log, CEF with a
        /// URL); an event they say nothing of is evaluated against every rule.
        #[arg(long, value_name = "KEY=VALUE,...")]
        logsource: Option<String>,
        /// Exit 1 when any alert was raised (for CI).
        #[arg(long)]
        fail_on_detection: bool,
        #[command(flatten)]
        filter: filter::RuleFilter,
        /// Read every input in this format (json, evtx, zeek, crtsh, auditd, cef) instead of the
        /// one its content shows.
        #[arg(long, value_name = "NAME")]
        format_in: Option<String>,
        /// Write the alerts to FILE instead of stdout (any format; the table is then not cut
        /// to a terminal's width).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Do not show the progress bar (shown on stderr when stderr is a terminal).
        #[arg(long)]
        no_progress: bool,
    },
    /// Load and compile rules and print every diagnostic; exits 1 when a rule is rejected, 2
    /// when a path cannot be read.
    Check {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Field mapping the rules are compiled with, as for `hunt`: a built-in name (see
        /// `vigil list pipelines`) or a pySigma pipeline YAML file.
        #[arg(long, short, default_value = "none")]
        pipeline: String,
        /// Do not print warnings.
        #[arg(long)]
        quiet: bool,
        /// Output format: text (rustc-style), json (one object), sarif (SARIF 2.1.0).
        #[arg(long, short, value_enum, default_value = "text")]
        format: check::CheckFormat,
        #[command(flatten)]
        filter: filter::RuleFilter,
    },
    /// Print each rule as a query of another engine (`--target sql|eql|esql|lucene|kql|spl|sumo`; `vigil list targets`), or say why it
    /// cannot be; exits 1 when a rule is refused or rejected.
    Convert {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The query language: sql (SQLite), duckdb, spark, eql (Elastic EQL), esql, lucene, kql, spl or sumo (`vigil list targets`); several, comma-separated, or `all`, convert in one run.
        #[arg(long, short)]
        target: String,
        /// Field mapping applied before printing: a built-in name or a pipeline YAML file
        /// (default: the target's own, as `vigil list targets` shows).
        #[arg(long, short)]
        pipeline: Option<String>,
        /// Output format.
        #[arg(long, short, value_enum, default_value = "text")]
        format: convert::ConvertFormat,
        /// The table (SQL, KQL) or index / search (ES|QL, SPL, Sumo Logic) the queries read
        /// (default: `events` for SQL, else what the pipeline sets for the log source).
        #[arg(long)]
        table: Option<String>,
        /// With `--format rule`: the directory the rule files are written to.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// List the built-in pipelines, or the rules of a rule set after the filters.
    List {
        #[command(subcommand)]
        what: list::What,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `vigil man > vigil.1`; `vigil man hunt` prints the
    /// page of a command (vigil-hunt(1)).
    Man {
        /// The command whose page to print (default: the main page).
        command: Option<String>,
    },
}

/// Writes the man page of `vigil`, or of one of its commands, generated from the clap definitions.
fn man_page(command: Option<&str>, out: &mut impl std::io::Write) -> anyhow::Result<i32> {
    let mut top = Cli::command();
    // Building propagates the global flags (`--color`) into every command's definition.
    top.build();
    let page = match command {
        None => top,
        Some(name) => match top.find_subcommand(name) {
            Some(sub) => {
                let full = format!("vigil-{}", sub.get_name());
                sub.clone().display_name(full).bin_name(format!("vigil {}", sub.get_name())).version(env!("CARGO_PKG_VERSION"))
            }
            None => {
                let names: Vec<&str> = top.get_subcommands().map(|s| s.get_name()).collect();
                anyhow::bail!("no man page for `{name}`: use one of {}", names.join(", "))
            }
        },
    };
    clap_mangen::Man::new(page).render(out)?;
    Ok(0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stdout_is_terminal = std::io::IsTerminal::is_terminal(&stdout);
    let paint = color::Paint::choose(cli.color, stdout_is_terminal);
    let paint_err = color::Paint::choose(cli.color, std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match cli.command {
        Command::Check { paths, pipeline, quiet, format, filter } => {
            let args = check::CheckArgs { paths, pipeline, quiet, format, filter };
            check::run(&args, paint, &mut out)
        }
        Command::Hunt { paths, rules, pipeline, format, threads, logsource, fail_on_detection, filter, format_in, output, no_progress } => {
            let progress = !no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr());
            match output {
                None => {
                    let width = stdout_is_terminal.then(|| console::Term::stdout().size_checked().map(|(_, cols)| usize::from(cols))).flatten();
                    let table = hunt::TableStyle { width, paint };
                    let args = hunt::HuntArgs { paths, rules, pipeline, format, threads, logsource, fail_on_detection, filter, format_in, table, progress };
                    hunt::run_hunt(args, paint_err, &mut out, &mut std::io::stderr())
                }
                Some(path) => match std::fs::File::create(&path) {
                    Ok(file) => {
                        let table = hunt::TableStyle { width: None, paint: color::Paint::choose(cli.color, false) };
                        let args = hunt::HuntArgs { paths, rules, pipeline, format, threads, logsource, fail_on_detection, filter, format_in, table, progress };
                        let mut file = std::io::BufWriter::with_capacity(1 << 16, file);
                        hunt::run_hunt(args, paint_err, &mut file, &mut std::io::stderr()).and_then(|code| {
                            std::io::Write::flush(&mut file).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                            Ok(code)
                        })
                    }
                    Err(e) => Err(anyhow::anyhow!("--output: cannot create {}: {e}", path.display())),
                },
            }
        }
        Command::List { what } => list::run(what, &mut out),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "vigil", &mut out);
            Ok(0)
        }
        Command::Man { command } => man_page(command.as_deref(), &mut out),
        Command::Convert { paths, target, pipeline, format, table, out_dir } => {
            convert::run(convert::ConvertArgs { target, pipeline, format, table, out_dir, paths }, &mut out, &mut std::io::stderr())
        }
    };
    let flushed = std::io::Write::flush(&mut out);
    match (result, flushed) {
        (Ok(code), Ok(())) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        // A reader that went away (`vigil … | head`) is not an error of the run.
        (Ok(code), Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        (Ok(_), Err(e)) => {
            eprintln!("vigil: {e}");
            ExitCode::from(2)
        }
        (Err(e), _) => {
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::from(0);
            }
            eprintln!("vigil: {e:#}");
            ExitCode::from(2)
        }
    }
}
