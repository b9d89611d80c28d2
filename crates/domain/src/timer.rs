//! What clocks of every kind of work share: the two alarms a running clock raises.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    Warning,
    Overdue,
}

impl Alarm {
    pub fn as_str(self) -> &'static str {
        match self {
            Alarm::Warning => "warning",
            Alarm::Overdue => "overdue",
        }
    }
}
