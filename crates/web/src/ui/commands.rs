//! Forms parsed into commands, in one place: a case command from the case page's forms, a request's
//! intake and commands from the hotline, grid and public forms, and an item from the catalog editor.
//! Each parse either gives the command or says, in the reader's terms, what is wrong; nothing is stored
//! before it succeeds and the engine has decided.

use crate::api::parse_choice;
use onego_calendar::Limit;
use onego_domain::case::{Case, Command, DeliveryMethod, MissingMaterial, SpecialKind};
use onego_domain::catalog::{MaterialSpec, ServiceItem};
use onego_domain::messages::Msg;
use onego_domain::process::TaskAction;
use onego_domain::ticket::TicketCommand;
use onego_domain::values::Code;

use crate::api::tickets::IntakeRequest;
use crate::error::ApiError;
use crate::ui::form::FormData;

/// A case page's form, read against the case it acts on (tasks and materials are the case's).
pub struct CaseForm<'a>(pub &'a FormData, pub &'a Case);

impl TryFrom<CaseForm<'_>> for Command {
    type Error = ApiError;
    fn try_from(f: CaseForm<'_>) -> Result<Command, ApiError> {
        case_command(f.0, f.1)
    }
}

impl TryFrom<&FormData> for TicketCommand {
    type Error = ApiError;
    fn try_from(form: &FormData) -> Result<TicketCommand, ApiError> {
        ticket_command(form)
    }
}

pub(crate) fn codes(form: &FormData, key: &str) -> Result<Vec<Code>, ApiError> {
    form.all(key)
        .iter()
        .map(|c| Code::parse(c).map_err(|e| ApiError::unprocessable(e.to_string())))
        .collect()
}

/// Turns a posted action form into a domain command.
pub(crate) fn case_command(form: &FormData, case: &Case) -> Result<Command, ApiError> {
    let opinion = form.text("opinion");
    let limit = || -> Result<Limit, ApiError> {
        let n: u32 = form
            .text("amount")
            .parse()
            .map_err(|_| ApiError::unprocessable("give the extension as a whole number"))?;
        let unit = case
            .promised_limit
            .compact()
            .trim_start_matches(char::is_numeric)
            .to_owned();
        format!("{n}{unit}")
            .parse()
            .map_err(|e: onego_calendar::LimitParseError| ApiError::unprocessable(e.to_string()))
    };
    if let Some(cmd) = crate::ui::review::meeting_command(form, case)? {
        return Ok(cmd);
    }
    Ok(match form.get("command").unwrap_or("") {
        "accept" => Command::Accept {
            received: codes(form, "received")?,
            deferred: codes(form, "deferred")?,
            opinion,
        },
        "refuse_acceptance" => Command::RefuseAcceptance {
            reason: form.text("reason"),
        },
        "request_supplement" => Command::RequestSupplement {
            missing: codes(form, "missing")?
                .into_iter()
                .map(|code| MissingMaterial {
                    code,
                    name: String::new(),
                    reason: form.text("reason"),
                })
                .collect(),
            note: form.text("note"),
        },
        "act" => Command::Act {
            task: form
                .text("task")
                .parse()
                .map_err(|_| ApiError::unprocessable("which task?"))?,
            action: match form.get("action") {
                Some("approve") => TaskAction::Approve,
                Some("return") => TaskAction::Return,
                Some("refuse") => TaskAction::Refuse,
                _ => return Err(ApiError::unprocessable("choose approve, return or refuse")),
            },
            return_to: form.get("return_to").filter(|s| !s.is_empty()).map(str::to_owned),
            opinion,
        },
        "deliver" => Command::Deliver {
            delivery: match form.get("method") {
                Some("mail") => DeliveryMethod::Mail {
                    tracking_number: form.text("tracking"),
                },
                Some("electronic") => DeliveryMethod::Electronic,
                _ => DeliveryMethod::Window,
            },
        },
        "withdraw" => Command::Withdraw {
            reason: form.text("reason"),
        },
        "rate" => Command::Rate {
            level: form.text("level").parse().map_err(|_| {
                ApiError::unprocessable(Msg::new(
                    "choose_rating",
                    "请选择评价等级（1至5）",
                    "choose a rating from 1 to 5",
                ))
            })?,
            comment: form.text("comment"),
        },
        "request_extension" => Command::RequestExtension {
            limit: limit()?,
            reason: form.text("reason"),
        },
        "grant_extension" => Command::GrantExtension {
            limit: limit()?,
            reason: form.text("reason"),
        },
        "deny_extension" => Command::DenyExtension {
            reason: form.text("reason"),
        },
        "start_special" => Command::StartSpecialProcedure {
            kind: match form.get("kind") {
                Some("testing") => SpecialKind::Testing,
                Some("expert_review") => SpecialKind::ExpertReview,
                Some("inspection") => SpecialKind::Inspection,
                _ => SpecialKind::Hearing,
            },
            reason: form.text("reason"),
        },
        "end_special" => Command::EndSpecialProcedure {
            result: form.text("result"),
        },
        other => return Err(ApiError::bad_request(format!("unknown action \"{other}\""))),
    })
}

