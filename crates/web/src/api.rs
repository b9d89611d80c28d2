//! The JSON API under `/api/v1`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use onego_calendar::{ClockReading, Limit, MS_PER_DAY, Timestamp};
use onego_domain::case::{
    Applicant, Case, CaseStatus, Channel, Command, ProvidedMaterial, SubjectRef, Submission,
};
use onego_domain::catalog::{Bundle, ServiceItem};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy;
use onego_domain::process::{NodeKind, ProcessDefinition};
use onego_domain::values::{ApplicantId, Code, Mobile};
use onego_store::aggregate::{ChainCheck, JournalView};
use onego_store::case::CaseFilter;
use onego_store::inbox::{InboxRow, InboxTask, Notification};
use onego_store::stats::{self, GroupBy, StatsQuery};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

// --- Extractors with our error shape ---------------------------------------------------------------

/// JSON body; a malformed or mistyped body gets `{code, message}` saying what is wrong.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request(format!(
                "the body is not valid JSON: {}",
                e.body_text()
            ))),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::unprocessable(format!(
                "the JSON does not fit this request: {}",
                e.body_text()
            ))),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(JsonRejection::BytesRejection(e)) => Err(ApiError::new(
                e.status(),
                format!(
                    "the body could not be read ({}); bodies are limited to 1 MiB",
                    e.body_text()
                ),
            )),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string; a bad parameter is a 400 saying which.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(format!("bad query parameter: {}", e.body_text()))
            })
    }
}

/// A path parameter; one that does not parse is a 400 in our error shape.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
    }
}

fn parse_code(what: &str, s: &str) -> ApiResult<Code> {
    Code::parse(s).map_err(|e| ApiError::unprocessable(format!("{what}: {e}")))
}

pub(crate) fn parse_date(what: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{what} \"{s}\" is not a date; write YYYY-MM-DD")))
}

fn parse_day(what: &str, s: &str) -> ApiResult<i64> {
    parse_date(what, s).map(onego_store::day_number)
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis())
}

