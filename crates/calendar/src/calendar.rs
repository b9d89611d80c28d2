//! Working days and working hours over the holiday table.

use std::sync::Arc;

use chrono::{Datelike, Days, FixedOffset, NaiveDate, NaiveTime, Weekday};

use crate::table::{HolidayTable, Marked};
use crate::time::{MS_PER_DAY, MS_PER_MINUTE, Timestamp};

/// The largest number of days one calculation may walk. Limits in practice are at most a few hundred
/// working days; the bound keeps a typing error (a limit of four billion days) from hanging a server.
pub const MAX_SPAN_DAYS: u64 = 366 * 30;

/// A result that may rest on dates the holiday table does not cover. Such dates are counted by
/// weekends alone, so the result may move once the year's notice is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reckoned<T> {
    pub value: T,
    /// True when any date the calculation passed lies outside the holiday table.
    pub provisional: bool,
}

impl<T> Reckoned<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reckoned<U> {
        Reckoned {
            value: f(self.value),
            provisional: self.provisional,
        }
    }
}

/// The kind of one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary Monday to Friday.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A statutory or local rest day.
    Holiday { name: String },
    /// A weekend day that is a working day by the notice (调休上班).
    MakeUpWorkday { name: String },
}

impl DayKind {
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday { .. })
    }

    /// The holiday or make-up day's name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            DayKind::Holiday { name } | DayKind::MakeUpWorkday { name } => Some(name),
            _ => None,
        }
    }
}

/// Office hours: the intervals of a working day in which working hours run, in local minutes since
/// midnight, sorted and not overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    intervals: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    #[error("\"{0}\" is not an office-hours interval; write it as HH:MM-HH:MM, for example 09:00-12:00")]
    Syntax(String),
    #[error(
        "office hours must be in order and must not overlap; {0} starts before the previous interval ends"
    )]
    Overlap(String),
    #[error("give at least one office-hours interval, for example 09:00-12:00,13:30-17:30")]
    Empty,
}

impl OfficeHours {
    /// Parses `09:00-12:00,13:30-17:30`.
    pub fn parse(text: &str) -> Result<Self, OfficeHoursError> {
        let mut intervals = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let syntax = || OfficeHoursError::Syntax(part.to_owned());
            let (a, b) = part.split_once('-').ok_or_else(syntax)?;
            let minute = |s: &str| {
                NaiveTime::parse_from_str(s.trim(), "%H:%M")
                    .map(|t| t.signed_duration_since(NaiveTime::MIN).num_minutes() as u32)
                    .or_else(|_| {
                        if s.trim() == "24:00" {
                            Ok(24 * 60)
                        } else {
                            Err(syntax())
                        }
                    })
            };
            let (a, b) = (minute(a)?, minute(b)?);
            if b <= a {
                return Err(syntax());
            }
            if intervals.last().is_some_and(|&(_, end)| a < end) {
                return Err(OfficeHoursError::Overlap(part.to_owned()));
            }
            intervals.push((a, b));
        }
        if intervals.is_empty() {
            return Err(OfficeHoursError::Empty);
        }
        Ok(OfficeHours { intervals })
    }

    /// Minutes of office time in one working day.
    pub fn minutes_per_day(&self) -> u32 {
        self.intervals.iter().map(|(a, b)| b - a).sum()
    }

    pub fn intervals(&self) -> &[(u32, u32)] {
        &self.intervals
    }
}

impl Default for OfficeHours {
    /// 09:00–12:00 and 13:30–17:30, the hours of most service halls.
    fn default() -> Self {
        OfficeHours {
            intervals: vec![(9 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30)],
        }
    }
}

impl std::fmt::Display for OfficeHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (a, b)) in self.intervals.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)?;
        }
        Ok(())
    }
}

/// The working calendar: holiday table, office hours and the local time zone.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    table: Arc<HolidayTable>,
    office_hours: OfficeHours,
    offset: FixedOffset,
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        WorkingCalendar::new(HolidayTable::builtin())
    }
}

/// China Standard Time. China has kept UTC+8 without daylight saving since 1991.
pub fn china_standard_time() -> FixedOffset {
    const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => panic!("UTC+8 is a valid offset"),
    };
    CST
}

impl WorkingCalendar {
    pub fn new(table: HolidayTable) -> Self {
        WorkingCalendar {
            table: Arc::new(table),
            office_hours: OfficeHours::default(),
            offset: china_standard_time(),
        }
    }

    pub fn with_office_hours(mut self, hours: OfficeHours) -> Self {
        self.office_hours = hours;
        self
    }

    pub fn with_offset(mut self, offset: FixedOffset) -> Self {
        self.offset = offset;
        self
    }

    pub fn table(&self) -> &HolidayTable {
        &self.table
    }

    pub fn office_hours(&self) -> &OfficeHours {
        &self.office_hours
    }

    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// The kind of `date`; provisional when the table does not cover its year.
    pub fn day_kind(&self, date: NaiveDate) -> Reckoned<DayKind> {
        let kind = match self.table.marked(date) {
            Some((Marked::Rest { name }, _)) => DayKind::Holiday { name },
            Some((Marked::MakeUpWork { name }, _)) => DayKind::MakeUpWorkday { name },
            None if is_weekend(date) => DayKind::Weekend,
            None => DayKind::Workday,
        };
        Reckoned {
            value: kind,
            provisional: !self.table.covers(date),
        }
    }

