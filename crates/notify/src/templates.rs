//! Message templates as data: per event kind, per channel (e-mail: subject and body; SMS: the gateway's
//! template code and the text), in Chinese and English. The built-in set below is the default; an
//! administrator's saved version (`message_templates`) replaces it. Rendered with minijinja, the engine
//! the pages use, from the parameters the command stored with the message.

use minijinja::Environment;
use onego_store::outbox::{Channel, TemplateRow};

/// One template of one kind, channel and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub kind: String,
    pub channel: Channel,
    pub lang: String,
    /// E-mail subject (empty for SMS).
    pub subject: String,
    pub body: String,
    /// The SMS gateway's template code (empty for e-mail).
    pub sms_code: String,
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub sms_code: String,
}

/// Kinds of message, each with its name for the admin page and its built-in texts:
/// (kind, name zh, name en, email subject zh, email body zh, sms zh, email subject en, body en, sms en).
type BuiltIn = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const BUILT_IN: &[BuiltIn] = &[
    (
        "accepted",
        "受理通知",
        "Accepted",
        "【{{ number }}】您的申请已受理",
        "您申请的“{{ title }}”（办件编号 {{ number }}）已受理，将在承诺时限内办结。可随时在“我的办件”查看进度。",
        "您申请的{{ title }}已受理，编号{{ number }}，可在我的办件查看进度。",
        "[{{ number }}] Your application is accepted",
        "Your application \"{{ title }}\" (case {{ number }}) is accepted and will be decided within the promised time. Follow it under My cases.",
        "Your application {{ title }} is accepted, case {{ number }}.",
    ),
    (
        "not_accepted",
        "不予受理",
        "Not accepted",
        "【{{ number }}】不予受理通知",
        "您申请的“{{ title }}”（办件编号 {{ number }}）不予受理。理由：{{ reason }}",
        "您申请的{{ title }}不予受理，理由：{{ reason }}",
        "[{{ number }}] Application not accepted",
        "Your application \"{{ title }}\" (case {{ number }}) is not accepted. Reason: {{ reason }}",
        "Your application {{ title }} is not accepted: {{ reason }}",
    ),
    (
        "supplement",
        "补正通知",
        "Supplement needed",
        "【{{ number }}】请补正材料",
        "您申请的“{{ title }}”（办件编号 {{ number }}）需要补正以下材料：{{ materials }}。补齐后即可继续办理，补正期间不计时。",
        "您申请的{{ title }}需补正：{{ materials }}，请登录补交。",
        "[{{ number }}] Please supply materials",
        "Your application \"{{ title }}\" (case {{ number }}) needs these materials: {{ materials }}. The clock stops until they are in.",
        "Your application {{ title }} needs: {{ materials }}.",
    ),
    (
        "decided",
        "办理决定",
        "Decided",
        "【{{ number }}】您的申请已作出决定",
        "您申请的“{{ title }}”（办件编号 {{ number }}）已作出决定：{{ reason }}。决定书可在“我的办件”查看和下载。",
        "您申请的{{ title }}已作出决定，请在我的办件查看决定书。",
        "[{{ number }}] A decision on your application",
        "A decision is made on your application \"{{ title }}\" (case {{ number }}): {{ reason }}. Read and download it under My cases.",
        "A decision is made on {{ title }}; see My cases.",
    ),
    (
        "extension_granted",
        "延长时限",
        "Time extended",
        "【{{ number }}】办理时限延长",
        "您申请的“{{ title }}”（办件编号 {{ number }}）办理时限依法延长{{ extension }}。",
        "您申请的{{ title }}办理时限依法延长{{ extension }}。",
        "[{{ number }}] More time for your application",
        "The time limit of your application \"{{ title }}\" (case {{ number }}) is extended by law by {{ extension_en }}.",
        "The limit of {{ title }} is extended by {{ extension_en }}.",
    ),
    (
        "delivered",
        "结果送达与评价邀请",
        "Delivered; please rate",
        "【{{ number }}】办理结果已送达，欢迎评价",
        "您申请的“{{ title }}”（办件编号 {{ number }}）结果已送达。欢迎在“我的办件”对本次服务作出评价（好差评）。",
        "您申请的{{ title }}结果已送达，欢迎登录评价。",
        "[{{ number }}] Your result is delivered; please rate the service",
        "The result of \"{{ title }}\" (case {{ number }}) is delivered. Please rate the service under My cases.",
        "Result of {{ title }} delivered; please rate us.",
    ),
    (
        "result_waiting",
        "结果待领取提醒",
        "Result waiting",
        "【{{ number }}】办理结果等待领取",
        "您申请的“{{ title }}”（办件编号 {{ number }}）已办结，结果等待领取。可到窗口领取，或在“我的办件”选择邮寄、电子送达。",
        "您申请的{{ title }}已办结，结果待领取，可到窗口领取或选择邮寄。",
        "[{{ number }}] Your result is waiting",
        "Your application \"{{ title }}\" (case {{ number }}) is decided and its result is waiting. Collect it at the window, or choose post or electronic delivery under My cases.",
        "{{ title }} is decided; collect the result or choose post.",
    ),
    (
        "certificate_expiring",
        "证照到期提醒",
        "Certificate expiring",
        "【提醒】您的{{ title }}将于{{ until }}到期",
        "您的{{ title }}（编号 {{ number }}）将于{{ until }}到期（{{ days }}天内）。请及时办理延续或换证：{{ link }}",
        "您的{{ title }}将于{{ until }}到期，请及时办理延续。",
        "[Reminder] Your {{ title }} expires on {{ until_en }}",
        "Your {{ title }} (No. {{ number }}) expires on {{ until_en }}, within {{ days }} days. Renew it in time: {{ link }}",
        "Your {{ title }} expires on {{ until_en }}; please renew.",
    ),
    (
        "annual_report_due",
        "年报提醒",
        "Annual report due",
        "【提醒】请于{{ deadline }}前报送{{ year }}年度报告",
        "请于{{ deadline }}前通过国家企业信用信息公示系统报送{{ year }}年度报告（企业年报）。逾期未报将被列入经营异常名录。",
        "请于{{ deadline }}前报送{{ year }}年度报告，逾期将列入经营异常名录。",
        "[Reminder] File the {{ year }} annual report by {{ deadline_en }}",
        "Please file the annual report for {{ year }} through the National Enterprise Credit Information Publicity System by {{ deadline_en }}. A late report puts the business on the list of abnormal operations.",
        "File the {{ year }} annual report by {{ deadline_en }}.",
    ),
    (
        "project_due_soon",
        "项目事项临近计划时间",
        "Project step due soon",
        "【重大项目】{{ title }}：{{ what }}临近计划时间",
        "{{ title }}（项目代码 {{ number }}）：{{ what }}计划于{{ date }}前办结，请抓紧推进。",
        "{{ title }}：{{ what }}计划于{{ date }}前办结，请抓紧推进。",
        "[Major project] {{ title }}: {{ what }} is due soon",
        "{{ title }} (project {{ number }}): {{ what }} should be done by {{ date_en }}. Please move it on.",
        "{{ title }}: {{ what }} is due by {{ date_en }}.",
    ),
    (
        "agreement_signed",
        "代办协议已签订",
        "Agency agreement signed",
        "【帮办代办】代办协议 {{ number }} 已签订",
        "{{ title }}委托代办员{{ agent }}代为办理，代办协议 {{ number }} 有效期至{{ date }}。代办员的每一步都会记录，企业可随时查看。",
        "{{ title }}委托{{ agent }}代办，协议{{ number }}有效期至{{ date }}。",
        "[Agency] Agreement {{ number }} signed",
        "{{ title }} has asked agent {{ agent }} to act for it; agreement {{ number }} is valid until {{ date_en }}. Every step the agent takes is recorded for the enterprise to see.",
        "{{ title }}: agent {{ agent }}, agreement {{ number }}, valid until {{ date_en }}.",
    ),
    (
        "agreement_expiring",
        "代办协议即将到期",
        "Agency agreement expiring",
        "【帮办代办】代办协议 {{ number }} 将于{{ date }}到期",
        "{{ title }}与代办员{{ agent }}的代办协议 {{ number }} 将于{{ date }}到期。如需继续代办，请到代办中心续签。",
        "代办协议{{ number }}将于{{ date }}到期，如需继续请续签。",
        "[Agency] Agreement {{ number }} expires on {{ date_en }}",
        "The agreement {{ number }} between {{ title }} and agent {{ agent }} expires on {{ date_en }}. To go on, renew it at the agency centre.",
        "Agreement {{ number }} expires on {{ date_en }}; renew it to go on.",
    ),
    (
        "agreement_ended",
        "代办协议已结束",
        "Agency agreement ended",
        "【帮办代办】代办协议 {{ number }} 已结束",
        "{{ title }}与代办员{{ agent }}的代办协议 {{ number }} 已到期或终止，代办员不能再代为办理。已提交的办件请企业自行跟进。",
        "代办协议{{ number }}已结束，代办员不能再代为办理。",
        "[Agency] Agreement {{ number }} has ended",
        "The agreement {{ number }} between {{ title }} and agent {{ agent }} has expired or was revoked; the agent can no longer act. The enterprise follows its cases itself.",
        "Agreement {{ number }} has ended; the agent can no longer act.",
    ),
    (
        "meeting_convened",
        "云会商邀请",
        "Joint review invitation",
        "【云会商】{{ number }} {{ title }}",
        "办件 {{ number }}（{{ title }}）邀请贵部门参加联合审查会商：{{ what }}，时间 {{ date }}。会议链接：{{ link }}",
        "办件{{ number }}邀请参加云会商：{{ what }}，{{ date }}。",
        "[Joint review] {{ number }} {{ title }}",
        "Case {{ number }} ({{ title }}) invites your department to a joint review: {{ what }}, at {{ date_en }}. Meeting link: {{ link }}",
        "Case {{ number }}: joint review {{ what }}, {{ date_en }}.",
    ),
    (
        "project_late",
        "项目事项超期",
        "Project step late",
        "【重大项目超期】{{ title }}：{{ what }}",
        "{{ title }}（项目代码 {{ number }}）：{{ what }}已超过计划时间（{{ date }}），请督促办理。",
        "{{ title }}：{{ what }}已超计划时间{{ date }}，请督促办理。",
        "[Major project late] {{ title }}: {{ what }}",
        "{{ title }} (project {{ number }}): {{ what }} is past its planned date ({{ date_en }}). Please see to it.",
        "{{ title }}: {{ what }} is past {{ date_en }}.",
    ),
    (
        "warning",
        "即将到期",
        "Due soon",
        "【预警】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：{{ what }}即将到期（黄牌预警），请尽快办理。",
        "{{ number }}{{ what }}即将到期，请尽快办理。",
        "[Warning] {{ number }} {{ title }}",
        "{{ number }} {{ title }}: {{ what_en or what }} is due soon. Please act.",
        "{{ number }} is due soon; please act.",
    ),
    (
        "overdue",
        "已超期",
        "Overdue",
        "【超期】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：{{ what }}已超期（红牌），请立即处理。",
        "{{ number }}{{ what }}已超期，请立即处理。",
        "[Overdue] {{ number }} {{ title }}",
        "{{ number }} {{ title }}: {{ what_en or what }} is overdue. Act now.",
        "{{ number }} is overdue; act now.",
    ),
    (
        "extension_requested",
        "延期申请待审批",
        "Extension to approve",
        "【待审批】{{ number }} 延期申请",
        "{{ number }} {{ title }}：{{ by }}申请延期，理由：{{ reason }}。请审批。",
        "{{ number }}有延期申请待您审批。",
        "[To approve] {{ number }} extension request",
        "{{ number }} {{ title }}: {{ by }} asks for more time: {{ reason }}. Please decide.",
        "{{ number }}: an extension waits for you.",
    ),
    (
        "ticket_received",
        "诉求受理",
        "Request received",
        "【12345】诉求已受理 {{ number }}",
        "您反映的诉求已受理，编号 {{ number }}。可凭编号在网上查询办理进度。",
        "您的诉求已受理，编号{{ number }}，可凭编号查询进度。",
        "[12345] Request received {{ number }}",
        "Your request is received under number {{ number }}. Track it online by this number.",
        "Request received: {{ number }}.",
    ),
    (
        "ticket_feedback",
        "首次反馈",
        "First feedback",
        "【12345】{{ number }} 办理反馈",
        "您反映的诉求（{{ number }}）承办部门反馈：{{ feedback }}",
        "诉求{{ number }}承办部门反馈：{{ feedback }}",
        "[12345] {{ number }} feedback",
        "On your request {{ number }} the department says: {{ feedback }}",
        "{{ number }}: {{ feedback }}",
    ),
    (
        "ticket_replied",
        "诉求答复",
        "Answered",
        "【12345】{{ number }} 已答复",
        "您反映的诉求（{{ number }}）已答复：{{ answer }}。稍后将回访，请对办理结果作出评价。",
        "诉求{{ number }}已答复，稍后回访，请评价。",
        "[12345] {{ number }} answered",
        "Your request {{ number }} is answered: {{ answer }}. We will call back for your rating.",
        "{{ number }} is answered; we will call back.",
    ),
    (
        "ticket_visited",
        "回访完成",
        "Visited back",
        "【12345】{{ number }} 已回访",
        "您反映的诉求（{{ number }}）已完成回访，感谢您的评价。",
        "诉求{{ number }}已回访，感谢评价。",
        "[12345] {{ number }} visited back",
        "Your request {{ number }} has had its return visit. Thank you for your rating.",
        "{{ number }}: thank you for your rating.",
    ),
    (
        "ticket_dispatched",
        "新派单",
        "New request",
        "【派单】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：新派单，请按时签收办理。",
        "新派单{{ number }}，请按时签收。",
        "[Dispatched] {{ number }} {{ title }}",
        "{{ number }} {{ title }}: a new request for you; sign for it in time.",
        "New request {{ number }}; sign in time.",
    ),
    (
        "ticket_summoned",
        "企业吹哨",
        "Enterprise whistle",
        "【吹哨】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：企业吹哨，请立即报到。",
        "企业吹哨{{ number }}，请立即报到。",
        "[Whistle] {{ number }} {{ title }}",
        "{{ number }} {{ title }}: an enterprise whistled; report now.",
        "Whistle {{ number }}: report now.",
    ),
    (
        "ticket_returned",
        "退单",
        "Returned",
        "【退单】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：已被退单，请重新派单。",
        "{{ number }}被退单，请重新派单。",
        "[Returned] {{ number }} {{ title }}",
        "{{ number }} {{ title }} was sent back; dispatch it again.",
        "{{ number }} sent back; dispatch again.",
    ),
    (
        "ticket_extension",
        "延期申请",
        "Extension request",
        "【延期】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：承办部门申请延期，请审核。",
        "{{ number }}申请延期，请审核。",
        "[Extension] {{ number }} {{ title }}",
        "{{ number }} {{ title }}: the department asks for more time; decide.",
        "{{ number }} asks for more time.",
    ),
    (
        "ticket_supervised",
        "督办",
        "Supervision",
        "【督办】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：已被督办，请加快办理。",
        "{{ number }}被督办，请加快办理。",
        "[Supervised] {{ number }} {{ title }}",
        "{{ number }} {{ title }} is under supervision; speed up.",
        "{{ number }} is supervised; speed up.",
    ),
    (
        "ticket_escalated",
        "网格上报",
        "Escalated",
        "【上报】{{ number }} {{ title }}",
        "{{ number }} {{ title }}：网格上报，请处理。",
        "{{ number }}网格上报，请处理。",
        "[Escalated] {{ number }} {{ title }}",
        "{{ number }} {{ title }} was passed up by the grid; handle it.",
        "{{ number }} passed up; handle it.",
    ),
    (
        "test",
        "测试消息",
        "Test message",
        "onego 测试邮件",
        "这是一封来自 onego（一次办好）的测试邮件，收到即说明邮件通道配置正确。",
        "onego测试短信，收到即说明短信通道配置正确。",
        "onego test e-mail",
        "This is a test e-mail from onego. If it arrived, the e-mail channel works.",
        "onego test SMS: the SMS channel works.",
    ),
];

