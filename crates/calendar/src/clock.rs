//! The clock of a time limit: start, limit, pauses and extensions → due instant, elapsed, remaining, state.
//!
//! The due instant is always derived from these facts, never stored, so it cannot drift when the holiday
//! table is corrected or a pause is recorded late.
//!
//! Day limits (working or natural days) are counted in whole days, as the law counts them: the day after
//! the start is the first day; the limit ends at midnight after its last day; a pause excludes every day
//! after the day it began up to and including the day it ended (the day the missing materials arrive does
//! not count, counting resumes the next day). Hour limits are counted to the millisecond, a pause
//! excluding exactly its own interval.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{MAX_SPAN_DAYS, Reckoned, WorkingCalendar};
use crate::time::{MS_PER_DAY, MS_PER_HOUR, Timestamp};

/// A time limit. Written and stored in its compact form: `20wd`, `8wh`, `30d`, `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Limit {
    WorkingDays(u32),
    WorkingHours(u32),
    NaturalDays(u32),
    NaturalHours(u32),
}

impl Limit {
    pub fn amount(self) -> u32 {
        match self {
            Limit::WorkingDays(n)
            | Limit::WorkingHours(n)
            | Limit::NaturalDays(n)
            | Limit::NaturalHours(n) => n,
        }
    }

    fn with_amount(self, n: u32) -> Limit {
        match self {
            Limit::WorkingDays(_) => Limit::WorkingDays(n),
            Limit::WorkingHours(_) => Limit::WorkingHours(n),
            Limit::NaturalDays(_) => Limit::NaturalDays(n),
            Limit::NaturalHours(_) => Limit::NaturalHours(n),
        }
    }

    /// Whether two limits are counted in the same unit (an extension must match its limit).
    pub fn same_unit(self, other: Limit) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }

    /// Milliseconds in one unit of the limit: a working day counts whole (24 h) days, a working hour an
    /// hour of office time.
    fn unit_millis(self) -> i64 {
        match self {
            Limit::WorkingDays(_) | Limit::NaturalDays(_) => MS_PER_DAY,
            Limit::WorkingHours(_) | Limit::NaturalHours(_) => MS_PER_HOUR,
        }
    }

    /// A rough length in natural days, for comparing limits of different units (a working day counts
    /// as 7/5 natural days, a working hour as an eighth of a working day). Never for deadlines.
    pub fn rough_natural_days(self) -> u64 {
        match self {
            Limit::WorkingDays(n) => u64::from(n) * 7 / 5,
            Limit::NaturalDays(n) => u64::from(n),
            Limit::WorkingHours(n) => u64::from(n).div_ceil(8) * 7 / 5,
            Limit::NaturalHours(n) => u64::from(n).div_ceil(24),
        }
    }

    /// The unit in Chinese, as the UI shows it: 工作日, 工作小时, 自然日, 小时.
    pub fn unit_zh(self) -> &'static str {
        match self {
            Limit::WorkingDays(_) => "个工作日",
            Limit::WorkingHours(_) => "个工作小时",
            Limit::NaturalDays(_) => "个自然日",
            Limit::NaturalHours(_) => "小时",
        }
    }

    /// Compact form used in files: `20wd`, `8wh`, `30d`, `2h`.
    pub fn compact(self) -> String {
        let unit = match self {
            Limit::WorkingDays(_) => "wd",
            Limit::WorkingHours(_) => "wh",
            Limit::NaturalDays(_) => "d",
            Limit::NaturalHours(_) => "h",
        };
        format!("{}{unit}", self.amount())
    }
}

impl From<Limit> for String {
    fn from(l: Limit) -> String {
        l.compact()
    }
}

impl TryFrom<String> for Limit {
    type Error = LimitParseError;
    fn try_from(s: String) -> Result<Limit, LimitParseError> {
        s.parse()
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Limit::WorkingDays(n) => (n, "working day"),
            Limit::WorkingHours(n) => (n, "working hour"),
            Limit::NaturalDays(n) => (n, "natural day"),
            Limit::NaturalHours(n) => (n, "natural hour"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a time limit; write a whole number and a unit: 20wd (working days), 8wh (working hours), \
     30d (natural days) or 2h (natural hours)"
)]
pub struct LimitParseError(pub String);

impl FromStr for Limit {
    type Err = LimitParseError;