    /// Whether people work on `date`. Cheaper than [`Self::day_kind`]: no names are copied.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.table.marked(date) {
            Some((Marked::Rest { .. }, _)) => false,
            Some((Marked::MakeUpWork { .. }, _)) => true,
            None => !is_weekend(date),
        }
    }

    /// The date `n` working days after `start`. The day after the start is the first day counted, so
    /// adding 1 to a Friday before an ordinary weekend gives the Monday. Adding 0 gives `start` itself.
    /// `None` only when the result would lie beyond [`MAX_SPAN_DAYS`] or the end of the calendar.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Option<Reckoned<NaiveDate>> {
        let mut provisional = !self.table.covers(start) && n > 0;
        let mut date = start;
        let mut left = n;
        let mut walked = 0u64;
        while left > 0 {
            date = date.checked_add_days(Days::new(1))?;
            walked += 1;
            if walked > MAX_SPAN_DAYS {
                return None;
            }
            provisional |= !self.table.covers(date);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        Some(Reckoned {
            value: date,
            provisional,
        })
    }

    /// The number of working days after `from` up to and including `to`: the inverse of
    /// [`Self::add_working_days`]. Negative when `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Reckoned<i64> {
        let (a, b, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0i64;
        let mut provisional = false;
        for d in a.iter_days().skip(1).take_while(|d| *d <= b) {
            provisional |= !self.table.covers(d);
            if self.is_working_day(d) {
                count += 1;
            }
        }
        Reckoned {
            value: sign * count,
            provisional,
        }
    }

    /// The local date of an instant.
    pub fn local_date(&self, t: Timestamp) -> NaiveDate {
        self.local(t).date_naive()
    }

    fn local(&self, t: Timestamp) -> chrono::DateTime<FixedOffset> {
        // Clamp to about ±190,000 years, well inside chrono's range even after the offset is applied.
        const EDGE: i64 = 6_000_000_000_000_000;
        let ms = t.as_millis().clamp(-EDGE, EDGE);
        let utc = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).unwrap_or_default();
        utc.with_timezone(&self.offset)
    }

    /// The instant a local date begins (00:00 local time).
    pub fn start_of_day(&self, date: NaiveDate) -> Timestamp {
        let secs =
            date.and_time(NaiveTime::MIN).and_utc().timestamp() - i64::from(self.offset.local_minus_utc());
        Timestamp::from_millis(secs * 1000)
    }

    /// The instant `hours` working hours after `start`, counting only office hours on working days.
    /// Starting outside office hours, the count begins when the office next opens.
    pub fn add_working_hours(&self, start: Timestamp, hours: u32) -> Option<Reckoned<Timestamp>> {
        self.add_working_millis(start, i64::from(hours) * 60 * MS_PER_MINUTE)
    }

    /// The instant `ms` milliseconds of office time after `start`.
    pub(crate) fn add_working_millis(&self, start: Timestamp, ms: i64) -> Option<Reckoned<Timestamp>> {
        let mut left = ms.max(0);
        let mut date = self.local_date(start);
        let mut provisional = false;
        for _ in 0..=MAX_SPAN_DAYS {
            let day_start = self.start_of_day(date);
            if self.is_working_day(date) {
                provisional |= !self.table.covers(date);
                for &(a, b) in self.office_hours.intervals() {
                    let open = day_start.plus_millis(i64::from(a) * MS_PER_MINUTE);
                    let close = day_start.plus_millis(i64::from(b) * MS_PER_MINUTE);
                    let from = open.max(start);
                    if from >= close {
                        continue;
                    }
                    let available = close.as_millis() - from.as_millis();
                    if left <= available {
                        // Ending exactly at a close instant stays at the close, not the next opening.
                        return Some(Reckoned {
                            value: from.plus_millis(left),
                            provisional,
                        });
                    }
                    left -= available;
                }
            }
            date = date.checked_add_days(Days::new(1))?;
        }
        None
    }

    /// Office time in milliseconds between two instants (zero when `to` is not after `from`).
    pub fn working_millis_between(&self, from: Timestamp, to: Timestamp) -> Reckoned<i64> {
        let mut total = 0i64;
        let mut provisional = false;
        if to <= from {
            return Reckoned {
                value: 0,
                provisional,
            };
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        for date in first
            .iter_days()
            .take_while(|d| *d <= last)
            .take(MAX_SPAN_DAYS as usize)
        {
            if !self.is_working_day(date) {
                continue;
            }
            provisional |= !self.table.covers(date);
            let day_start = self.start_of_day(date);
            for &(a, b) in self.office_hours.intervals() {
                let open = day_start.plus_millis(i64::from(a) * MS_PER_MINUTE).max(from);
                let close = day_start.plus_millis(i64::from(b) * MS_PER_MINUTE).min(to);
                total += (close.as_millis() - open.as_millis()).max(0);
            }
        }
        Reckoned {
            value: total,
            provisional,
        }
    }

    /// The instant `days` natural days after `start`.
    pub fn add_natural_days(&self, start: Timestamp, days: u32) -> Timestamp {
        start.plus_millis(i64::from(days) * MS_PER_DAY)
    }

    /// The instant `hours` natural hours after `start`.
    pub fn add_natural_hours(&self, start: Timestamp, hours: u32) -> Timestamp {
        start.plus_millis(i64::from(hours) * 60 * MS_PER_MINUTE)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}