/// Every kind with its name in (zh, en).
pub fn kinds() -> Vec<(&'static str, &'static str, &'static str)> {
    BUILT_IN.iter().map(|t| (t.0, t.1, t.2)).collect()
}

/// The built-in template of a kind, or `None` for an unknown kind.
pub fn built_in(kind: &str, channel: Channel, lang: &str) -> Option<Template> {
    let t = BUILT_IN.iter().find(|t| t.0 == kind)?;
    let en = lang == "en";
    let (subject, body) = match (channel, en) {
        (Channel::Email, false) => (t.3, t.4),
        (Channel::Sms, false) => ("", t.5),
        (Channel::Email, true) => (t.6, t.7),
        (Channel::Sms, true) => ("", t.8),
    };
    Some(Template {
        kind: kind.to_owned(),
        channel,
        lang: if en { "en" } else { "zh" }.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        sms_code: if channel == Channel::Sms {
            format!("ONEGO_{}", kind.to_uppercase())
        } else {
            String::new()
        },
    })
}

/// The template in force: the administrator's saved one, else the built-in one.
pub fn in_force(saved: &[TemplateRow], kind: &str, channel: Channel, lang: &str) -> Option<Template> {
    match saved
        .iter()
        .find(|r| r.kind == kind && r.channel == channel.as_str() && r.lang == lang)
    {
        Some(r) => Some(Template {
            kind: r.kind.clone(),
            channel,
            lang: r.lang.clone(),
            subject: r.subject.clone(),
            body: r.body.clone(),
            sms_code: r.sms_code.clone(),
        }),
        None => built_in(kind, channel, lang),
    }
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template does not parse: {0}")]
    Syntax(String),
    #[error("the SMS is {chars} characters long, {segments} segments; keep it within {max} characters")]
    TooLong {
        chars: usize,
        segments: usize,
        max: usize,
    },
    #[error("an SMS template needs the gateway's template code")]
    NoCode,
}

