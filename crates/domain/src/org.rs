//! Organisation: departments, users, roles, and the actor behind every command.

use serde::{Deserialize, Serialize};

use crate::values::{ApplicantId, Code, Uscc};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: Code,
    pub name: String,
    #[serde(default)]
    pub uscc: Option<Uscc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A citizen or enterprise: their own cases only.
    Applicant,
    /// Window clerk (综合窗口): accepts any item and hands out results.
    Clerk,
    /// Department approver: the tasks of their department.
    Approver,
    /// Department supervisor: grants extensions, sees the department's cases.
    Supervisor,
    /// Leader: reads statistics and the cases behind them.
    Leader,
    /// Hotline operator (话务员): registers requests.
    Operator,
    /// Hotline centre (12345 派单/回访): dispatches, decides extensions, visits back, merges, supervises.
    Dispatcher,
    /// Grid member (网格员), and community or street grid staff: reports events in their area,
    /// resolves them there or escalates. Their "department" is the area code.
    GridMember,
    /// Agent (代办员): acts for the enterprises that signed an agency agreement with them, within its
    /// scope and validity (see `agency`).
    Agent,
    /// Administrator: catalog, processes, departments, users.
    Admin,
    /// onego itself (timers, imports).
    System,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Applicant,
        Role::Clerk,
        Role::Approver,
        Role::Supervisor,
        Role::Leader,
        Role::Operator,
        Role::Dispatcher,
        Role::GridMember,
        Role::Agent,
        Role::Admin,
        Role::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Clerk => "clerk",
            Role::Approver => "approver",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Operator => "operator",
            Role::Dispatcher => "dispatcher",
            Role::GridMember => "grid_member",
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    /// Roles that belong to a department and must name one.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Approver | Role::Supervisor | Role::GridMember)
    }
}

/// Whoever issues a command, as the journal records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub department: Option<Code>,
    /// For applicants: the person or organisation they are.
    #[serde(default)]
    pub applicant: Option<ApplicantId>,
    /// For agents: the agency agreements they hold (loaded with the account); in a journal entry, the
    /// one the step was taken under — "by agent X for enterprise Y".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mandates: Vec<crate::agency::Mandate>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: 0,
            username: "system".into(),
            name: "系统".into(),
            role: Role::System,
            department: None,
            applicant: None,
            mandates: Vec::new(),
        }
    }
}

/// What an API token may reach. A token never reaches more than its user could, and never creates
/// tokens (that needs a logged-in session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// The JSON API, as the user (scripts, integrations).
    Api,
    /// The JSON API, reading only (reports, dashboards elsewhere).
    ApiRead,
    /// An Open311 partner key: submitting requests through Open311, nothing else.
    Open311,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Api, TokenScope::ApiRead, TokenScope::Open311];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Api => "api",
            TokenScope::ApiRead => "api_read",
            TokenScope::Open311 => "open311",
        }
    }

    pub fn parse(text: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }
}