    /// Accepts the compact form (`20wd`, `8wh`, `30d`, `2h`) and the long English form (`20 working days`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || LimitParseError(text.to_owned());
        let t = text.trim();
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let n: u32 = t[..digits].parse().map_err(|_| err())?;
        let unit = t[digits..].trim().to_ascii_lowercase();
        let limit = match unit.trim_end_matches('s') {
            "wd" | "working day" => Limit::WorkingDays(n),
            "wh" | "working hour" => Limit::WorkingHours(n),
            "d" | "natural day" | "day" => Limit::NaturalDays(n),
            "h" | "natural hour" | "hour" => Limit::NaturalHours(n),
            _ => return Err(err()),
        };
        Ok(limit)
    }
}

/// A pause of the clock (补正 supplement, 特别程序 hearing, testing, expert review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    /// `None` while the pause is still open.
    pub until: Option<Timestamp>,
    pub reason: String,
}

/// More time (延期), granted by an approver with a reason. Its limit must be in the clock's own unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub limit: Limit,
    pub reason: String,
    pub approver: String,
}

/// The facts of a clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub start: Timestamp,
    pub limit: Limit,
    #[serde(default)]
    pub pauses: Vec<Pause>,
    #[serde(default)]
    pub extensions: Vec<Extension>,
}

/// The state of a clock at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    /// Past the warning share of the limit (黄牌).
    Warning,
    /// Past the due instant (红牌).
    Overdue,
    /// Stopped by an open pause.
    Paused,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Warning => "warning",
            ClockState::Overdue => "overdue",
            ClockState::Paused => "paused",
        }
    }
}

/// What a clock reads at an instant. Elapsed and remaining are in milliseconds of the limit's own
/// time: a working-day limit counts only working days, a working-hour limit only office time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockReading {
    /// When the limit runs out; `None` while an open pause holds the clock.
    pub due: Option<Timestamp>,
    /// The limit with every extension added.
    pub total: Limit,
    pub total_ms: i64,
    pub elapsed_ms: i64,
    /// Negative once overdue: by how much.
    pub remaining_ms: i64,
    pub state: ClockState,
    /// True when any date counted lies outside the holiday table.
    pub provisional: bool,
    /// The instant a warning begins (the warning share of the limit used); `None` while paused.
    pub warning_at: Option<Timestamp>,
}

/// How a clock warns. The share is in per mille of the limit: 800 warns when 80 % is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockPolicy {
    pub warning_permille: u32,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        ClockPolicy {
            warning_permille: 800,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("an extension of {extension} cannot be added to a limit counted in another unit ({limit})")]
    ExtensionUnit { limit: Limit, extension: Limit },
    #[error("the limit is too long to count: it would end more than {MAX_SPAN_DAYS} days after the start")]
    TooLong,
}