impl TemplateError {
    /// (zh, en) for the admin page.
    pub fn texts(&self) -> (String, String) {
        let en = self.to_string();
        let zh = match self {
            TemplateError::Syntax(d) => format!("模板写法有误（{d}），请检查 {{{{ }}}} 是否成对"),
            TemplateError::TooLong { chars, segments, max } => {
                format!("短信共 {chars} 个字，需分 {segments} 条发送；请控制在 {max} 个字以内")
            }
            TemplateError::NoCode => "短信模板须填写短信平台的模板编号".to_owned(),
        };
        (zh, en)
    }
}

/// Characters in one SMS segment with Chinese text (UCS-2): 70, or 67 each when split.
pub const SMS_SEGMENT: usize = 70;
/// The longest SMS a template may produce: two segments (2 × 67 characters).
pub const SMS_MAX: usize = 134;

/// How many segments a text takes (70 for one; 67 each when split).
pub fn sms_segments(text: &str) -> usize {
    let n = text.chars().count();
    if n <= SMS_SEGMENT { 1 } else { n.div_ceil(67) }
}

/// Renders a template with the parameters; an SMS must fit [`SMS_MAX`] characters.
pub fn render(t: &Template, params: &[(String, String)]) -> Result<Rendered, TemplateError> {
    let mut env = Environment::new();
    // Plain text, not HTML: nothing to escape (an e-mail body is sent as text/plain).
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let ctx: std::collections::BTreeMap<String, String> = params.iter().cloned().collect();
    let one = |src: &str| -> Result<String, TemplateError> {
        env.render_str(src, &ctx)
            .map_err(|e| TemplateError::Syntax(e.to_string()))
    };
    let out = Rendered {
        subject: one(&t.subject)?,
        body: one(&t.body)?,
        sms_code: t.sms_code.clone(),
    };
    if t.channel == Channel::Sms {
        if t.sms_code.trim().is_empty() {
            return Err(TemplateError::NoCode);
        }
        let chars = out.body.chars().count();
        if chars > SMS_MAX {
            return Err(TemplateError::TooLong {
                chars,
                segments: sms_segments(&out.body),
                max: SMS_MAX,
            });
        }
    }
    Ok(out)
}

