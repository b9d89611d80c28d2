//! Instants as integer epoch milliseconds (UTC), the way onego stores them.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

pub const MS_PER_MINUTE: i64 = 60_000;
pub const MS_PER_HOUR: i64 = 3_600_000;
pub const MS_PER_DAY: i64 = 86_400_000;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Saturating: instants near the ends of `i64` are clamped, never wrapped.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn from_datetime<Tz: chrono::TimeZone>(t: &DateTime<Tz>) -> Self {
        Timestamp(t.timestamp_millis())
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or(if self.0 < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
    }

    /// RFC 3339 in the given offset, to the second: `2026-02-13T09:30:00+08:00`.
    pub fn to_rfc3339_in(self, offset: FixedOffset) -> String {
        self.to_utc()
            .with_timezone(&offset)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    /// Parses RFC 3339 (`2026-02-13T09:30:00+08:00`).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Timestamp::from_datetime(&t))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}
