//! The case (办件): one application for an item or a bundle, from submission to delivery.
//!
//! Commands are decided against the current state by the pure [`Case::decide`], which returns the
//! journal entries (events) to record; [`Case::apply`] folds an entry into the state. `decide` works on a
//! scratch copy and applies each event as it emits it, so the process engine always sees the state its
//! previous events produced, and there is exactly one place (`apply`) that changes a case.
//!
//! - `model.rs`: the state and its queries; `events.rs`: what is recorded; `commands.rs`: what is asked;
//! - `decide.rs`: opening and deciding (`acceptance.rs`: 受理); `flow.rs`: the process engine; `apply.rs`: folding entries in;
//! - `clocks.rs`: limits, timers and clock checks; `available.rs`: what a reader may do now;
//! - `review.rs`: 云会商 (joint review meetings into the countersign) and 云勘验 (inspection evidence);
//! - `shared.rs`: the items an application asks for, and 秒批 (accepted by onego at submission).

mod acceptance;
mod apply;
mod available;
mod clocks;
mod commands;
mod decide;
mod events;
mod flow;
mod model;
mod next;
pub mod review;
pub mod shared;
pub use next::submitted_done;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use onego_calendar::{Clock, ClockPolicy, ClockState, Extension, Limit, Pause, Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{Bundle, Handling, MaterialSpec, Necessity, ServiceItem};
use crate::labels::Label;
use crate::messages::Msg;
use crate::org::Actor;
use crate::process::{ITEM_DEPARTMENT, NodeKind, Outcome, ProcessDefinition, TaskAction};
use crate::values::{ApplicantId, CaseNumber, Code, FileRef, Mobile};

pub use crate::timer::Alarm;
pub use available::Available;
pub use clocks::{COLLECTION_REMINDER_DAYS, ClockTarget, TimerSpec};
pub use commands::{CaseCommandKind, CaseError, Command, Context, SubjectRef, Submission};
use commands::{invalid, now_illegal};
pub use events::{Entry, Event};
pub use model::*;
pub use review::{CheckItem, Evidence, EvidenceKind, Inspection, Meeting, MeetingOpinion};

pub type CaseId = i64;
pub type TaskId = u32;

/// Looks up catalog entries and process definitions. A running case names exact versions, so it keeps
/// the versions it started with.
pub trait Registry: Sync {
    fn item(&self, code: &Code, on: NaiveDate) -> Option<&ServiceItem>;
    fn item_version(&self, code: &Code, version: u32) -> Option<&ServiceItem>;
    fn bundle(&self, code: &Code, on: NaiveDate) -> Option<&Bundle>;
    fn process(&self, code: &Code, version: u32) -> Option<&ProcessDefinition>;
    fn latest_process(&self, code: &Code) -> Option<&ProcessDefinition>;
}