pub(crate) fn intake_request(form: &FormData, channel: &str) -> IntakeRequest {
    let num = |k: &str| form.text(k).parse::<f64>().ok();
    let mut attributes = Vec::new();
    for key in form.keys() {
        if let Some(code) = key.strip_prefix("attr_") {
            for v in form.all(key) {
                if !v.trim().is_empty() {
                    // A browser's date-and-time field sends local time without seconds or offset
                    // (2026-11-22T09:30); the request keeps it as an instant in China Standard Time.
                    let v = v.trim();
                    let local = v.len() == 16 && v.as_bytes().get(10) == Some(&b'T') && !v.contains('+');
                    let value = if local {
                        format!("{v}:00+08:00")
                    } else {
                        v.to_owned()
                    };
                    attributes.push((code.to_owned(), value));
                }
            }
        }
    }
    IntakeRequest {
        channel: if channel.is_empty() {
            form.text("channel")
        } else {
            channel.to_owned()
        },
        kind: if form.text("kind").is_empty() {
            "complaint".into()
        } else {
            form.text("kind")
        },
        category: form.text("category"),
        content: form.text("content"),
        lat: num("lat"),
        lon: num("lon"),
        address: Some(form.text("address")),
        name: Some(form.text("name")),
        phone: Some(form.text("phone")),
        urgency: Some(form.text("urgency")),
        summoned: form.all("summoned"),
        attributes,
        attachments: Vec::new(),
        notify: Some(form.text("notify") == "1"),
    }
}

pub(crate) fn ticket_command(form: &FormData) -> Result<TicketCommand, ApiError> {
    let code = |k: &str| {
        onego_domain::values::Code::parse(&form.text(k))
            .map_err(|e| ApiError::unprocessable(format!("{k}: {e}")))
    };
    Ok(match form.text("command").as_str() {
        "dispatch" => TicketCommand::Dispatch {
            lead: code("lead")?,
            assisting: form
                .all("assisting")
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| {
                    onego_domain::values::Code::parse(a).map_err(|e| ApiError::unprocessable(e.to_string()))
                })
                .collect::<Result<_, _>>()?,
            category: Some(code("category")?).filter(|_| !form.text("category").is_empty()),
            sla: if form.text("sla").is_empty() {
                None
            } else {
                Some(code("sla")?)
            },
            note: form.text("note"),
        },
        "sign" => TicketCommand::Sign,
        "return" => TicketCommand::Return {
            reason: form.text("reason"),
        },
        "give_feedback" => TicketCommand::GiveFeedback {
            text: form.text("text"),
        },
        "request_extension" => TicketCommand::RequestExtension {
            limit: form.text("limit").parse().map_err(|_| {
                ApiError::unprocessable("write the extra time like 5wd (working days) or 12h (hours)")
            })?,
            reason: form.text("reason"),
        },
        "decide_extension" => TicketCommand::DecideExtension {
            granted: form.text("granted") == "yes",
            reason: form.text("reason"),
        },
        "reply" => TicketCommand::Reply {
            answer: form.text("answer"),
        },
        "return_visit" => TicketCommand::ReturnVisit {
            // Nothing is preselected: the caller's words are recorded, not a default.
            solved: match form.text("solved").as_str() {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(ApiError::unprocessable(Msg::new(
                        "choose_solved",
                        "请选择诉求人反映的问题是否已解决",
                        "choose whether the requester says it is solved",
                    )));
                }
            },
            satisfaction: form.text("satisfaction").parse().map_err(|_| {
                ApiError::unprocessable(Msg::new(
                    "choose_satisfaction",
                    "请选择诉求人的满意度",
                    "choose how satisfied the requester is",
                ))
            })?,
            note: form.text("note"),
        },
        "merge" => TicketCommand::Merge {
            into: form.text("into"),
        },
        "supervise" => TicketCommand::Supervise {
            reason: form.text("reason"),
        },
        "report" => TicketCommand::Report,
        "resolve_in_grid" => TicketCommand::ResolveInGrid {
            answer: form.text("answer"),
        },
        "escalate" => TicketCommand::Escalate {
            reason: form.text("reason"),
        },
        other => return Err(ApiError::bad_request(format!("unknown command \"{other}\""))),
    })
}

