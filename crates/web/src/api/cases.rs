//! Applications: opening one, its view with clocks and timeline, commands, verification, lists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use onego_calendar::{ClockReading, Limit, MS_PER_DAY, Timestamp};
use onego_domain::case::{
    Applicant, Case, CaseStatus, Channel, Command, ProvidedMaterial, SubjectRef, Submission,
};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy;
use onego_domain::values::{ApplicantId, Code, Mobile};
use onego_store::aggregate::{ChainCheck, JournalView};
use onego_store::case::CaseFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

use super::*;

// --- Cases ------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicantInput {
    /// 18-character resident ID number or 统一社会信用代码.
    pub id: String,
    pub name: String,
    pub mobile: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInput {
    /// Materials the clerk received at the counter (codes).
    #[serde(default)]
    pub received: Vec<String>,
    /// 容缺 materials to follow later (codes).
    #[serde(default)]
    pub deferred: Vec<String>,
    #[serde(default)]
    pub opinion: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// An item's code (give this or `bundle`).
    pub item: Option<String>,
    /// A bundle's code (一件事).
    pub bundle: Option<String>,
    /// At the window, or for an agent the enterprise it acts for: who applies. Online applicants apply
    /// as themselves and leave this out.
    pub applicant: Option<ApplicantInput>,
    /// Form fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: Option<serde_json::Value>,
    /// Codes of the materials handed in.
    #[serde(default)]
    pub materials: Vec<String>,
    /// Materials satisfied by the applicant's electronic certificates or shared data records instead
    /// (免提交): material code → certificate id (see `GET /api/v1/certificates`). Each use is logged on
    /// the certificate with this case as its reason.
    #[serde(default)]
    pub certificates: std::collections::BTreeMap<String, i64>,
    /// At the window: the applicant agreed that their certificates be used for this application.
    #[serde(default)]
    pub holder_consent: bool,
    /// The major project this application is a procedure of (an item of its plan, in a started stage).
    #[serde(default)]
    pub project: Option<i64>,
    /// Window only: accept at once (受理 at the counter).
    pub accept: Option<AcceptInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// When the limit runs out (absent while paused).
    pub due: Option<String>,
    /// running, warning, overdue, paused
    pub state: String,
    pub limit: String,
    /// In days of the limit's unit (working days for a working-day limit).
    pub elapsed_days: f64,
    pub remaining_days: f64,
    /// True when a date counted lies outside the holiday table.
    pub provisional: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: u32,
    pub name: String,
    pub department: String,
    pub role: Option<String>,
    /// open, done, cancelled
    pub state: String,
    pub action: Option<String>,
    pub opened_at: String,
    pub clock: Option<ClockView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub opinion: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// SM3 hash chained to the previous entry.
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub status_zh: String,
    pub outcome: Option<String>,
    pub decision_reason: Option<String>,
    pub department: String,
    pub applicant_id: String,
    pub applicant_name: String,
    pub applicant_mobile: Option<String>,
    pub channel: String,
    pub submitted_at: String,
    pub accepted_at: Option<String>,
    pub decided_at: Option<String>,
    pub delivered_at: Option<String>,
    /// The promised-limit clock from acceptance.
    pub clock: Option<ClockView>,
    pub legal_clock: Option<ClockView>,
    pub tasks: Vec<TaskView>,
    /// The full state (materials, supplement notice, special procedure, delivery, rating, …).
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub timeline: Vec<TimelineEntry>,
}

pub(crate) fn time(t: Timestamp) -> String {
    t.to_rfc3339_in(onego_calendar::china_standard_time())
}

