//! What a person is told after acting on a case, and what comes next: the message every page shows
//! after a command (`done`), and the "下一步" of the applicant's tracker (`next_step`). Pure: names of
//! materials come from the case's own catalog versions, passed in.

use super::*;

/// What a person is told right after an application is opened: online, what happens next for the
/// applicant; at the window, what the clerk does next.
pub fn submitted_done(channel: Channel, status: CaseStatus) -> Msg {
    // Online and accepted by onego at once (秒批): decided already, or passed to a person.
    match (channel, status) {
        (Channel::Online, CaseStatus::Decided | CaseStatus::Delivered) => {
            return Msg::new(
                "done_auto_decided",
                "已秒批：所需材料均由电子证照和共享数据提供，规则校验通过，已即时办结。颁发的电子证照已在“我的证照”，决定书可在“我的档案”下载。",
                "Decided in seconds: every material came from your certificates and shared data and the rules passed. Any certificate issued is under My certificates; the decision letter is under My records.",
            );
        }
        (Channel::Online, CaseStatus::InReview) => {
            return Msg::new(
                "done_auto_accepted",
                "申请已提交并自动受理：材料均由电子证照和共享数据提供。有条件未能自动核验，已转工作人员审查，结果会通知您。",
                "Your application is sent and accepted at once: every material came from your certificates and shared data. A condition could not be checked automatically, so a person reviews it; you will be told the result.",
            );
        }
        _ => {}
    }
    match channel {
        Channel::Window => Msg::new(
            "done_registered",
            "已登记申请。请核对申请人提交的材料，齐全即可受理，不齐全请一次性告知补正。",
            "The application is registered. Check the applicant's papers: accept when complete, or ask for everything missing at once.",
        ),
        _ => Msg::new(
            "done_submitted",
            "申请已提交。窗口将审核您的材料，受理或需要补正时会通知您，可随时在“我的办件”查看进度。",
            "Your application is sent. The window checks your materials and tells you when it is accepted or something is missing; follow it under My cases.",
        ),
    }
}

impl CaseCommandKind {
    /// What was just done, in the past tense.
    pub fn done(self) -> Msg {
        use CaseCommandKind as K;
        let (code, zh, en) = match self {
            K::Accept => ("done_accept", "已受理。", "Accepted."),
            K::RefuseAcceptance => (
                "done_refuse_acceptance",
                "已作出不予受理决定，申请人会收到理由。",
                "Refused acceptance; the applicant is told why.",
            ),
            K::RequestSupplement => (
                "done_request_supplement",
                "补正通知已发出，一次性告知了所缺材料；补正期间不计时。",
                "The supplement notice is sent, listing every missing material at once; the clock stops meanwhile.",
            ),
            K::SupplyMaterials => (
                "done_supply_materials",
                "材料已补交。",
                "The materials are handed in.",
            ),
            K::Act => ("done_act", "本环节已办理。", "This step is done."),
            K::StartSpecialProcedure => (
                "done_start_special",
                "特别程序已开始，期间不计入办理时限。",
                "The special procedure has begun; its time does not count.",
            ),
            K::EndSpecialProcedure => (
                "done_end_special",
                "特别程序已结束，恢复计时。",
                "The special procedure has ended; the clock runs again.",
            ),
            K::RequestExtension => (
                "done_request_extension",
                "延期申请已提交，等待批准。",
                "The extension is requested and waits for approval.",
            ),
            K::DenyExtension => (
                "done_deny_extension",
                "已不同意延期。",
                "The extension is denied.",
            ),
            K::GrantExtension => (
                "done_grant_extension",
                "已批准延期，期限已顺延。",
                "The extension is granted; the due time moves.",
            ),
            K::Deliver => (
                "done_deliver",
                "已出件，办件办结。",
                "The result is handed over; the case is finished.",
            ),
            K::Withdraw => ("done_withdraw", "申请已撤回。", "The application is withdrawn."),
            K::Rate => ("done_rate", "感谢您的评价。", "Thank you for your rating."),
            K::CheckClock => ("done_check_clock", "已检查时限。", "The clock is checked."),
            K::ConsultArchive => (
                "done_consult_archive",
                "查档已记录，可查看档案材料。",
                "The lookup is recorded; the record's documents are open to you.",
            ),
            K::ConveneMeeting => (
                "done_convene_meeting",
                "云会商已发起，受邀部门已收到通知；会后请记录纪要和各部门意见，意见将计入会签。",
                "The joint review is convened and the invited departments told; afterwards record the minutes and each department's opinion, which count in the countersign.",
            ),
            K::RecordMeeting => (
                "done_record_meeting",
                "会商纪要已记录；有会签环节的部门，其意见已计入会签。",
                "The minutes are recorded; the opinions of departments with a countersign task count in it.",
            ),
            K::RecordInspection => (
                "done_record_inspection",
                "勘验记录已保存，照片、视频和结论已写入办件记录；请继续办理本环节。",
                "The inspection is recorded with its photos, videos and conclusion; now complete the task.",
            ),
        };
        Msg::new(code, zh, en)
    }
}

