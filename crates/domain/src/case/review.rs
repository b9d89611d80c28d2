//! 云会商 and 云勘验 on a case under review. A reviewing department convenes a joint review meeting
//! (topic, the departments invited, the time, an online meeting link) and records its minutes with each
//! department's opinion; an opinion of a department that holds an open countersign (会签) task of the
//! case completes that task, so the meeting replaces the round of separate signatures. A department
//! records remote inspection evidence on its own open task (photos and short videos, each with the time
//! and place it was taken, the inspector's checklist and conclusion). Both appear in the timeline and
//! feed the statistics (inspection time, meeting to decision).

use super::decide::Run;
use super::*;

/// Longest topic, opinion or checklist line; longest minutes or conclusion, in characters.
pub const MAX_LINE: usize = 200;
pub const MAX_TEXT: usize = 2000;
/// At most this many departments at a meeting, evidence files or checklist lines on an inspection.
pub const MAX_ITEMS: usize = 20;

/// A joint review meeting (联合审查会, 云会商).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: u32,
    pub topic: String,
    pub departments: Vec<Code>,
    /// When it is held.
    pub at: Timestamp,
    /// The online meeting's address (https), when it is held online.
    #[serde(default)]
    pub link: Option<String>,
    pub convened_by: Code,
    pub convened_at: Timestamp,
    /// Recorded after it: the minutes and each department's opinion.
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub held_at: Option<Timestamp>,
    #[serde(default)]
    pub opinions: Vec<MeetingOpinion>,
}

/// A department's opinion at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingOpinion {
    pub department: Code,
    pub agree: bool,
    pub opinion: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Photo,
    Video,
}

/// One photo or video taken at the inspection, with when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub file: FileRef,
    pub kind: EvidenceKind,
    pub captured_at: Timestamp,
    pub lat: f64,
    pub lon: f64,
}

/// A line of the inspector's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    pub item: String,
    pub passed: bool,
}

/// A remote inspection (云勘验) recorded on a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub id: u32,
    pub task: TaskId,
    pub department: Code,
    pub inspector: String,
    pub evidence: Vec<Evidence>,
    pub checklist: Vec<CheckItem>,
    pub conclusion: String,
    /// Every checklist line passed.
    pub passed: bool,
    pub recorded_at: Timestamp,
    /// When the task it was made for opened: inspection time is counted from it.
    pub task_opened_at: Timestamp,
}

fn line(text: &str, max: usize, field: &str, zh: &str, en: &str) -> Result<String, CaseError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max || crate::values::forbidden_char(t).is_some() {
        return invalid(
            Msg::new(
                "review_text",
                format!("{zh}（不超过{max}字）"),
                format!("{en} (at most {max} characters)"),
            )
            .at(field),
        );
    }
    Ok(t.to_owned())
}

/// An online meeting's address: https (or http) only, so a link drawn from it never runs a script.
fn meeting_link(link: &Option<String>) -> Result<Option<String>, CaseError> {
    let Some(l) = link.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let ok = (l.starts_with("https://") || l.starts_with("http://"))
        && l.len() <= 300
        && !l
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if !ok {
        return invalid(
            Msg::new(
                "meeting_link",
                "会议链接须是以 https:// 开头的网址",
                "the meeting link must be a web address starting with https://",
            )
            .at("link"),
        );
    }
    Ok(Some(l.to_owned()))
}

