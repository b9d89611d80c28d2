//! 帮办代办 in the API: the agency centre records a signed agreement (enterprise, agent, scope of projects
//! or items, validity, the scanned file); the enterprise, the agent and the centre list and read theirs;
//! the enterprise or the centre revokes, the centre renews. Within an agreement in force the agent
//! submits (`POST /api/v1/cases` with `applicant`) and supplies materials as the enterprise would.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use onego_domain::agency::{Agreement, AgreementCommand, NewAgreement};
use onego_domain::labels::{Label, Lang};
use onego_domain::messages::Msg;
use onego_domain::project::Investor;
use onego_domain::values::{ApplicantId, Code, FileRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Json, Path, now};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldErrors};

/// An agreement to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// The enterprise's 统一社会信用代码 and name.
    pub enterprise_id: String,
    pub enterprise_name: String,
    /// The agent's username (an account with the role agent).
    pub agent: String,
    /// Project ids the agent carries, and/or item codes it may apply for.
    #[serde(default)]
    pub projects: Vec<i64>,
    #[serde(default)]
    pub items: Vec<String>,
    /// First and last day, YYYY-MM-DD.
    pub valid_from: String,
    pub valid_until: String,
    /// The signed agreement, an upload of the recorder's (`/uploads/<id>`).
    #[serde(default)]
    pub file: Option<String>,
}

/// The checked agreement and the agent's username.
pub struct ParsedAgreement {
    pub agent: String,
    pub terms: NewAgreement,
}

fn date(bad: &mut FieldErrors, field: &'static str, text: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        bad.add(
            field,
            Msg::new(
                "agreement_date",
                "请按“年-月-日”填写日期，例如 2026-12-31",
                "give the date as year-month-day, e.g. 2026-12-31",
            ),
        );
    }
    d
}

impl TryFrom<AgreementInput> for ParsedAgreement {
    type Error = ApiError;

    /// Every mistake at its field, all at once.
    fn try_from(i: AgreementInput) -> Result<ParsedAgreement, ApiError> {
        let mut bad = FieldErrors::default();
        let enterprise = match ApplicantId::parse(&i.enterprise_id) {
            Ok(id @ ApplicantId::Organisation { .. }) => Some(id),
            Ok(_) => {
                bad.add(
                    "enterprise_id",
                    Msg::new(
                        "agreement_enterprise_not_org",
                        "委托方须是企业：请填写18位统一社会信用代码",
                        "the principal is an enterprise: give its 统一社会信用代码 (18 characters)",
                    ),
                );
                None
            }
            Err(e) => {
                bad.add("enterprise_id", e.msg());
                None
            }
        };
        let name = i.enterprise_name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            bad.add(
                "enterprise_name",
                Msg::new(
                    "agreement_enterprise_name",
                    "请填写企业名称（不超过100字）",
                    "give the enterprise's name (at most 100 characters)",
                ),
            );
        }
        if i.agent.trim().is_empty() {
            bad.add(
                "agent",
                Msg::new(
                    "agreement_agent",
                    "请填写代办员的用户名",
                    "give the agent's username",
                ),
            );
        }
        let mut items = Vec::new();
        for text in i.items.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            match Code::parse(text) {
                Ok(c) if !items.contains(&c) => items.push(c),
                Ok(_) => {}
                Err(e) => {
                    bad.add("items", e.msg());
                    break;
                }
            }
        }
        let mut projects = i.projects.clone();
        projects.sort_unstable();
        projects.dedup();
        if projects.len() + items.len() > 50 {
            bad.add(
                "items",
                Msg::new(
                    "agreement_scope_large",
                    "一份协议最多写明50个项目和事项",
                    "an agreement names at most 50 projects and items",
                ),
            );
        }
        let from = date(&mut bad, "valid_from", &i.valid_from);
        let until = date(&mut bad, "valid_until", &i.valid_until);
        let file = match i.file.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None => None,
            Some(f) => match FileRef::parse(f) {
                Ok(r) => Some(r),
                Err(e) => {
                    bad.add("file", e.msg());
                    None
                }
            },
        };
        bad.finish()?;
        let (Some(id), Some(valid_from), Some(valid_until)) = (enterprise, from, until) else {
            return Err(ApiError::unprocessable("the agreement is incomplete"));
        };
        Ok(ParsedAgreement {
            agent: i.agent.trim().to_owned(),
            terms: NewAgreement {
                enterprise: Investor { id, name },
                projects,
                items,
                valid_from,
                valid_until,
                file,
            },
        })
    }
}

