//! The holiday table: statutory rest days and make-up working days, as data.
//!
//! The built-in table ships inside the binary (`data/holidays.toml`); an operator may load a file of the
//! same shape instead, and a region may add its own local rest days. Every problem in a file is reported
//! with the place it was found, so whoever edits the table knows which line to fix.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

/// The table compiled into the binary.
pub const BUILTIN_TOML: &str = include_str!("../data/holidays.toml");

/// Longest holiday period we accept in a file. The longest real one (Spring Festival 2020 with its
/// extension) is 10 days; anything beyond a month is a typing error.
const MAX_PERIOD_DAYS: i64 = 31;

/// What the table says about one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marked {
    /// A statutory (or local) rest day, with the holiday's name.
    Rest { name: String },
    /// A make-up working day (调休上班): a weekend day on which people work.
    MakeUpWork { name: String },
}

/// One holiday period as the table lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayPeriod {
    pub name: String,
    pub rest: RangeInclusive<NaiveDate>,
    pub make_up_working_days: Vec<NaiveDate>,
    /// The notice that set this period.
    pub notice: String,
    /// True for a region's own rest day rather than a national one.
    pub local: bool,
}

/// A validated holiday table.
#[derive(Debug, Clone)]
pub struct HolidayTable {
    years: BTreeMap<i32, String>,
    periods: Vec<HolidayPeriod>,
    marks: HashMap<NaiveDate, usize>,
    source: String,
}

