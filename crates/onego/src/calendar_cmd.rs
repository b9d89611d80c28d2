//! `onego calendar …`: look at the working-day calendar from the command line.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use onego_calendar::{HolidayTable, WorkingCalendar};

/// The longest range `calendar days` prints, so a typing error does not flood the terminal.
const MAX_DAYS_LISTED: i64 = 3_660;

#[derive(Debug, Subcommand)]
pub(crate) enum CalendarCommand {
    /// Print one line per date from FROM to TO: date, workday|rest, and the holiday or make-up day's name.
    Days {
        /// First date, YYYY-MM-DD.
        from: String,
        /// Last date, YYYY-MM-DD.
        to: String,
    },
    /// Print the date N working days after DATE (the day after DATE is the first day counted).
    Add {
        /// Start date, YYYY-MM-DD.
        date: String,
        /// Number of working days, a whole number from 0.
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
    /// Print the years the holiday table covers and where it was loaded from.
    Coverage,
}

/// Loads the built-in table, with `file` laid over it when given.
pub(crate) fn load_calendar(file: Option<&PathBuf>) -> anyhow::Result<WorkingCalendar> {
    let mut table = HolidayTable::builtin();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the holiday file {}; check the path", path.display()))?;
        let extra = HolidayTable::from_toml_str(&text, &path.display().to_string())?;
        table = table.overlay(extra)?;
    }
    Ok(WorkingCalendar::new(table))
}

fn parse_date(what: &str, text: &str) -> anyhow::Result<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(d),
        Err(_) => bail!("{what} \"{text}\" is not a date; write it as YYYY-MM-DD, for example 2026-02-13"),
    }
}

pub(crate) fn run(
    cmd: &CalendarCommand,
    calendar: &WorkingCalendar,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match cmd {
        CalendarCommand::Days { from, to } => {
            let (from, to) = (parse_date("FROM", from)?, parse_date("TO", to)?);
            if to < from {
                bail!("TO ({to}) is before FROM ({from}); give the earlier date first");
            }
            if (to - from).num_days() >= MAX_DAYS_LISTED {
                bail!("that is more than {MAX_DAYS_LISTED} days; list at most ten years at a time");
            }
            let mut provisional = false;
            for date in from.iter_days().take_while(|d| *d <= to) {
                let kind = calendar.day_kind(date);
                provisional |= kind.provisional;
                let word = if kind.value.is_working() {
                    "workday"
                } else {
                    "rest"
                };
                writeln!(out, "{date}\t{word}\t{}", kind.value.name().unwrap_or(""))?;
            }
            if provisional {
                warn_provisional(calendar);
            }
        }
        CalendarCommand::Add { date, n } => {
            let date = parse_date("DATE", date)?;
            let n: u32 = n.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "N \"{n}\" is not a number of working days; give a whole number from 0, for example 20"
                )
            })?;
            let Some(r) = calendar.add_working_days(date, n) else {
                bail!("{n} working days after {date} is beyond the calendar's range; give a smaller N");
            };
            writeln!(out, "{}", r.value)?;
            if r.provisional {
                warn_provisional(calendar);
            }
        }
        CalendarCommand::Coverage => {
            let table = calendar.table();
            match table.year_span() {
                Some((a, b)) => writeln!(out, "years\t{a}-{b}")?,
                None => writeln!(out, "years\tnone")?,
            }
            let missing = table.missing_years();
            if !missing.is_empty() {
                let list: Vec<String> = missing.iter().map(i32::to_string).collect();
                writeln!(out, "missing\t{}", list.join(","))?;
            }
            let locals = table.periods().iter().filter(|p| p.local).count();
            writeln!(out, "local\t{locals}")?;
            writeln!(out, "source\t{}", table.source())?;
        }
    }
    Ok(())
}

fn warn_provisional(calendar: &WorkingCalendar) {
    let span = calendar
        .table()
        .year_span()
        .map(|(a, b)| format!("{a}-{b}"))
        .unwrap_or_default();
    eprintln!(
        "note: some dates lie outside the holiday table ({span}); they were counted by weekends alone and \
         are provisional. Load the year's notice with --holidays FILE."
    );
}