// --- Catalog ----------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    /// `licensing`, `confirmation`, … (行政许可, 行政确认, …)
    pub kind: String,
    pub kind_zh: String,
    pub department: String,
    pub department_name: String,
    /// Compact limit: `20wd` working days, `30d` natural days.
    pub promised_limit: String,
    pub legal_limit: String,
    /// `instant` (即办件) or `promised` (承诺件).
    pub handling: String,
    /// 0 = 一次不跑, 1 = 最多跑一次.
    pub visits_required: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleSummary {
    pub code: String,
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
    pub lead_department: String,
    pub promised_limit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogList {
    pub items: Vec<ItemSummary>,
    pub bundles: Vec<BundleSummary>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to look for in names, codes and departments.
    pub q: Option<String>,
}

fn kind_str(item: &ServiceItem) -> String {
    serde_json::to_value(item.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn summary(state: &AppState, item: &ServiceItem) -> ItemSummary {
    let catalog = state.engine.catalog();
    ItemSummary {
        code: item.impl_code.to_string(),
        name: item.name.clone(),
        kind: kind_str(item),
        kind_zh: item.kind.zh().to_owned(),
        department: item.department.to_string(),
        department_name: catalog
            .department(&item.department)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        promised_limit: item.promised_limit.compact(),
        legal_limit: item.legal_limit.compact(),
        handling: match item.handling {
            onego_domain::catalog::Handling::Instant => "instant".into(),
            onego_domain::catalog::Handling::Promised => "promised".into(),
        },
        visits_required: item.visits_required,
    }
}

fn bundle_summary(b: &Bundle) -> BundleSummary {
    BundleSummary {
        code: b.code.to_string(),
        name: b.name.clone(),
        description: b.description.clone(),
        members: b.members.iter().map(ToString::to_string).collect(),
        lead_department: b.lead_department.to_string(),
        promised_limit: b.promised_limit.compact(),
    }
}

/// Every item and bundle in force today, optionally filtered by words.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", params(SearchParams),
    responses((status = 200, body = CatalogList)))]
pub async fn catalog_list(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<CatalogList>> {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let words: Vec<String> =
        p.q.unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
    let matches = |texts: &[&str]| {
        words
            .iter()
            .all(|w| texts.iter().any(|t| t.to_lowercase().contains(w.as_str())))
    };
    let items = catalog
        .items_on(today)
        .into_iter()
        .filter(|i| {
            let dept = catalog
                .department(&i.department)
                .map(|d| d.name.as_str())
                .unwrap_or("");
            matches(&[&i.name, i.impl_code.as_str(), dept, i.kind.zh(), &i.result_name])
        })
        .map(|i| summary(&state, i))
        .collect();
    let bundles = catalog
        .bundles_on(today)
        .into_iter()
        .filter(|b| matches(&[&b.name, b.code.as_str(), &b.description]))
        .map(bundle_summary)
        .collect();
    Ok(Json(CatalogList { items, bundles }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    pub id: String,
    pub name: String,
    /// task, auto, parallel, join, choice, countersign, end
    #[serde(rename = "type")]
    pub kind: String,
    pub departments: Vec<String>,
    pub limit: Option<String>,
    pub next: Vec<String>,
}

pub fn steps(def: &ProcessDefinition, item_department: &Code) -> Vec<Step> {
    let resolve = |d: &String| {
        if d == "@item" {
            item_department.to_string()
        } else {
            d.clone()
        }
    };
    def.nodes
        .iter()
        .map(|n| {
            let (departments, limit) = match &n.kind {
                NodeKind::Task {
                    department, limit, ..
                } => (vec![resolve(department)], Some(limit.compact())),
                NodeKind::Countersign {
                    departments, limit, ..
                } => (departments.iter().map(resolve).collect(), Some(limit.compact())),
                _ => (vec![], None),
            };
            Step {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.type_name().to_owned(),
                departments,
                limit,
                next: n.successors().into_iter().map(str::to_owned).collect(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemGuide {
    /// The whole catalog entry: conditions, materials (with necessity and source), limits, fees,
    /// place, hours, phones.
    #[schema(value_type = Object)]
    pub item: ServiceItem,
    pub department_name: String,
    /// The process as a list of steps (a flowchart's nodes and edges).
    pub steps: Vec<Step>,
}

/// 办事指南 of one item.
#[utoipa::path(get, path = "/api/v1/catalog/items/{code}", tag = "catalog",
    params(("code" = String, Path, description = "implementation code, e.g. SCJG-001")),
    responses((status = 200, body = ItemGuide), (status = 404, body = ErrorBody)))]
pub async fn item_guide(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<ItemGuide>> {
    use onego_domain::case::Registry;
    let catalog = state.engine.catalog();
    let code = Code::parse(&code).map_err(|_| ApiError::not_found(format!("no item {code} is in force")))?;
    let today = state.engine.calendar().local_date(now());
    let item = catalog
        .item(&code, today)
        .ok_or_else(|| ApiError::not_found(format!("no item {code} is in force")))?;
    let steps = catalog
        .latest_process(&item.process)
        .map(|d| steps(d, &item.department))
        .unwrap_or_default();
    Ok(Json(ItemGuide {
        department_name: catalog
            .department(&item.department)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        item: item.clone(),
        steps,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleGuide {
    #[schema(value_type = Object)]
    pub bundle: Bundle,
    pub members: Vec<ItemSummary>,
    /// 一套材料: the members' materials with duplicates merged, each with the items that need it.
    #[schema(value_type = Vec<Object>)]
    pub materials: Vec<onego_domain::catalog::MergedMaterial>,
}

/// 办事指南 of a bundle (一件事).
#[utoipa::path(get, path = "/api/v1/catalog/bundles/{code}", tag = "catalog",
    params(("code" = String, Path, description = "bundle code, e.g. QYKB")),
    responses((status = 200, body = BundleGuide), (status = 404, body = ErrorBody)))]
pub async fn bundle_guide(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<BundleGuide>> {
    use onego_domain::case::Registry;
    let catalog = state.engine.catalog();
    let code =
        Code::parse(&code).map_err(|_| ApiError::not_found(format!("no bundle {code} is in force")))?;
    let today = state.engine.calendar().local_date(now());
    let bundle = catalog
        .bundle(&code, today)
        .ok_or_else(|| ApiError::not_found(format!("no bundle {code} is in force")))?;
    let items: Vec<ServiceItem> = bundle
        .members
        .iter()
        .filter_map(|m| catalog.item(m, today).cloned())
        .collect();
    Ok(Json(BundleGuide {
        members: items.iter().map(|i| summary(&state, i)).collect(),
        materials: bundle.merged_materials(&items),
        bundle: bundle.clone(),
    }))
}

// --- Sessions and tokens ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: String,
    pub department: Option<String>,
    /// Send this in `X-CSRF-Token` with every request that changes something.
    pub csrf: String,
}

fn me(auth: &Auth) -> Me {
    Me {
        id: auth.user.id,
        username: auth.user.username.clone(),
        name: auth.user.name.clone(),
        role: auth.user.role.as_str().to_owned(),
        department: auth.user.department.as_ref().map(ToString::to_string),
        csrf: auth.csrf.clone(),
    }
}

/// Logs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    origin: crate::auth::Origin,
    Json(req): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let (auth, cookie) = crate::auth::log_in(&state, &origin, &req.username, req.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie);
    Ok((headers, Json(me(&auth))))
}

/// Logs out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<impl IntoResponse> {
    let clear = crate::auth::log_out(&state, &headers).await?;
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, clear);
    Ok((StatusCode::NO_CONTENT, out))
}

/// Who I am, with the CSRF token of my session.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn whoami(auth: Auth) -> Json<Me> {
    Json(me(&auth))
}

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
    /// At the window: who applies. Online applicants apply as themselves and leave this out.
    pub applicant: Option<ApplicantInput>,
    /// Form fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: Option<serde_json::Value>,
    /// Codes of the materials handed in.
    #[serde(default)]
    pub materials: Vec<String>,
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

fn time(t: Timestamp) -> String {
    t.to_rfc3339_in(onego_calendar::china_standard_time())
}

fn clock_view(r: ClockReading) -> ClockView {
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

async fn load_view(state: &AppState, auth: &Auth, id: i64) -> ApiResult<CaseView> {
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

fn to_codes(what: &str, list: &[String]) -> ApiResult<Vec<Code>> {
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
            id: ApplicantId::parse(&a.id).map_err(|e| ApiError::unprocessable(e.to_string()))?,
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
                .map_err(|e| ApiError::unprocessable(e.to_string()))?,
            user_id: None,
        },
        (None, Role::Clerk) => {
            return Err(ApiError::unprocessable(
                "at the window, say who applies: applicant {id, name}",
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
    let materials = to_codes("material", &req.materials)?
        .into_iter()
        .map(|code| ProvidedMaterial {
            code,
            at: t,
            file: None,
        })
        .collect();
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

async fn resolve_id(state: &AppState, text: &str) -> ApiResult<i64> {
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

// --- Inbox ------------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub task_id: u32,
    pub task: String,
    pub role: Option<String>,
    pub opened_at: String,
    pub due: Option<String>,
    /// green (running), yellow (warning), red (overdue), grey (paused)
    pub colour: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Rows per page: 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip: 0 to 100000.
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<i64>,
}

/// Every list's paging, checked the same way: at most [`MAX_PAGE`] rows a page. A value out of range is
/// an error that says the range (never quietly changed), so a client learns the contract.
pub const MAX_PAGE: i64 = 200;
const MAX_OFFSET: i64 = 100_000;

pub fn paging(limit: Option<i64>, offset: Option<i64>, default: i64) -> ApiResult<(i64, i64)> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is out of range: give 1 to {MAX_PAGE} rows a page, and page on with offset"
        )));
    }
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(ApiError::bad_request(format!(
            "offset {offset} is out of range: give 0 to {MAX_OFFSET}; narrow the list with its filters instead"
        )));
    }
    Ok((limit, offset))
}

/// The name of an inbox task as people know it: a step's name, or a request task's Chinese label.
pub fn task_name(task: &InboxTask) -> String {
    match task {
        InboxTask::Step(name) => name.clone(),
        InboxTask::Ticket(t) => t.zh().to_owned(),
    }
}

/// The inbox colour of a task at `now`: green (running), yellow (warning), red (overdue), grey (paused).
pub fn clock_colour(row: &InboxRow, now: Timestamp) -> &'static str {
    match (row.due_at, row.warning_at) {
        (None, _) => "grey",
        (Some(d), _) if now >= d => "red",
        (_, Some(w)) if now >= w => "yellow",
        _ => "green",
    }
}

/// My department's open tasks, the most urgent first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases", params(Paging),
    responses((status = 200, body = Vec<InboxItem>), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<Paging>,
) -> ApiResult<Json<Vec<InboxItem>>> {
    let dept = policy::can_read_inbox(&auth.actor)
        .map_err(|d| ApiError::forbidden(d.0))?
        .to_string();
    let (limit, offset) = paging(p.limit, p.offset, 100)?;
    let rows = state
        .engine
        .store()
        .inbox()
        .tasks(&dept, None, limit, offset)
        .await?;
    let t = now();
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let colour = clock_colour(&r, t);
                InboxItem {
                    case_id: r.aggregate_id,
                    number: r.number,
                    title: r.title,
                    task_id: r.task_id,
                    task: task_name(&r.task),
                    role: r.role,
                    opened_at: time(r.opened_at),
                    due: r.due_at.map(time),
                    colour: colour.to_owned(),
                }
            })
            .collect(),
    ))
}

