//! onego's working-day calendar. Pure and deterministic: no I/O, no clock of its own — every instant
//! is passed in.
//!
//! - [`HolidayTable`]: statutory rest days and make-up working days (调休上班) from the State Council's
//!   annual notices, shipped as data and overridable by a file; regions may add local rest days.
//! - [`WorkingCalendar`]: day kinds, adding and counting working days, working hours in office hours.
//! - [`Clock`]: a time limit with pauses and extensions → due instant, elapsed, remaining, state.
//!
//! Dates outside the table are counted by weekends alone and every result says so ([`Reckoned`]).

mod calendar;
mod clock;
mod table;
mod time;

pub use calendar::{
    DayKind, MAX_SPAN_DAYS, OfficeHours, OfficeHoursError, Reckoned, WorkingCalendar, china_standard_time,
};
pub use clock::{
    Clock, ClockError, ClockPolicy, ClockReading, ClockState, Extension, Limit, LimitParseError, Pause,
    due_after,
};
pub use table::{BUILTIN_TOML, HolidayPeriod, HolidayTable, Marked, TableError};
pub use time::{MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, Timestamp};
