//! The `onego` binary: command line, configuration, start-up.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The engine allocates many small, short-lived values per command (events, JSON, SQL parameters);
// mimalloc serves them markedly faster than glibc's allocator under two busy threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod calendar_cmd;

#[derive(Debug, Parser)]
#[command(
    name = "onego",
    version,
    about = "onego (一次办好): one window, one go — government-service platform"
)]
struct Cli {
    /// A holiday table file laid over the built-in one (its years replace the built-in years; its local
    /// rest days are added).
    #[arg(long, global = true, env = "ONEGO_HOLIDAYS", value_name = "FILE")]
    holidays: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The working-day calendar: day kinds, adding working days, coverage.
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// The reference process (accept → three departments in parallel → decide) through the real engine
    /// and store, durably, with concurrent clients.
    Engine {
        /// Cases to run.
        #[arg(long, default_value_t = 2000)]
        cases: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: u64,
        /// Database URL (default: a fresh SQLite file in the temporary directory, removed afterwards).
        #[arg(long)]
        db: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let calendar = calendar_cmd::load_calendar(cli.holidays.as_ref())?;
    match cli.command {
        Command::Calendar(cmd) => {
            let stdout = std::io::stdout();
            calendar_cmd::run(&cmd, &calendar, &mut stdout.lock())
        }
        Command::Bench(BenchCommand::Engine { cases, clients, db }) => {
            bench::run(bench::BenchArgs { cases, clients, db }, calendar)
        }
    }
}