/// My notifications (and my department's).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "cases",
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody)))]
pub async fn notifications(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Notification>>> {
    let (id, dept) = (
        auth.user.id,
        auth.user.department.as_ref().map(ToString::to_string),
    );
    Ok(Json(
        state.engine.store().inbox().notifications(id, dept, 100).await?,
    ))
}

// --- Statistics -------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// department, item, month or day
    pub group_by: Option<String>,
    /// Cases accepted from this date (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    pub department: Option<String>,
    pub item: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    pub group_by: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// One row per group: accepted, decided, completion_rate, on_time, on_time_rate,
    /// legal_on_time_rate, avg_used_days, avg_promised_days, avg_legal_days, rated, avg_rating,
    /// satisfaction_rate, warning_open, overdue_open, overdue_total.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<stats::StatsRow>,
}

/// A statistics group's readable name: the department's or item's name, or `2026-03` for a month.
pub fn stats_label(catalog: &onego_domain::catalog::Catalog, group: GroupBy, key: &str) -> String {
    match group {
        GroupBy::Department => Code::parse(key)
            .ok()
            .and_then(|c| catalog.department(&c).map(|d| d.name.clone())),
        GroupBy::Item => catalog
            .items
            .iter()
            .find(|i| i.impl_code.as_str() == key)
            .map(|i| i.name.clone()),
        GroupBy::Month => Some(format!(
            "{}-{}",
            key.get(..4).unwrap_or(""),
            key.get(4..).unwrap_or("")
        )),
        GroupBy::Day => None,
    }
    .unwrap_or_else(|| key.to_owned())
}

