//! What onego's tests share, so no test file keeps its own copy: temporary databases on both backends
//! ([`db`]), the demo city's people ([`actors`]), a seeded store and engine ([`seed`]), builders of the
//! commands tests send most ([`commands`]) and, with the `web` feature, one server and its client
//! ([`app`]).
//!
//! A dev-dependency only: it turns on the store's `raw` feature, which hands tests a connection.

// Test helpers panic with a message on any setup failure: that is the test failing.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod actors;
#[cfg(feature = "web")]
pub mod app;
pub mod commands;
pub mod db;
pub mod seed;

pub use actors::*;
#[cfg(feature = "web")]
pub use app::{App, Session};
pub use db::{TestDb, databases};
pub use seed::{engine_on, seeded_store};

/// An instant given as local (UTC+8) wall time, e.g. `at("2026-03-02T09:00:00")`.
pub fn at(local: &str) -> onego_calendar::Timestamp {
    onego_calendar::Timestamp::parse_rfc3339(&format!("{local}+08:00"))
        .unwrap_or_else(|| panic!("a local time like 2026-03-02T09:00:00, not {local}"))
}