impl Case {
    /// What happens next, said to whoever reads the case: who acts, and what the applicant must do if
    /// anything. `material_name` names a material by code (the catalog's words).
    pub fn next_step(&self, material_name: &dyn Fn(&Code) -> String) -> Msg {
        let names = |codes: &[Code]| -> (String, String) {
            let list: Vec<String> = codes.iter().map(material_name).collect();
            (list.join("、"), list.join(", "))
        };
        match self.status {
            CaseStatus::Submitted => match &self.supplement {
                Some(s) => {
                    let codes: Vec<Code> = s.missing.iter().map(|m| m.code.clone()).collect();
                    let (zh, en) = names(&codes);
                    Msg::new(
                        "next_supplement",
                        format!("需要您补正材料：{zh}。请按一次性告知书补齐后提交，补正期间不计时。"),
                        format!(
                            "You need to hand in: {en}, as the one-time notice lists; the clock stops meanwhile."
                        ),
                    )
                }
                None => Msg::new(
                    "next_acceptance",
                    "等待窗口审核材料并受理，一般在1个工作日内。",
                    "The window checks the materials and accepts the application, usually within one working day.",
                ),
            },
            CaseStatus::InReview => {
                let open = self.open_tasks().count();
                Msg::new(
                    "next_review",
                    format!("正在审查：还有 {open} 个环节在办理，无需您做什么。"),
                    format!("Under review: {open} step(s) are being handled; nothing is needed from you."),
                )
            }
            CaseStatus::Decided if !self.deferred.is_empty() => {
                let (zh, en) = names(&self.deferred);
                Msg::new(
                    "next_deferred",
                    format!("已作出决定。领取结果前，请补齐容缺材料：{zh}。"),
                    format!(
                        "Decided. Before the result is handed over, hand in the materials accepted for later: {en}."
                    ),
                )
            }
            CaseStatus::Decided => Msg::new(
                "next_delivery",
                "已作出决定，等待出件（窗口领取、邮寄或电子送达）。",
                "Decided; the result is being handed over (at the window, by mail or electronically).",
            ),
            CaseStatus::Delivered if self.rating.is_none() => Msg::new(
                "next_rate",
                "已办结。欢迎对本次服务作出评价（好差评）。",
                "Finished. You are welcome to rate the service.",
            ),
            CaseStatus::Delivered => Msg::new("next_none", "已办结。", "Finished."),
            CaseStatus::NotAccepted => Msg::new(
                "next_not_accepted",
                "不予受理，理由见办理过程；如有疑问可咨询窗口或重新申请。",
                "Not accepted; the reason is in the timeline. Ask at the window, or apply again.",
            ),
            CaseStatus::Withdrawn => Msg::new(
                "next_withdrawn",
                "已撤回。如需办理请重新申请。",
                "Withdrawn. To go on, apply again.",
            ),
        }
    }
}