/// Volume, completion, on-time rate and working days used against promised and legal limits.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", params(StatsParams),
    responses((status = 200, body = StatsResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<StatsParams>,
) -> ApiResult<Json<StatsResponse>> {
    if !policy::can_read_statistics(&auth.actor) {
        return Err(ApiError::forbidden(
            "statistics are for leaders, supervisors and administrators",
        ));
    }
    let group = p.group_by.clone().unwrap_or_else(|| "department".into());
    let group_by = GroupBy::parse(&group).ok_or_else(|| {
        ApiError::bad_request(format!(
            "group_by \"{group}\" is not one of department, item, month, day"
        ))
    })?;
    let mut department = p.department.clone();
    if auth.user.role == Role::Supervisor {
        department = auth.user.department.as_ref().map(ToString::to_string);
    }
    let rows_query = StatsQuery {
        group_by,
        from_day: p.from.as_deref().map(|d| parse_day("from", d)).transpose()?,
        to_day: p.to.as_deref().map(|d| parse_day("to", d)).transpose()?,
        department,
        item: p.item.clone(),
    };
    if let (Some(a), Some(b)) = (rows_query.from_day, rows_query.to_day)
        && a > b
    {
        return Err(ApiError::bad_request(
            "from is after to; give the earlier date first",
        ));
    }
    let mut rows = state.engine.store().stats().query(rows_query).await?;
    let catalog = state.engine.catalog();
    for r in &mut rows {
        r.label = stats_label(&catalog, group_by, &r.key);
    }
    Ok(Json(StatsResponse {
        group_by: group,
        from: p.from,
        to: p.to,
        rows,
    }))
}
