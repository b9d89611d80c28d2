//! The kinds of work onego runs on its one engine (an aggregate each: state, journal, clocks, timers).

use serde::{Deserialize, Serialize};

/// Which kind of work a journal entry, task or timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateKind {
    /// An application (办件).
    Case,
    /// A request (诉求) or grid event.
    Ticket,
    /// An electronic certificate (电子证照).
    Certificate,
    /// A major project (重大项目) and its approval plan.
    Project,
    /// An agency agreement (代办协议) between an enterprise and an agent.
    Agreement,
}

impl AggregateKind {
    pub const ALL: [AggregateKind; 5] = [
        AggregateKind::Case,
        AggregateKind::Ticket,
        AggregateKind::Certificate,
        AggregateKind::Project,
        AggregateKind::Agreement,
    ];

    /// The code stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateKind::Case => "case",
            AggregateKind::Ticket => "ticket",
            AggregateKind::Certificate => "certificate",
            AggregateKind::Project => "project",
            AggregateKind::Agreement => "agreement",
        }
    }

    pub fn parse(text: &str) -> Option<AggregateKind> {
        AggregateKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}
