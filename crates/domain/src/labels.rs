//! Every name a person reads for a code: one table, in Chinese and English, for pages, the API's
//! `*_zh`/labels, Open311's status notes and exports alike. The database stores stable codes
//! (`as_str`/serde names); nothing compares display text.

use onego_calendar::ClockState;

use crate::aggregate::AggregateKind;
use crate::case::{CaseCommandKind, CaseOutcome, CaseStatus, SpecialKind};
use crate::catalog::{Handling, ItemKind, MaterialKind, MaterialSource, Necessity};
use crate::certificate::CertificateStatus;
use crate::delivery::{AttemptOutcome, Channel as DeliveryChannel, Status as DeliveryStatus};
use crate::grid::GridLevel;
use crate::hotline::AttributeType;
use crate::org::{Role, TokenScope};
use crate::ticket::{
    SupervisionLevel, TicketChannel, TicketClock, TicketCommandKind, TicketStatus, TicketTask, TicketType,
    Urgency,
};
use crate::timer::Alarm;

/// The language a person reads in: Chinese by default, English on request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// One of two texts, by language.
    /// The stored code: `zh` or `en`.
    pub fn code(self) -> &'static str {
        self.pick("zh", "en")
    }

    /// From a stored code; anything but `en` reads as Chinese, the default.
    pub fn from_code(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Zh }
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A code's name for people, in both languages.
pub trait Label {
    fn zh(&self) -> &'static str;
    fn en(&self) -> &'static str;
    fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh(),
            Lang::En => self.en(),
        }
    }
}

/// `labels!(Type { Variant => ("中文", "English"), … })` implements [`Label`].
macro_rules! labels {
    ($t:ty { $($v:pat => ($zh:literal, $en:literal)),+ $(,)? }) => {
        impl Label for $t {
            fn zh(&self) -> &'static str {
                #[allow(unused_imports)]
                use $t as This;
                match self { $($v => $zh),+ }
            }
            fn en(&self) -> &'static str {
                match self { $($v => $en),+ }
            }
        }
    };
}

labels!(CertificateStatus {
    CertificateStatus::Valid => ("有效", "valid"),
    CertificateStatus::Suspended => ("已暂停", "suspended"),
    CertificateStatus::Revoked => ("已注销", "revoked"),
    CertificateStatus::Expired => ("已过期", "expired"),
});

labels!(DeliveryChannel {
    DeliveryChannel::Email => ("电子邮件", "e-mail"),
    DeliveryChannel::Sms => ("短信", "SMS"),
});

labels!(DeliveryStatus {
    DeliveryStatus::Pending => ("待发送", "waiting"),
    DeliveryStatus::Sent => ("已发送", "sent"),
    DeliveryStatus::Failed => ("发送失败", "failed"),
});

labels!(AttemptOutcome {
    AttemptOutcome::Sent => ("发送成功", "sent"),
    AttemptOutcome::Error => ("发送出错", "error"),
});

labels!(Role {
    Role::Applicant => ("申请人", "Applicant"),
    Role::Clerk => ("窗口人员", "Window clerk"),
    Role::Approver => ("审批人员", "Approver"),
    Role::Supervisor => ("科室负责人", "Supervisor"),
    Role::Leader => ("领导", "Leader"),
    Role::Operator => ("话务员", "Hotline operator"),
    Role::Dispatcher => ("12345派单员", "12345 dispatcher"),
    Role::GridMember => ("网格员", "Grid member"),
    Role::Agent => ("代办员", "Agent"),
    Role::Admin => ("系统管理员", "Administrator"),
    Role::System => ("系统", "onego"),
});

labels!(TokenScope {
    TokenScope::Api => ("接口（读写）", "API (read and write)"),
    TokenScope::ApiRead => ("接口（只读）", "API (read only)"),
    TokenScope::Open311 => ("Open311 合作方密钥", "Open311 partner key"),
});

labels!(AggregateKind {
    AggregateKind::Case => ("办件", "Application"),
    AggregateKind::Ticket => ("诉求", "Request"),
    AggregateKind::Certificate => ("电子证照", "Certificate"),
    AggregateKind::Project => ("重大项目", "Project"),
    AggregateKind::Agreement => ("代办协议", "Agency agreement"),
});

labels!(crate::agency::AgreementStatus {
    crate::agency::AgreementStatus::Signed => ("有效", "In force"),
    crate::agency::AgreementStatus::Revoked => ("已终止", "Revoked"),
    crate::agency::AgreementStatus::Expired => ("已到期", "Expired"),
});

labels!(CaseStatus {
    CaseStatus::Submitted => ("待受理", "Waiting for acceptance"),
    CaseStatus::NotAccepted => ("不予受理", "Not accepted"),
    CaseStatus::InReview => ("审查中", "Under review"),
    CaseStatus::Decided => ("已决定待出件", "Decided, result to collect"),
    CaseStatus::Delivered => ("已办结", "Completed"),
    CaseStatus::Withdrawn => ("已撤回", "Withdrawn"),
});