pub(crate) fn clock_view(r: ClockReading) -> ClockView {
    let unit = match r.total {
        Limit::WorkingHours(_) | Limit::NaturalHours(_) => onego_calendar::MS_PER_HOUR as f64 * 24.0,
        _ => MS_PER_DAY as f64,
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    ClockView {
        due: r.due.map(time),
        state: r.state.as_str().to_owned(),
        limit: r.total.compact(),
        elapsed_days: round(r.elapsed_ms as f64 / unit),
        remaining_days: round(r.remaining_ms as f64 / unit),
        provisional: r.provisional,
    }
}

/// A case as the reader may see it; `journal` comes from [`crate::privacy::journal`], already masked.
pub fn case_view(state: &AppState, auth: &Auth, case: &Case, journal: Vec<JournalView>) -> CaseView {
    let cal = state.engine.calendar();
    let policy = state.engine.config().policy;
    let at = case.stopped_at().unwrap_or_else(now);
    let read =
        |c: Option<onego_calendar::Clock>| c.and_then(|c| c.read(&cal, policy, at).ok()).map(clock_view);
    let person = crate::privacy::applicant(&auth.actor, case);
    let tasks = case
        .tasks
        .iter()
        .map(|t| {
            let (state, action) = match &t.state {
                onego_domain::case::TaskState::Open => ("open", None),
                onego_domain::case::TaskState::Done { action, .. } => {
                    ("done", Some(format!("{action:?}").to_lowercase()))
                }
                onego_domain::case::TaskState::Cancelled { .. } => ("cancelled", None),
            };
            TaskView {
                id: t.id,
                name: t.name.clone(),
                department: t.department.to_string(),
                role: t.role.clone(),
                state: state.to_owned(),
                action,
                opened_at: time(t.opened_at),
                clock: t.is_open().then(|| read(Some(case.task_clock(t)))).flatten(),
            }
        })
        .collect();
    CaseView {
        id: case.id,
        number: case.number.to_string(),
        title: case.title.clone(),
        status: case.status.as_str().to_owned(),
        status_zh: case.status.zh().to_owned(),
        outcome: case.outcome.map(|o| o.as_str().to_owned()),
        decision_reason: case.decision_reason.clone(),
        department: case.department.to_string(),
        applicant_id: person.id,
        applicant_name: person.name,
        applicant_mobile: person.mobile,
        channel: match case.channel {
            Channel::Online => "online".into(),
            Channel::Window => "window".into(),
        },
        submitted_at: time(case.submitted_at),
        accepted_at: case.accepted_at.map(time),
        decided_at: case.decided_at.map(time),
        delivered_at: case.delivered_at.map(time),
        clock: read(case.clock()),
        legal_clock: read(case.legal_clock()),
        tasks,
        state: crate::privacy::case_state(&auth.actor, case),
        timeline: journal
            .into_iter()
            .map(|j| TimelineEntry {
                seq: j.seq,
                at: time(j.at),
                actor: j.actor_name,
                actor_role: j.actor_role,
                action: j.action,
                opinion: j.opinion,
                data: j.data,
                hash: j.hash,
            })
            .collect(),
    }
}

pub(crate) async fn load_view(state: &AppState, auth: &Auth, id: i64) -> ApiResult<CaseView> {
    let stored = state.engine.case(&auth.actor, id).await?;
    let journal = state.engine.timeline::<Case>(&auth.actor, id).await?;
    let sees = crate::privacy::sees_case(&auth.actor, &stored.value);
    Ok(case_view(
        state,
        auth,
        &stored.value,
        crate::privacy::journal(&journal, sees),
    ))
}

pub(crate) fn to_codes(what: &str, list: &[String]) -> ApiResult<Vec<Code>> {
    list.iter().map(|s| parse_code(what, s)).collect()
}

/// Submits an application (online, as the applicant) or registers one at the window (clerk; may
/// accept at once).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CreateCaseRequest,
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_case(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateCaseRequest>,
) -> ApiResult<impl IntoResponse> {
    let subject = match (&req.item, &req.bundle) {
        (Some(i), None) => SubjectRef::Item {
            code: parse_code("item", i)?,
        },
        (None, Some(b)) => SubjectRef::Bundle {
            code: parse_code("bundle", b)?,
        },
        _ => return Err(ApiError::unprocessable("name exactly one of item or bundle")),
    };
    let channel = if auth.user.role == Role::Clerk {
        Channel::Window
    } else {
        Channel::Online
    };
    let applicant = match (&req.applicant, auth.user.role) {
        (Some(a), Role::Clerk) => Applicant {
            id: ApplicantId::parse(&a.id).map_err(|e| ApiError::unprocessable(e.msg()))?,
            name: {
                let n = a.name.trim();
                if n.is_empty() || n.chars().count() > 100 {
                    return Err(ApiError::unprocessable(
                        "give the applicant's name (1 to 100 characters)",
                    ));
                }
                n.to_owned()
            },
            mobile: a
                .mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(|e| ApiError::unprocessable(e.msg()))?,
            user_id: None,
        },
        (None, Role::Clerk) => {
            return Err(ApiError::unprocessable(
                "at the window, say who applies: applicant {id, name}",
            ));
        }
        // An agent applies in the name of an enterprise it holds an agreement with (checked by the
        // access policy, which says why when it does not reach): the enterprise's name as agreed.
        (Some(a), Role::Agent) => {
            let id = ApplicantId::parse(&a.id).map_err(|e| ApiError::unprocessable(e.msg()))?;
            let name = auth
                .actor
                .mandates
                .iter()
                .find(|m| m.enterprise == id)
                .map(|m| m.enterprise_name.clone())
                .unwrap_or_else(|| a.name.trim().to_owned());
            Applicant {
                id,
                name,
                mobile: None,
                user_id: None,
            }
        }
        (None, Role::Agent) => {
            return Err(ApiError::unprocessable(
                "an agent names the enterprise it acts for: applicant {id, name}",
            ));
        }
        (Some(_), _) => {
            return Err(ApiError::unprocessable(
                "applicants apply as themselves; leave out applicant",
            ));
        }
        (None, _) => Applicant {
            id: auth.user.applicant.clone().ok_or_else(|| {
                ApiError::forbidden("only applicants (online) and window clerks submit applications")
            })?,
            name: auth.user.name.clone(),
            mobile: auth.user.mobile.as_deref().and_then(|m| Mobile::parse(m).ok()),
            user_id: Some(auth.user.id),
        },
    };
    let t = now();
    let mut materials: Vec<ProvidedMaterial> = to_codes("material", &req.materials)?
        .into_iter()
        .map(|code| ProvidedMaterial {
            code,
            at: t,
            file: None,
            certificate: None,
        })
        .collect();
    let by_certificate: Vec<String> = req.certificates.keys().cloned().collect();
    for (code, id) in to_codes("material", &by_certificate)?
        .into_iter()
        .zip(req.certificates.values())
    {
        materials.retain(|m| m.code != code);
        materials.push(ProvidedMaterial {
            code,
            at: t,
            file: None,
            certificate: Some(onego_domain::case::UsedCertificate {
                id: *id,
                identifier: String::new(),
                type_name: String::new(),
            }),
        });
    }
    let form = req.form.unwrap_or_else(|| serde_json::json!({}));
    if serde_json::to_string(&form).map(|s| s.len()).unwrap_or(0) > 64 * 1024 {
        return Err(ApiError::unprocessable(
            "the form is larger than 64 KiB; attach documents as materials instead",
        ));
    }
    let accept = match req.accept {
        Some(a) => Some(Command::Accept {
            received: to_codes("received material", &a.received)?,
            deferred: to_codes("deferred material", &a.deferred)?,
            opinion: a.opinion,
        }),
        None => None,
    };
    let submission = Submission {
        subject,
        channel,
        applicant,
        form,
        materials,
        holder_consent: req.holder_consent,
        project: req.project,
    };
    let out = state.engine.open_case(&auth.actor, submission, accept, t).await?;
    state.metrics.count_command("submit");
    let view = load_view(&state, &auth, out.state.id).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A case with its clocks and full timeline.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case id or 20-digit case number")),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseView>> {
    let id = resolve_id(&state, &id).await?;
    Ok(Json(load_view(&state, &auth, id).await?))
}

pub(crate) async fn resolve_id(state: &AppState, text: &str) -> ApiResult<i64> {
    let t = text.trim();
    if t.len() == 20 {
        let number =
            onego_domain::values::CaseNumber::parse(t).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let n = number.to_string();
        return state
            .engine
            .store()
            .cases()
            .id_by_number(&n)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("there is no case {number}")));
    }
    t.parse().map_err(|_| {
        ApiError::bad_request(format!("\"{t}\" is neither a case id nor a 20-digit case number"))
    })
}

