//! Major projects (重大项目) from land to start of works: the approval path as data (`path.rs`) and
//! the project aggregate with its plan, stages and procedures (`model.rs`), and the steward's ledger —
//! team, who answers for what by when, visits, problems and their whistles, delay checks (`ledger.rs`),
//! 拿地即开工 (`land.rs`), and folding entries into the state (`apply.rs`).

mod apply;
pub mod land;
pub mod ledger;
pub mod model;
pub mod path;

pub use ledger::{Member, Problem, Team, Visit};
pub use model::{
    Investor, NewProject, Procedure, Project, ProjectCommand, ProjectEntry, ProjectError, ProjectEvent, Site,
    StageState,
};
pub use path::{KeyLevel, PathDefinition, ProjectType, Stage, StageRule};