impl Run<'_, '_> {
    fn in_review(&self) -> Result<(), CaseError> {
        if self.case.status != CaseStatus::InReview {
            return now_illegal(Msg::new(
                "review_not_in_review",
                format!("办件审查中才能会商或勘验；该办件{}", self.case.status.zh()),
                format!(
                    "meetings and inspections happen while the case is in review; it is {}",
                    self.case.status.zh()
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn convene_meeting(
        &mut self,
        topic: &str,
        departments: &[Code],
        at: Timestamp,
        link: &Option<String>,
    ) -> Result<(), CaseError> {
        self.in_review()?;
        let topic = line(
            topic,
            MAX_LINE,
            "topic",
            "请写明会商议题",
            "give the meeting's topic",
        )?;
        let mut invited: Vec<Code> = Vec::new();
        for d in departments {
            if !invited.contains(d) {
                invited.push(d.clone());
            }
        }
        if invited.is_empty() || invited.len() > MAX_ITEMS {
            return invalid(
                Msg::new(
                    "meeting_departments",
                    "请选择参加会商的部门（1至20个）",
                    "choose the departments to invite (1 to 20)",
                )
                .at("departments"),
            );
        }
        if at.as_millis() + 86_400_000 < self.ctx.now.as_millis() {
            return invalid(
                Msg::new(
                    "meeting_time_past",
                    "会商时间不能早于今天",
                    "the meeting cannot be in the past",
                )
                .at("at"),
            );
        }
        let link = meeting_link(link)?;
        let convened_by = self.ctx.actor.department.clone().ok_or_else(|| {
            CaseError::Invalid(Msg::new(
                "meeting_by_department",
                "会商由审查该办件的部门发起",
                "a meeting is convened by a department reviewing the case",
            ))
        })?;
        let id = self.case.meetings.len() as u32 + 1;
        self.emit(Event::MeetingConvened {
            meeting: Meeting {
                id,
                topic,
                departments: invited,
                at,
                link,
                convened_by,
                convened_at: self.ctx.now,
                minutes: None,
                held_at: None,
                opinions: vec![],
            },
        });
        Ok(())
    }

    /// The minutes and opinions; each opinion of a department holding an open countersign task of the
    /// case completes that task (agree: approve; disagree: refuse), in the same decision.
    pub(super) fn record_meeting(
        &mut self,
        meeting: u32,
        minutes: &str,
        opinions: &[MeetingOpinion],
    ) -> Result<(), CaseError> {
        self.in_review()?;
        let Some(m) = self.case.meetings.iter().find(|m| m.id == meeting).cloned() else {
            return Err(CaseError::NotFound(Msg::new(
                "no_such_meeting",
                format!("该办件没有第 {meeting} 次会商"),
                format!("the case has no meeting {meeting}"),
            )));
        };
        if m.held_at.is_some() {
            return now_illegal(Msg::new(
                "meeting_recorded",
                "这次会商的纪要已经记录",
                "this meeting's minutes are recorded already",
            ));
        }
        if self.ctx.actor.department.as_ref() != Some(&m.convened_by) {
            return Err(CaseError::Invalid(Msg::new(
                "meeting_minutes_by_convener",
                "会商纪要由发起会商的部门记录",
                "the minutes are recorded by the department that convened the meeting",
            )));
        }
        let minutes = line(minutes, MAX_TEXT, "minutes", "请填写会商纪要", "give the minutes")?;
        let mut recorded: Vec<MeetingOpinion> = Vec::new();
        for o in opinions {
            if !m.departments.contains(&o.department) && o.department != m.convened_by {
                return invalid(
                    Msg::new(
                        "meeting_opinion_not_invited",
                        format!("部门 {} 没有受邀参加这次会商", o.department),
                        format!("department {} was not invited to this meeting", o.department),
                    )
                    .at("opinions"),
                );
            }
            if recorded.iter().any(|r| r.department == o.department) {
                continue;
            }
            let opinion = line(
                &o.opinion,
                MAX_LINE,
                "opinions",
                "请填写各部门的会商意见",
                "give each department's opinion",
            )?;
            recorded.push(MeetingOpinion {
                department: o.department.clone(),
                agree: o.agree,
                opinion,
            });
        }
        if recorded.is_empty() {
            return invalid(
                Msg::new(
                    "meeting_no_opinions",
                    "请记录参会部门的意见",
                    "record the departments' opinions",
                )
                .at("opinions"),
            );
        }
        self.emit(Event::MeetingHeld {
            meeting,
            minutes,
            opinions: recorded.clone(),
        });
        // Into the countersign: the open 会签 task of each department with an opinion.
        for o in &recorded {
            let task = self
                .case
                .open_tasks()
                .find(|t| t.group.is_some() && t.department == o.department)
                .map(|t| t.id);
            if let Some(task) = task {
                let action = if o.agree {
                    TaskAction::Approve
                } else {
                    TaskAction::Refuse
                };
                let text = format!("（云会商第{meeting}次）{}", o.opinion);
                self.act(task, action, None, &text)?;
            }
        }
        Ok(())
    }

    pub(super) fn record_inspection(
        &mut self,
        task: TaskId,
        evidence: &[Evidence],
        checklist: &[CheckItem],
        conclusion: &str,
    ) -> Result<(), CaseError> {
        self.in_review()?;
        let Some(t) = self.case.task(task).filter(|t| t.is_open()).cloned() else {
            return now_illegal(Msg::new(
                "inspection_task_not_open",
                "只能在办理中的环节上记录勘验",
                "an inspection is recorded on a task still open",
            ));
        };
        if evidence.is_empty() || evidence.len() > MAX_ITEMS {
            return invalid(
                Msg::new(
                    "inspection_evidence",
                    "请上传现场照片或视频（1至20个）",
                    "upload photos or videos from the site (1 to 20)",
                )
                .at("evidence"),
            );
        }
        for e in evidence {
            let place_ok = (-90.0..=90.0).contains(&e.lat) && (-180.0..=180.0).contains(&e.lon);
            let time_ok = e.captured_at <= self.ctx.now.plus_millis(5 * 60_000)
                && e.captured_at.as_millis() >= t.opened_at.as_millis() - 86_400_000;
            if !place_ok || !time_ok {
                return invalid(
                    Msg::new(
                        "inspection_evidence_when_where",
                        "每份现场照片或视频都须有拍摄时间（在环节开始之后、不晚于现在）和有效的经纬度",
                        "each photo or video needs the time it was taken (after the task opened, not in the future) and a valid place",
                    )
                    .at("evidence"),
                );
            }
        }
        if checklist.len() > MAX_ITEMS {
            return invalid(
                Msg::new(
                    "inspection_checklist",
                    "勘验清单最多20项",
                    "at most 20 checklist lines",
                )
                .at("checklist"),
            );
        }
        let mut lines = Vec::with_capacity(checklist.len());
        for c in checklist {
            lines.push(CheckItem {
                item: line(
                    &c.item,
                    MAX_LINE,
                    "checklist",
                    "请填写勘验项目",
                    "give each checklist line",
                )?,
                passed: c.passed,
            });
        }
        let conclusion = line(
            conclusion,
            MAX_TEXT,
            "conclusion",
            "请填写勘验结论",
            "give the inspection's conclusion",
        )?;
        let id = self.case.inspections.len() as u32 + 1;
        self.emit(Event::InspectionRecorded {
            inspection: Inspection {
                id,
                task,
                department: t.department.clone(),
                inspector: self.ctx.actor.name.clone(),
                evidence: evidence.to_vec(),
                passed: lines.iter().all(|c| c.passed),
                checklist: lines,
                conclusion,
                recorded_at: self.ctx.now,
                task_opened_at: t.opened_at,
            },
        });
        Ok(())
    }
}