/// Acts on a case. The body is one command, tagged by `command`:
/// `accept`, `refuse_acceptance`, `request_supplement`, `supply_materials`, `act` (approve / return /
/// refuse a task), `start_special_procedure`, `end_special_procedure`, `grant_extension`, `deliver`,
/// `withdraw`, `rate`. Example: `{"command": "act", "task": 3, "action": "approve", "opinion": "同意"}`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/commands", tag = "cases",
    params(("id" = String, Path, description = "case id or number")),
    request_body(content = Object, description = "one command"),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(cmd): Json<Command>,
) -> ApiResult<Json<CaseView>> {
    if matches!(cmd, Command::CheckClock { .. }) {
        return Err(ApiError::forbidden("clocks are checked by onego itself"));
    }
    let id = resolve_id(&state, &id).await?;
    state.engine.run_case(&auth.actor, id, &cmd, now()).await?;
    state.metrics.count_command(cmd.name());
    Ok(Json(load_view(&state, &auth, id).await?))
}

/// Checks the case's journal hash chain.
#[utoipa::path(get, path = "/api/v1/cases/{id}/verify", tag = "cases",
    params(("id" = String, Path, description = "case id or number")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ChainCheck>> {
    let id = resolve_id(&state, &id).await?;
    state.engine.case(&auth.actor, id).await?;
    Ok(Json(state.engine.store().cases().verify_chain(id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseListParams {
    /// submitted, not_accepted, in_review, decided, delivered, withdrawn
    pub status: Option<String>,
    pub department: Option<String>,
    pub item: Option<String>,
    /// Accepted from this date (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    pub overdue: Option<bool>,
    /// Rows per page: 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip: 0 to 100000.
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseListItem {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub department: String,
    pub submitted_at: String,
    pub due_at: Option<String>,
    pub decided_at: Option<String>,
    pub outcome: Option<String>,
    pub warned: bool,
    pub overdue: bool,
}

/// Cases the caller may see: an applicant's own; a department's; all for the window and leaders.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams),
    responses((status = 200, body = Vec<CaseListItem>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<CaseListParams>,
) -> ApiResult<Json<Vec<CaseListItem>>> {
    let (limit, offset) = paging(p.limit, p.offset, 50)?;
    let scope = policy::case_list_scope(&auth.actor).map_err(|d| ApiError::forbidden(d.0))?;
    let mut f = CaseFilter::new(scope, limit);
    f.offset = offset;
    if let Some(s) = &p.status {
        f.status = Some(
            CaseStatus::parse(s).ok_or_else(|| ApiError::bad_request(format!("unknown status \"{s}\"")))?,
        );
    }
    f.item_code = p.item.clone();
    f.accepted_from_day = p.from.as_deref().map(|d| parse_day("from", d)).transpose()?;
    f.accepted_to_day = p.to.as_deref().map(|d| parse_day("to", d)).transpose()?;
    f.overdue = p.overdue;
    f.department = p.department.clone();
    let rows = state.engine.store().cases().list(f).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| CaseListItem {
                id: r.id,
                number: r.number,
                title: r.title,
                status: r.status.as_str().to_owned(),
                department: r.department,
                submitted_at: time(r.submitted_at),
                due_at: r.due_at.map(time),
                decided_at: r.decided_at.map(time),
                outcome: r.outcome.map(|o| o.as_str().to_owned()),
                warned: r.warned,
                overdue: r.overdue,
            })
            .collect(),
    ))
}

/// The decision letter of a decided case as a PDF (准予 / 不予许可决定书, or 不予受理决定书): its
/// applicant, and the departments that handled it after recording a lookup in the archive.
#[utoipa::path(get, path = "/api/v1/cases/{id}/decision-letter", tag = "cases",
    params(("id" = String, Path, description = "case id or 20-digit case number")),
    responses((status = 200, content_type = "application/pdf", description = "the decision letter"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decision_letter_pdf(
    State(state): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    let id = resolve_id(&state, &id).await?;
    let bytes = decision_letter(&state, &auth.actor, &headers, id).await?;
    let number = state.engine.case(&auth.actor, id).await?.value.number.to_string();
    Ok(crate::api::certificates::pdf_download(
        bytes,
        &format!("决定书-{number}.pdf"),
        &format!("decision-{number}.pdf"),
    ))
}

/// How long a department member's archive lookup opens a decided case's documents.
const LOOKUP_MILLIS: i64 = 8 * 3_600_000;

/// Whether `user` recorded a lookup of this case in the archive (查档事由) within the working session —
/// the one rule for a department's record page and decision letter.
pub(crate) fn looked_up_recently(journal: &[onego_store::aggregate::JournalRow], user: i64) -> bool {
    let since = now().as_millis() - LOOKUP_MILLIS;
    journal
        .iter()
        .any(|j| j.action == "archive_consulted" && j.actor_id == user && j.at >= since)
}

/// The decision letter's PDF.
pub(crate) async fn decision_letter(
    state: &AppState,
    actor: &onego_domain::org::Actor,
    headers: &axum::http::HeaderMap,
    id: i64,
) -> ApiResult<Vec<u8>> {
    let stored = state.engine.case(actor, id).await?;
    let case = stored.value.clone();
    let Some(decided_at) = case.decided_at else {
        return Err(ApiError::conflict(onego_domain::messages::Msg::new(
            "not_decided",
            "该办件尚未作出决定，还没有决定书",
            "the case is not decided yet, so there is no decision letter",
        )));
    };
    if matches!(actor.role, Role::Approver | Role::Supervisor) {
        let journal = state
            .engine
            .timeline::<onego_domain::case::Case>(actor, id)
            .await?;
        if !looked_up_recently(&journal, actor.user_id) {
            return Err(ApiError::forbidden(onego_domain::messages::Msg::new(
                "archive_lookup_first",
                "调阅决定书前，请先在“档案查询”中填写查档事由",
                "look the case up in the archive first, saying why (consult_archive)",
            )));
        }
    }
    let calendar = state.engine.calendar();
    let outcome = match case.outcome {
        Some(o) => o.as_str().to_owned(),
        None => "not_accepted".to_owned(),
    };
    let items = case
        .flows
        .iter()
        .map(|f| {
            let result = match f.outcome {
                Some(onego_domain::process::Outcome::Approved) => "准予许可",
                Some(onego_domain::process::Outcome::Refused) => "不予许可",
                None if outcome == "not_accepted" => "不予受理",
                None => "未作决定",
            };
            (f.item_name.clone(), result.to_owned())
        })
        .collect();
    let applicant_code = if policy::sees_personal_data(actor, &case) {
        case.applicant.id.as_str().to_owned()
    } else {
        case.applicant.id.masked()
    };
    let certificates = state
        .engine
        .certificates_of_case(&onego_domain::org::Actor::system(), id)
        .await?
        .into_iter()
        .map(|c| c.content.identifier)
        .collect();
    let department = state
        .engine
        .catalog()
        .department(&case.department)
        .map_or_else(|| case.department.to_string(), |d| d.name.clone());
    let letter = onego_documents::Decision {
        outcome,
        case_number: case.number.to_string(),
        applicant_name: case.applicant.name.clone(),
        applicant_code,
        department,
        items,
        submitted_on: calendar.local_date(case.submitted_at),
        decided_on: calendar.local_date(decided_at),
        reason: case.decision_reason.clone().unwrap_or_default(),
        certificates,
        lookup_url: format!("{}/archive/{id}", state.public_base(headers)),
    };
    tokio::task::spawn_blocking(move || onego_documents::decision_pdf(&letter))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)
}
