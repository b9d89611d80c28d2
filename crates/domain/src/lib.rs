//! onego's pure rules. No I/O, no clock, no database: every rule is tested with the time passed in.
//!
//! - [`values`]: validated values (统一社会信用代码, resident ID, mobile, case numbers, codes).
//! - [`catalog`]: service items, materials, bundles (一件事).
//! - [`process`]: process definitions as versioned graphs, read from TOML and validated.
//! - [`rule`]: the small rule language of automatic steps and choices.
//! - [`case`]: the case aggregate — commands, events, `decide` and `apply`, clocks and timers.
//! - [`grid`]: governance areas from GeoJSON; which grid an event's coordinates fall in.
//! - [`hotline`]: the hotline's data — request categories and their questions, SLA profiles.
//! - [`project`]: major projects — the approval path as data, the project aggregate and its plan.
//! - [`ticket`]: requests of the 12345 hotline and grid events — the closed loop with SLA clocks.
//! - [`timer`]: what the clocks of every kind of work share (their alarms).
//! - [`aggregate`]: the kinds of work on the engine; [`labels`]: every code's name in Chinese and English.
//! - [`org`] and [`policy`]: users, roles and who may do what.
//! - [`privacy`]: how personal data is masked for viewers who may not see it.

pub mod agency;
pub mod aggregate;
pub mod case;
pub mod catalog;
pub mod certificate;
pub mod delivery;
pub mod grid;
pub mod hotline;
pub mod labels;
pub mod messages;
pub mod org;
pub mod policy;
pub mod privacy;
pub mod process;
pub mod project;
pub mod reform;
pub mod rule;
pub mod ticket;
pub mod timer;
pub mod values;