/// Sample parameters for a preview: long enough to show how a real message looks.
pub fn sample_params() -> Vec<(String, String)> {
    [
        ("number", "371700202612020001"),
        ("title", "食品经营许可（新办）"),
        ("materials", "食品经营许可申请书、营业执照"),
        ("reason", "材料齐全，符合法定条件"),
        ("outcome", "准予许可"),
        ("outcome_en", "Approved"),
        ("extension", "10个工作日"),
        ("extension_en", "10 working days"),
        ("what", "环节“实质审查”"),
        ("by", "市场监管局 审批员"),
        ("feedback", "已安排人员现场查看"),
        ("answer", "已清理占道经营摊点"),
        ("until", "2027年03月01日"),
        ("until_en", "1 March 2027"),
        ("days", "30"),
        ("link", "/apply/item/SCJG-002"),
        ("year", "2026"),
        ("deadline", "2027年6月30日"),
        ("deadline_en", "30 June 2027"),
        ("date", "2027年3月1日"),
        ("date_en", "1 March 2027"),
        ("agent", "王帮办"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_sms_fits_two_segments_with_sample_parameters_in_both_languages() {
        for (kind, _, _) in kinds() {
            for lang in ["zh", "en"] {
                let t = built_in(kind, Channel::Sms, lang).expect("built in");
                let r = render(&t, &sample_params()).unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
                assert!(r.body.chars().count() <= SMS_MAX, "{kind} {lang}: {}", r.body);
                let e = built_in(kind, Channel::Email, lang).expect("built in");
                let r = render(&e, &sample_params()).expect("renders");
                assert!(!r.subject.is_empty() && !r.body.contains("{{"), "{kind} {lang}");
            }
        }
    }

    #[test]
    fn a_long_sms_is_refused_with_its_length_and_segments() {
        let mut t = built_in("accepted", Channel::Sms, "zh").expect("built in");
        t.body = "长".repeat(140);
        let err = render(&t, &[]).expect_err("too long");
        assert_eq!(
            err,
            TemplateError::TooLong {
                chars: 140,
                segments: 3,
                max: SMS_MAX
            }
        );
        assert!(err.texts().0.contains("需分 3 条"));
        assert_eq!(sms_segments(&"字".repeat(70)), 1);
        assert_eq!(sms_segments(&"字".repeat(71)), 2);
        t.body = "{{ number".into();
        assert!(matches!(render(&t, &[]), Err(TemplateError::Syntax(_))));
    }
}