labels!(CaseOutcome {
    CaseOutcome::Approved => ("准予许可", "Approved"),
    CaseOutcome::Refused => ("不予许可", "Refused"),
    CaseOutcome::Partial => ("部分准予", "Partly approved"),
});

labels!(SpecialKind {
    SpecialKind::Hearing => ("听证", "Hearing"),
    SpecialKind::Testing => ("检验检测", "Testing"),
    SpecialKind::ExpertReview => ("专家评审", "Expert review"),
    SpecialKind::Inspection => ("现场勘验", "On-site inspection"),
});

labels!(CaseCommandKind {
    CaseCommandKind::Accept => ("受理", "Accept"),
    CaseCommandKind::RefuseAcceptance => ("不予受理", "Refuse acceptance"),
    CaseCommandKind::RequestSupplement => ("一次性告知补正", "Request a supplement"),
    CaseCommandKind::SupplyMaterials => ("补交材料", "Supply materials"),
    CaseCommandKind::Act => ("办理", "Act on a step"),
    CaseCommandKind::StartSpecialProcedure => ("启动特别程序", "Start a special procedure"),
    CaseCommandKind::EndSpecialProcedure => ("结束特别程序", "End the special procedure"),
    CaseCommandKind::RequestExtension => ("申请延期", "Ask for more time"),
    CaseCommandKind::DenyExtension => ("不批准延期", "Deny more time"),
    CaseCommandKind::GrantExtension => ("批准延期", "Grant more time"),
    CaseCommandKind::Deliver => ("出件", "Deliver the result"),
    CaseCommandKind::Withdraw => ("撤回", "Withdraw"),
    CaseCommandKind::Rate => ("评价", "Rate"),
    CaseCommandKind::CheckClock => ("时限检查", "Clock check"),
    CaseCommandKind::ConsultArchive => ("调阅档案", "Look up the archive"),
    CaseCommandKind::ConveneMeeting => ("发起云会商", "Convene a joint review"),
    CaseCommandKind::RecordMeeting => ("记录会商纪要", "Record the meeting's minutes"),
    CaseCommandKind::RecordInspection => ("记录云勘验", "Record a remote inspection"),
});

labels!(crate::certificate::HolderKind {
    crate::certificate::HolderKind::Person => ("自然人", "natural persons"),
    crate::certificate::HolderKind::Organisation => ("法人和其他组织", "organisations"),
    crate::certificate::HolderKind::Any => ("申请人", "applicants"),
});

labels!(crate::project::Stage {
    crate::project::Stage::LandPlanning => ("立项用地规划许可", "Project approval and land-use planning"),
    crate::project::Stage::EngineeringPermit => ("工程建设许可", "Engineering planning permit"),
    crate::project::Stage::ConstructionPermit => ("施工许可", "Construction permit"),
    crate::project::Stage::Completion => ("竣工验收", "Completion acceptance"),
});

labels!(crate::project::ProjectType {
    crate::project::ProjectType::Government => ("政府投资项目", "Government investment"),
    crate::project::ProjectType::Social => ("社会投资项目", "Social investment"),
    crate::project::ProjectType::SmallLowRisk => ("小型低风险项目", "Small low-risk project"),
});

labels!(crate::project::KeyLevel {
    crate::project::KeyLevel::Province => ("省重点项目", "Provincial key project"),
    crate::project::KeyLevel::City => ("市重点项目", "City key project"),
    crate::project::KeyLevel::District => ("区县重点项目", "District key project"),
    crate::project::KeyLevel::None => ("一般项目", "Not a key project"),
});

labels!(ItemKind {
    ItemKind::Licensing => ("行政许可", "Licensing"),
    ItemKind::Confirmation => ("行政确认", "Confirmation"),
    ItemKind::Benefit => ("行政给付", "Benefit"),
    ItemKind::Adjudication => ("行政裁决", "Adjudication"),
    ItemKind::Award => ("行政奖励", "Award"),
    ItemKind::Filing => ("行政备案", "Filing"),
    ItemKind::OtherPower => ("其他行政权力", "Other administrative power"),
    ItemKind::PublicService => ("公共服务", "Public service"),
});

labels!(Handling {
    Handling::Instant => ("即办件", "Done on the spot"),
    Handling::Promised => ("承诺件", "Done within the promised limit"),
});

labels!(Necessity {
    Necessity::Required => ("必要", "Required"),
    Necessity::Optional => ("非必要", "Optional"),
    Necessity::Deferrable => ("容缺后补", "May follow later"),
});

labels!(MaterialSource {
    MaterialSource::Applicant => ("申请人自备", "Supplied by the applicant"),
    MaterialSource::Government => ("政府部门核发（可共享获取）", "Issued by government (can be fetched by data sharing)"),
});

labels!(MaterialKind {
    MaterialKind::Licence => ("证照", "Licence"),
    MaterialKind::Form => ("表格", "Form"),
    MaterialKind::Proof => ("证明", "Proof"),
    MaterialKind::Other => ("其他", "Other"),
});

