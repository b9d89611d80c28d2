//! The construction-approval path as data (国办发〔2019〕11号): four stages in order, each with its lead
//! department, the items a project of a given type needs in it, and whether it may start while the stage
//! before is still open (并联); a target in working days from land to construction permit.

use serde::{Deserialize, Serialize};

use crate::values::Code;

/// 项目类型: the kind of investment decides the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectType {
    /// 政府投资项目.
    Government,
    /// 社会投资项目.
    Social,
    /// 小型低风险项目 (social investment, small and low-risk).
    SmallLowRisk,
}

impl ProjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectType::Government => "government",
            ProjectType::Social => "social",
            ProjectType::SmallLowRisk => "small_low_risk",
        }
    }
}

/// 重点项目级别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum KeyLevel {
    Province,
    City,
    District,
    /// Not a key project.
    None,
}

impl KeyLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyLevel::Province => "province",
            KeyLevel::City => "city",
            KeyLevel::District => "district",
            KeyLevel::None => "none",
        }
    }
}

/// The four stages of the unified approval process, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 立项用地规划许可.
    LandPlanning,
    /// 工程建设许可.
    EngineeringPermit,
    /// 施工许可.
    ConstructionPermit,
    /// 竣工验收.
    Completion,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::LandPlanning,
        Stage::EngineeringPermit,
        Stage::ConstructionPermit,
        Stage::Completion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::LandPlanning => "land_planning",
            Stage::EngineeringPermit => "engineering_permit",
            Stage::ConstructionPermit => "construction_permit",
            Stage::Completion => "completion",
        }
    }

    /// 1 to 4.
    pub fn number(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn previous(self) -> Option<Stage> {
        Stage::ALL.get(self.number().checked_sub(2)?).copied()
    }
}

/// One stage of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRule {
    pub stage: Stage,
    /// The department that leads the stage (牵头部门).
    pub lead: Code,
    /// The items a project of this type needs in this stage.
    pub items: Vec<Code>,
    /// May start while the stage before is still open (并联).
    #[serde(default)]
    pub parallel_with_previous: bool,
    /// Items that may run as 预审 before the land is acquired (拿地即开工): applied for whatever the
    /// stage, their approval held as provisional until the land certificate arrives.
    #[serde(default)]
    pub pre_review: Vec<Code>,
    /// Working days the stage may take from its start (its due point for reminders).
    #[serde(default)]
    pub days: Option<u32>,
}

/// The path of a project type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathDefinition {
    pub kind: ProjectType,
    pub name: String,
    /// Working days promised from land (the first stage's start) to the construction permit.
    pub target_days: u32,
    /// The department whose staff steer projects of this type (项目管家, 帮办).
    pub steward: Code,
    /// The certificate type that proves the land is acquired (不动产权证书), for 拿地即开工.
    #[serde(default)]
    pub land_certificate: Option<String>,
    pub stages: Vec<StageRule>,
}

impl PathDefinition {
    /// Checks the path: the four stages, each once, in order.
    pub fn validate(&self) -> Result<(), String> {
        let order: Vec<Stage> = self.stages.iter().map(|s| s.stage).collect();
        if order != Stage::ALL {
            return Err(format!(
                "the path of {} must list the four stages once each, in order",
                self.kind.as_str()
            ));
        }
        if self.target_days == 0 {
            return Err(format!(
                "the path of {} needs a target in working days",
                self.kind.as_str()
            ));
        }
        Ok(())
    }

    pub fn stage(&self, stage: Stage) -> Option<&StageRule> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}