/// A problem in a holiday table file. The message names the place and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("{source_name}: not a valid holiday table: {message}")]
    Syntax { source_name: String, message: String },
    #[error("{source_name}: {place}: {message}")]
    Invalid {
        source_name: String,
        place: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTable {
    #[serde(default)]
    year: Vec<FileYear>,
    #[serde(default)]
    local: Vec<FileHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileYear {
    year: i32,
    notice: String,
    #[serde(default)]
    holiday: Vec<FileHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHoliday {
    name: String,
    rest: [String; 2],
    #[serde(default)]
    work: Vec<String>,
    notice: Option<String>,
}

impl HolidayTable {
    /// The table shipped with onego.
    pub fn builtin() -> Self {
        // The built-in data is tested in this crate's tests; failing here would mean a broken build.
        Self::from_toml_str(BUILTIN_TOML, "built-in table")
            .unwrap_or_else(|e| panic!("the built-in holiday table is invalid: {e}"))
    }

    /// Parses and validates a table. `source_name` appears in error messages and in [`Self::source`].
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, TableError> {
        let file: FileTable = toml::from_str(text).map_err(|e| TableError::Syntax {
            source_name: source_name.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let mut table = HolidayTable {
            years: BTreeMap::new(),
            periods: Vec::new(),
            marks: HashMap::new(),
            source: source_name.to_owned(),
        };
        for y in &file.year {
            let place = format!("year {}", y.year);
            if !(1949..=2200).contains(&y.year) {
                return Err(invalid(
                    source_name,
                    &place,
                    "the year must be between 1949 and 2200",
                ));
            }
            if y.notice.trim().is_empty() {
                return Err(invalid(
                    source_name,
                    &place,
                    "name the notice that set this year's holidays",
                ));
            }
            if table.years.insert(y.year, y.notice.clone()).is_some() {
                return Err(invalid(
                    source_name,
                    &place,
                    "this year appears twice; keep one entry",
                ));
            }
            for h in &y.holiday {
                let period = parse_period(source_name, Some(y.year), h, &y.notice, false)?;
                table.add(source_name, period)?;
            }
        }
        for h in &file.local {
            let period = parse_period(source_name, None, h, "", true)?;
            table.add(source_name, period)?;
        }
        Ok(table)
    }

    /// Replaces whole years with those of `other` and adds its local rest days. Used when an operator
    /// loads a file over the built-in table: a year in the file wins, the other years stay.
    pub fn overlay(mut self, other: HolidayTable) -> Result<Self, TableError> {
        let replaced: Vec<i32> = other.years.keys().copied().collect();
        self.periods
            .retain(|p| p.local || !p.year().is_some_and(|y| replaced.contains(&y)));
        let mut merged = HolidayTable {
            years: self.years,
            periods: Vec::new(),
            marks: HashMap::new(),
            source: format!("{} + {}", self.source, other.source),
        };
        merged.years.extend(other.years);
        for p in self.periods.into_iter().chain(other.periods) {
            let src = merged.source.clone();
            merged.add(&src, p)?;
        }
        Ok(merged)
    }

    fn add(&mut self, source_name: &str, period: HolidayPeriod) -> Result<(), TableError> {
        let index = self.periods.len();
        let place = period.place();
        let claim = |date: NaiveDate, marks: &mut HashMap<NaiveDate, usize>| {
            if let Some(&other) = marks.get(&date) {
                let other = &self.periods[other];
                return Err(invalid(
                    source_name,
                    &place,
                    &format!(
                        "{date} is already given by {}; a date may appear only once",
                        other.place()
                    ),
                ));
            }
            marks.insert(date, index);
            Ok(())
        };
        let mut marks = std::mem::take(&mut self.marks);
        let result = (|| {
            for d in period
                .rest
                .start()
                .iter_days()
                .take_while(|d| d <= period.rest.end())
            {
                claim(d, &mut marks)?;
            }
            for &d in &period.make_up_working_days {
                claim(d, &mut marks)?;
            }
            Ok(())
        })();
        self.marks = marks;
        result?;
        self.periods.push(period);
        Ok(())
    }

    /// What the table says about `date`, if anything.
    pub fn marked(&self, date: NaiveDate) -> Option<(Marked, &HolidayPeriod)> {
        let period = &self.periods[*self.marks.get(&date)?];
        let name = period.name.clone();
        let mark = if period.rest.contains(&date) {
            Marked::Rest { name }
        } else {
            Marked::MakeUpWork { name }
        };
        Some((mark, period))
    }

    /// Whether the table holds the national notice for the calendar year of `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains_key(&date.year())
    }

    /// The years the table holds, each with its notice.
    pub fn years(&self) -> impl Iterator<Item = (i32, &str)> {
        self.years.iter().map(|(y, n)| (*y, n.as_str()))
    }

    /// The first and last year the table holds.
    pub fn year_span(&self) -> Option<(i32, i32)> {
        Some((*self.years.keys().next()?, *self.years.keys().next_back()?))
    }

    /// Years between the first and last that the table lacks.
    pub fn missing_years(&self) -> Vec<i32> {
        match self.year_span() {
            Some((a, b)) => (a..=b).filter(|y| !self.years.contains_key(y)).collect(),
            None => Vec::new(),
        }
    }

    /// The national holidays each year of the table lacks, by name: since 2008 a State Council notice
    /// names seven every year (元旦, 春节, 清明, 劳动, 端午, 中秋, 国庆; 中秋 and 国庆 sometimes as one
    /// period), before 2008 four (元旦, 春节, 劳动, 国庆). A year missing any is probably incomplete.
    /// Years with none missing are left out.
    pub fn incomplete_years(&self) -> Vec<(i32, Vec<&'static str>)> {
        const SINCE_2008: [&str; 7] = ["元旦", "春节", "清明", "劳动", "端午", "中秋", "国庆"];
        const BEFORE_2008: [&str; 4] = ["元旦", "春节", "劳动", "国庆"];
        self.years
            .keys()
            .filter_map(|&year| {
                let names: Vec<&str> = self
                    .periods
                    .iter()
                    .filter(|p| !p.local && p.year() == Some(year))
                    .map(|p| p.name.as_str())
                    .collect();
                let national: &[&'static str] = if year >= 2008 { &SINCE_2008 } else { &BEFORE_2008 };
                let missing: Vec<&'static str> = national
                    .iter()
                    .copied()
                    .filter(|h| !names.iter().any(|n| n.contains(h)))
                    .collect();
                (!missing.is_empty()).then_some((year, missing))
            })
            .collect()
    }

    pub fn periods(&self) -> &[HolidayPeriod] {
        &self.periods
    }

    /// Where the table was loaded from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl HolidayPeriod {
    fn year(&self) -> Option<i32> {
        if self.local {
            return None;
        }
        // A period that begins in December belongs to the next year's notice (New Year's Day).
        let start = *self.rest.start();
        Some(if start.month() == 12 {
            start.year() + 1
        } else {
            start.year()
        })
    }

    fn place(&self) -> String {
        if self.local {
            format!("local rest day \"{}\"", self.name)
        } else {
            format!(
                "year {} holiday \"{}\"",
                self.year().unwrap_or_default(),
                self.name
            )
        }
    }
}

fn invalid(source_name: &str, place: &str, message: &str) -> TableError {
    TableError::Invalid {
        source_name: source_name.to_owned(),
        place: place.to_owned(),
        message: message.to_owned(),
    }
}

fn parse_period(
    source_name: &str,
    year: Option<i32>,
    h: &FileHoliday,
    year_notice: &str,
    local: bool,
) -> Result<HolidayPeriod, TableError> {
    let place = match year {
        Some(y) => format!("year {y} holiday \"{}\"", h.name),
        None => format!("local rest day \"{}\"", h.name),
    };
    let bad = |m: &str| invalid(source_name, &place, m);
    if h.name.trim().is_empty() {
        return Err(bad("give the holiday a name"));
    }
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| bad(&format!("\"{s}\" is not a date; write dates as YYYY-MM-DD")))
    };
    let (first, last) = (date(&h.rest[0])?, date(&h.rest[1])?);
    if last < first {
        return Err(bad(
            "the rest period ends before it begins; write rest = [first day, last day]",
        ));
    }
    if (last - first).num_days() >= MAX_PERIOD_DAYS {
        return Err(bad(&format!(
            "a rest period longer than {MAX_PERIOD_DAYS} days is surely a typing error"
        )));
    }
    if let Some(y) = year {
        let in_year = |d: NaiveDate| d.year() == y || (d.year() == y - 1 && d.month() == 12);
        if !in_year(first) || !in_year(last) {
            return Err(bad(&format!(
                "the rest period must fall in {y} (or, for New Year's Day, the December before)"
            )));
        }
    }
    let mut work = Vec::with_capacity(h.work.len());
    for s in &h.work {
        let d = date(s)?;
        if (first..=last).contains(&d) {
            return Err(bad(&format!(
                "{d} is inside the rest period, so it cannot be a make-up working day"
            )));
        }
        if (d - first).num_days().abs() > 62 {
            return Err(bad(&format!(
                "make-up working day {d} is too far from the rest period"
            )));
        }
        work.push(d);
    }
    let notice = h.notice.clone().unwrap_or_else(|| year_notice.to_owned());
    Ok(HolidayPeriod {
        name: h.name.clone(),
        rest: first..=last,
        make_up_working_days: work,
        notice,
        local,
    })
}