labels!(TicketStatus {
    TicketStatus::Received => ("待派单", "Waiting for dispatch"),
    TicketStatus::Dispatched => ("待签收", "Waiting to be signed"),
    TicketStatus::Handling => ("办理中", "Being handled"),
    TicketStatus::Replied => ("已答复待回访", "Answered, return visit due"),
    TicketStatus::Closed => ("已办结", "Closed"),
    TicketStatus::Merged => ("已并单", "Merged"),
});

labels!(TicketChannel {
    TicketChannel::Phone => ("电话", "Phone"),
    TicketChannel::Web => ("网站", "Website"),
    TicketChannel::App => ("App", "App"),
    TicketChannel::Grid => ("网格上报", "Grid report"),
    TicketChannel::Enterprise => ("企业吹哨", "Enterprise whistle"),
    TicketChannel::Open311 => ("Open311 接入", "Open311"),
});

labels!(TicketType {
    TicketType::Enquiry => ("咨询", "Enquiry"),
    TicketType::Help => ("求助", "Help"),
    TicketType::Complaint => ("投诉", "Complaint"),
    TicketType::Report => ("举报", "Report"),
    TicketType::Suggestion => ("建议", "Suggestion"),
});

labels!(Urgency {
    Urgency::Normal => ("一般", "Normal"),
    Urgency::Urgent => ("紧急", "Urgent"),
    Urgency::Emergency => ("特急", "Emergency"),
});

labels!(TicketClock {
    TicketClock::Response => ("签收时限", "Response limit"),
    TicketClock::Feedback => ("首次反馈时限", "First feedback limit"),
    TicketClock::Solve => ("办结时限", "Solve limit"),
});

labels!(SupervisionLevel {
    SupervisionLevel::Urge => ("催办", "Urged"),
    SupervisionLevel::Supervise => ("督办", "Supervised"),
    SupervisionLevel::Listed => ("挂牌督办", "Listed supervision"),
});

labels!(TicketTask {
    TicketTask::Dispatch => ("派单", "Dispatch"),
    TicketTask::Sign => ("签收", "Sign"),
    TicketTask::Handle => ("办理", "Handle"),
    TicketTask::Visit => ("回访", "Return visit"),
    TicketTask::ExtensionReview => ("延期审核", "Extension review"),
    TicketTask::GridHandling => ("网格处置", "Handle in the grid"),
    TicketTask::Assist => ("协办", "Assist"),
    TicketTask::Report => ("报到", "Report in"),
});

labels!(TicketCommandKind {
    TicketCommandKind::Dispatch => ("派单", "Dispatch"),
    TicketCommandKind::Sign => ("签收", "Sign"),
    TicketCommandKind::Return => ("退单", "Return"),
    TicketCommandKind::GiveFeedback => ("阶段反馈", "Give feedback"),
    TicketCommandKind::RequestExtension => ("申请延期", "Ask for more time"),
    TicketCommandKind::DecideExtension => ("审核延期", "Decide on more time"),
    TicketCommandKind::Reply => ("答复", "Answer"),
    TicketCommandKind::ReturnVisit => ("回访", "Return visit"),
    TicketCommandKind::Merge => ("并单", "Merge"),
    TicketCommandKind::Supervise => ("督办", "Supervise"),
    TicketCommandKind::CheckClock => ("时限检查", "Clock check"),
    TicketCommandKind::Report => ("报到", "Report in"),
    TicketCommandKind::ResolveInGrid => ("网格内办结", "Resolve in the grid"),
    TicketCommandKind::Escalate => ("上报", "Escalate"),
});

labels!(AttributeType {
    AttributeType::String => ("短文本", "Short text"),
    AttributeType::Number => ("数字", "Number"),
    AttributeType::Datetime => ("日期时间", "Date and time"),
    AttributeType::Text => ("长文本", "Text"),
    AttributeType::Singlevaluelist => ("单选", "One choice"),
    AttributeType::Multivaluelist => ("多选", "Several choices"),
});

labels!(GridLevel {
    GridLevel::Region => ("区县", "District"),
    GridLevel::Street => ("街道", "Street"),
    GridLevel::Community => ("社区", "Community"),
    GridLevel::Grid => ("网格", "Grid"),
});

labels!(Alarm {
    Alarm::Warning => ("黄牌预警", "Yellow card: due soon"),
    Alarm::Overdue => ("红牌超期", "Red card: overdue"),
});

labels!(ClockState {
    ClockState::Running => ("正常", "On time"),
    ClockState::Warning => ("即将到期", "Due soon"),
    ClockState::Overdue => ("已超期", "Overdue"),
    ClockState::Paused => ("暂停计时", "Paused"),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_they_differ_where_chinese_is_used() {
        for s in TicketStatus::ALL {
            assert!(!s.zh().is_empty() && !s.en().is_empty());
            assert!(s.en().is_ascii(), "{}", s.en());
        }
        assert_eq!(Lang::En.pick("中", "en"), "en");
        assert_eq!(TicketTask::Dispatch.label(Lang::Zh), "派单");
    }
}
