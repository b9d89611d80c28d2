//! The `onego` binary: command line, configuration, start-up.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    match &cli.command {
        Command::Calendar(cmd) => {
            let calendar = calendar_cmd::load_calendar(cli.holidays.as_ref())?;
            let stdout = std::io::stdout();
            calendar_cmd::run(cmd, &calendar, &mut stdout.lock())
        }
    }
}
