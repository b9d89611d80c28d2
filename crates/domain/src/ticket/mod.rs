//! Requests (诉求, tickets) of the 12345 hotline and grid events: the closed loop
//! received → dispatched → signed (or returned) → replied → return visit → closed (or reopened).
//!
//! Like a case, a ticket is decided by a pure `decide` that emits entries and an `apply` that folds them;
//! its limits are `onego_calendar` clocks, so warnings, overdue marks and timers work as they do for cases.
//!
//! - `model.rs`: the state and its vocabulary; `events.rs`: what is recorded; `commands.rs`: what is asked;
//! - `receive.rs`: intake; `decide.rs`: one rule per command; `apply.rs`: folding entries in;
//! - `clocks.rs`: the SLA clocks and their timers.

mod apply;
mod clocks;
mod commands;
mod decide;
mod events;
mod model;
mod next;
mod receive;

use onego_calendar::{Clock, ClockPolicy, ClockState, Limit, Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};

use crate::labels::Label;
use crate::messages::Msg;
use crate::org::Actor;
pub use crate::timer::Alarm;
use crate::values::{Code, Mobile};

pub use commands::{Intake, MergeTarget, TicketCommand, TicketCommandKind, TicketContext, TicketError};
use commands::{invalid, now_illegal};
pub use events::{TicketEntry, TicketEvent};
pub use model::*;
pub use next::step_label;
pub use receive::check_content;