impl Clock {
    pub fn new(start: Timestamp, limit: Limit) -> Self {
        Clock {
            start,
            limit,
            pauses: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// The limit with every extension added.
    pub fn total(&self) -> Result<Limit, ClockError> {
        let mut n = self.limit.amount();
        for e in &self.extensions {
            if !self.limit.same_unit(e.limit) {
                return Err(ClockError::ExtensionUnit {
                    limit: self.limit,
                    extension: e.limit,
                });
            }
            n = n.saturating_add(e.limit.amount());
        }
        Ok(self.limit.with_amount(n))
    }

    /// Whether an open pause holds the clock.
    pub fn is_paused(&self) -> bool {
        self.pauses.iter().any(|p| p.until.is_none())
    }

    /// Reads the clock at `now`.
    pub fn read(
        &self,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
        now: Timestamp,
    ) -> Result<ClockReading, ClockError> {
        let total = self.total()?;
        let total_ms = i64::from(total.amount()) * total.unit_millis();
        if total_ms / MS_PER_DAY > MAX_SPAN_DAYS as i64 {
            return Err(ClockError::TooLong);
        }
        let warn_ms = (i128::from(total_ms) * i128::from(policy.warning_permille.min(1000)) / 1000) as i64;
        let counted = match total {
            Limit::WorkingDays(_) => self.read_days(calendar, total_ms, warn_ms, now, true)?,
            Limit::NaturalDays(_) => self.read_days(calendar, total_ms, warn_ms, now, false)?,
            Limit::WorkingHours(_) => self.read_hours(calendar, total_ms, warn_ms, now, true)?,
            Limit::NaturalHours(_) => self.read_hours(calendar, total_ms, warn_ms, now, false)?,
        };
        let Counted {
            due,
            warning_at,
            elapsed_ms,
            provisional,
        } = counted;
        // Overdue wins over paused: a limit that ran out before the pause stays run out.
        let state = if due.is_some_and(|d| now >= d) {
            ClockState::Overdue
        } else if self.is_paused() {
            ClockState::Paused
        } else if warning_at.is_some_and(|w| now >= w) {
            ClockState::Warning
        } else {
            ClockState::Running
        };
        Ok(ClockReading {
            due,
            total,
            total_ms,
            elapsed_ms,
            remaining_ms: total_ms - elapsed_ms,
            state,
            provisional,
            warning_at,
        })
    }

    /// Pauses clamped to the start, sorted, with overlaps merged; `None` ends mean "still open".
    fn merged_pauses(&self) -> Vec<(Timestamp, Option<Timestamp>)> {
        let mut spans: Vec<(Timestamp, Option<Timestamp>)> = self
            .pauses
            .iter()
            .map(|p| {
                (
                    p.from.max(self.start),
                    p.until.map(|u| u.max(p.from.max(self.start))),
                )
            })
            .collect();
        spans.sort_by_key(|s| s.0);
        let mut merged: Vec<(Timestamp, Option<Timestamp>)> = Vec::with_capacity(spans.len());
        for (from, until) in spans {
            if let Some(last) = merged.last_mut() {
                let overlaps = match last.1 {
                    None => true,
                    Some(end) => from <= end,
                };
                if overlaps {
                    last.1 = match (last.1, until) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                    continue;
                }
            }
            merged.push((from, until));
        }
        merged
    }

    fn read_days(
        &self,
        calendar: &WorkingCalendar,
        total_ms: i64,
        warn_ms: i64,
        now: Timestamp,
        working: bool,
    ) -> Result<Counted, ClockError> {
        let start_date = calendar.local_date(self.start);
        let now_date = calendar.local_date(now);
        // Excluded days: after the day a pause began, up to and including the day it ended.
        let excluded: Vec<(NaiveDate, Option<NaiveDate>)> = self
            .merged_pauses()
            .into_iter()
            .map(|(from, until)| (calendar.local_date(from), until.map(|u| calendar.local_date(u))))
            .collect();
        let is_excluded = |d: NaiveDate| excluded.iter().any(|&(a, b)| d > a && b.is_none_or(|b| d <= b));
        let mut provisional = false;
        let mut counted_ms = 0i64;
        let mut elapsed_ms = 0i64;
        let mut due = None;
        let mut warning_at = None;
        let needed_days = total_ms / MS_PER_DAY;
        if needed_days == 0 {
            due =
                Some(calendar.start_of_day(start_date.checked_add_days(Days::new(1)).unwrap_or(start_date)));
            warning_at = due;
        }
        let mut date = start_date;
        for _ in 0..MAX_SPAN_DAYS {
            let done_due = due.is_some() || self.is_paused_before(&excluded, date);
            if done_due && date >= now_date {
                break;
            }
            let Some(next) = date.checked_add_days(Days::new(1)) else {
                break;
            };
            date = next;
            if is_excluded(date) || (working && !calendar.is_working_day(date)) {
                continue;
            }
            provisional |= working && !calendar.table().covers(date);
            let day_start = calendar.start_of_day(date);
            // Elapsed: the part of this day that has passed by `now`.
            elapsed_ms += (now.as_millis() - day_start.as_millis()).clamp(0, MS_PER_DAY);
            if due.is_none() {
                let before = counted_ms;
                counted_ms += MS_PER_DAY;
                if warning_at.is_none() && counted_ms >= warn_ms {
                    warning_at = Some(day_start.plus_millis((warn_ms - before).max(0)));
                }
                if counted_ms >= total_ms {
                    due = Some(day_start.plus_millis(MS_PER_DAY));
                }
            }
        }
        if due.is_none() && !self.is_paused() {
            return Err(ClockError::TooLong);
        }
        if self.is_paused() {
            // While paused, the due instant is unknown; the warning instant too, unless already past.
            if due.is_some_and(|d| d > now) || due.is_none() {
                due = None;
            }
            if warning_at.is_some_and(|w| w > now) {
                warning_at = None;
            }
        }
        Ok(Counted {
            due,
            warning_at,
            elapsed_ms,
            provisional,
        })
    }

    /// True when an open pause began on or before `date`: counting cannot go past it.
    fn is_paused_before(&self, excluded: &[(NaiveDate, Option<NaiveDate>)], date: NaiveDate) -> bool {
        excluded.iter().any(|&(a, b)| b.is_none() && date >= a)
    }

    fn read_hours(
        &self,
        calendar: &WorkingCalendar,
        total_ms: i64,
        warn_ms: i64,
        now: Timestamp,
        working: bool,
    ) -> Result<Counted, ClockError> {
        let mut provisional = false;
        let mut measure = |a: Timestamp, b: Timestamp| -> i64 {
            if working {
                let r = calendar.working_millis_between(a, b);
                provisional |= r.provisional;
                r.value
            } else {
                (b.as_millis() - a.as_millis()).max(0)
            }
        };
        let pauses = self.merged_pauses();
        // Elapsed: the limit's time from the start to now, less the paused intervals.
        let mut elapsed_ms = measure(self.start, now.max(self.start));
        for &(from, until) in &pauses {
            let end = until.unwrap_or(now).min(now);
            if end > from {
                elapsed_ms -= measure(from, end);
            }
        }
        // Due and warning: walk the running segments between pauses.
        let find = |needed: i64, provisional: &mut bool| -> Result<Option<Timestamp>, ClockError> {
            let mut cursor = self.start;
            let mut left = needed;
            let add = |from: Timestamp, ms: i64, provisional: &mut bool| -> Result<Timestamp, ClockError> {
                if working {
                    let r = calendar.add_working_millis(from, ms).ok_or(ClockError::TooLong)?;
                    *provisional |= r.provisional;
                    Ok(r.value)
                } else {
                    Ok(from.plus_millis(ms))
                }
            };
            for &(from, until) in &pauses {
                let available = if working {
                    let r = calendar.working_millis_between(cursor, from);
                    *provisional |= r.provisional;
                    r.value
                } else {
                    (from.as_millis() - cursor.as_millis()).max(0)
                };
                if left <= available {
                    return add(cursor, left, provisional).map(Some);
                }
                left -= available;
                match until {
                    Some(u) => cursor = u,
                    None => return Ok(None),
                }
            }
            add(cursor, left, provisional).map(Some)
        };
        let mut p = false;
        let due = find(total_ms, &mut p)?;
        let warning_at = find(warn_ms, &mut p)?;
        Ok(Counted {
            due,
            warning_at,
            elapsed_ms,
            provisional: provisional || p,
        })
    }
}

struct Counted {
    due: Option<Timestamp>,
    warning_at: Option<Timestamp>,
    elapsed_ms: i64,
    provisional: bool,
}

/// Convenience: the due instant of a plain limit started at `start`, with no pauses or extensions.
pub fn due_after(
    calendar: &WorkingCalendar,
    start: Timestamp,
    limit: Limit,
) -> Result<Reckoned<Timestamp>, ClockError> {
    let reading = Clock::new(start, limit).read(calendar, ClockPolicy::default(), start)?;
    let due = reading.due.ok_or(ClockError::TooLong)?;
    Ok(Reckoned {
        value: due,
        provisional: reading.provisional,
    })
}