/// An agreement as its parties read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: i64,
    pub number: String,
    pub enterprise: String,
    pub enterprise_id: String,
    pub agent: String,
    pub projects: Vec<i64>,
    pub items: Vec<String>,
    pub valid_from: String,
    pub valid_until: String,
    /// signed, revoked or expired; and whether it is in force today.
    pub status: String,
    pub status_name: String,
    pub in_force: bool,
    pub file: Option<String>,
    pub centre: String,
    pub ended_reason: Option<String>,
}

pub(crate) fn agreement_view(state: &AppState, a: &Agreement, lang: Lang) -> AgreementView {
    let today = state.engine.calendar().local_date(now());
    AgreementView {
        id: a.id,
        number: a.number.clone(),
        enterprise: a.enterprise.name.clone(),
        enterprise_id: a.enterprise.id.as_str().to_owned(),
        agent: a.agent_name.clone(),
        projects: a.projects.clone(),
        items: a.items.iter().map(|c| c.to_string()).collect(),
        valid_from: a.valid_from.to_string(),
        valid_until: a.valid_until.to_string(),
        status: a.status.as_str().to_owned(),
        status_name: a.status.label(lang).to_owned(),
        in_force: a.in_force(today),
        file: a.file.map(|f| f.to_string()),
        centre: crate::views::dept_name(state, a.department.as_str()),
        ended_reason: a.ended_reason.clone(),
    }
}

/// Records a signed agreement (the agency centre).
#[utoipa::path(post, path = "/api/v1/agreements", tag = "agreements", request_body = AgreementInput,
    responses((status = 201, body = AgreementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<AgreementInput>,
) -> ApiResult<(StatusCode, Json<AgreementView>)> {
    let parsed = ParsedAgreement::try_from(input)?;
    let out = state
        .engine
        .sign_agreement(&auth.actor, &parsed.agent, parsed.terms, now())
        .await?;
    state.metrics.count_command("agreement");
    Ok((
        StatusCode::CREATED,
        Json(agreement_view(&state, &out.state, Lang::Zh)),
    ))
}

/// The agreements the caller is party to (an enterprise, an agent, the agency centre; leaders all).
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements",
    responses((status = 200, body = [AgreementView]), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<AgreementView>>> {
    let rows = state.engine.agreements(&auth.actor).await?;
    Ok(Json(
        rows.iter().map(|a| agreement_view(&state, a, Lang::Zh)).collect(),
    ))
}

/// One agreement.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements",
    params(("id" = i64, Path, description = "agreement id")),
    responses((status = 200, body = AgreementView), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<AgreementView>> {
    let stored = state.engine.agreement(&auth.actor, id).await?;
    Ok(Json(agreement_view(&state, &stored.value, Lang::Zh)))
}

/// A command on an agreement, tagged by `command`: `revoke` {reason} (the enterprise or the centre),
/// `renew` {valid_until, reason} (the centre).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/commands", tag = "agreements",
    params(("id" = i64, Path, description = "agreement id")),
    request_body(content = Object, description = "one command"),
    responses((status = 200, body = AgreementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(cmd): Json<AgreementCommand>,
) -> ApiResult<Json<AgreementView>> {
    if matches!(cmd, AgreementCommand::CheckExpiry { .. }) {
        return Err(ApiError::forbidden(Msg::new(
            "agreement_check_by_system",
            "协议到期由系统自动检查",
            "expiry is checked by onego itself",
        )));
    }
    let out = state.engine.run_agreement(&auth.actor, id, &cmd, now()).await?;
    state.metrics.count_command("agreement");
    Ok(Json(agreement_view(&state, &out.state, Lang::Zh)))
}