/// A time limit typed in a form (`20` and `wd`), with its field named in both languages.
pub(crate) fn limit_from(form: &FormData, key: &str, what: (&str, &str)) -> Result<Limit, Msg> {
    let text = form.limit_text(key);
    text.parse::<Limit>().map_err(|e| {
        Msg::new(
            "limit_invalid",
            format!("{}请填写一个正整数并选择单位（工作日、自然日或小时）", what.0),
            format!("{}: {e}", what.1),
        )
        .at(key.to_owned())
    })
}

/// A code typed in a form, with its field named in both languages.
pub(crate) fn code_from(text: &str, what: (&str, &str)) -> Result<Code, Msg> {
    Code::parse(text.trim()).map_err(|e| {
        e.msg()
            .prefixed(&format!("{}：", what.0), &format!("{}: ", what.1))
    })
}

pub(crate) fn item_from_form(
    form: &FormData,
    version: u32,
    today: chrono::NaiveDate,
) -> Result<ServiceItem, Msg> {
    let code = |k: &'static str, what: (&str, &str)| code_from(&form.text(k), what).map_err(|m| m.at(k));
    let limit = |k: &str, what: (&str, &str)| limit_from(form, k, what);
    let lines = |k: &str| {
        form.text(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // One row per material; a row with neither code nor name is empty and left out.
    let (codes, names) = (form.all("m_code"), form.all("m_name"));
    let pick = |k: &str, i: usize| form.all(k).get(i).cloned().unwrap_or_default();
    let mut materials = Vec::new();
    for (i, (code, name)) in codes
        .iter()
        .zip(names.iter().chain(std::iter::repeat(&String::new())))
        .enumerate()
    {
        let (code, name) = (code.trim(), name.trim());
        if code.is_empty() && name.is_empty() {
            continue;
        }
        let row = i + 1;
        if code.is_empty() || name.is_empty() {
            return Err(Msg::new(
                "material_row_incomplete",
                format!("第 {row} 行材料：请同时填写编码和名称"),
                format!("material row {row}: give both a code and a name"),
            )
            .at("materials"));
        }
        materials.push(MaterialSpec {
            code: code_from(
                code,
                (
                    &format!("第 {row} 行材料的编码"),
                    &format!("material row {row}: code"),
                ),
            )
            .map_err(|m| m.at("materials"))?,
            name: name.to_owned(),
            necessity: parse_choice(("材料的必要性", "necessity"), &pick("m_necessity", i), "")?,
            source: parse_choice(("材料来源", "source"), &pick("m_source", i), "")?,
            kind: parse_choice(("材料类型", "kind"), &pick("m_kind", i), "")?,
            form: onego_domain::catalog::MaterialForm::Either,
            copies: 1,
            blank_form: None,
            note: None,
            certificate: Some(pick("m_certificate", i)).filter(|c| !c.trim().is_empty()),
        });
    }
    let item = ServiceItem {
        base_code: code("base", ("基本编码", "base code"))?,
        impl_code: code("code", ("实施编码", "implementation code"))?,
        version,
        effective_from: today,
        effective_until: None,
        name: form.text("name"),
        kind: parse_choice(("事项类型", "kind"), &form.text("kind"), "").map_err(|m| m.at("kind"))?,
        department: code("department", ("实施部门", "department"))?,
        legal_limit: limit("legal", ("法定时限", "legal limit"))?,
        promised_limit: limit("promised", ("承诺时限", "promised limit"))?,
        handling: parse_choice(("办件类型", "handling"), &form.text("handling"), "")
            .map_err(|m| m.at("handling"))?,
        visits_required: form.text("visits").parse().map_err(|_| {
            Msg::new("visits_invalid", "到现场次数只能是0或1", "visits must be 0 or 1").at("visits")
        })?,
        online_depth: if form.text("visits") == "0" {
            onego_domain::catalog::OnlineDepth::FullyOnline
        } else {
            onego_domain::catalog::OnlineDepth::Online
        },
        conditions: lines("conditions"),
        materials,
        fees: lines("fees"),
        result_name: form.text("result"),
        result_type: form.text("result_type"),
        place: form.text("place"),
        hours: form.text("hours"),
        consult_phone: form.text("consult"),
        complaint_phone: form.text("complaint"),
        process: code("process", ("办理流程", "process"))?,
        certificate_type: Some(form.text("certificate_type")).filter(|c| !c.trim().is_empty()),
        auto_approval: form.text("auto_approval") == "true",
    };
    item.validate().map_err(|e| e.msg())?;
    Ok(item)
}
