//! JSON API for requests (tickets): intake, the loop's commands, lists, routing suggestions and rates.
//! The pages and Open311 use the same views and scope rules.

use axum::extract::State;
use onego_calendar::{ClockState, Timestamp};
use onego_domain::hotline::TicketCategory;
use onego_domain::labels::Label;
use onego_domain::messages::Msg;
use onego_domain::org::{Actor, Role};
use onego_domain::policy;
use onego_domain::ticket::{
    Category, Intake, Location, Requester, Ticket, TicketChannel, TicketClock, TicketCommand, TicketStatus,
    TicketType, Urgency,
};
use onego_domain::values::{Code, Mobile};
use onego_store::aggregate::JournalView;
use onego_store::routing::RouteSuggestion;
use onego_store::ticket::{self as tickets, TicketFilter, TicketRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Json, Path, Query, now, parse_date};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// A new request. `category` is a category code (see GET /api/v1/tickets/categories).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    /// phone, web, app, grid, enterprise, open311
    pub channel: String,
    /// enquiry (咨询), help (求助), complaint (投诉), report (举报), suggestion (建议)
    pub kind: String,
    pub category: String,
    pub content: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// normal, urgent, emergency
    #[serde(default)]
    pub urgency: Option<String>,
    /// Enterprise whistle: department codes that must report.
    #[serde(default)]
    pub summoned: Vec<String>,
    /// Answers to the category's questions: [[code, value], …].
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The requester agrees to be told by SMS at `phone` how the request goes (never assumed).
    #[serde(default)]
    pub notify: Option<bool>,
}

impl IntakeRequest {
    /// Checks and converts; the requester is the caller when an applicant raises it online.
    pub fn into_intake(self, actor: &Actor) -> ApiResult<Intake> {
        // Every field is checked before answering, so a form shows all its mistakes at once.
        let mut bad = crate::error::FieldErrors::default();
        let channel: Option<TicketChannel> = bad.check(
            "channel",
            crate::api::parse_choice(
                ("受理渠道", "channel"),
                &self.channel,
                "phone, web, app, grid, enterprise, open311",
            ),
        );
        let kind: Option<TicketType> = bad.check(
            "kind",
            crate::api::parse_choice(
                ("诉求类型", "kind"),
                &self.kind,
                "enquiry, help, complaint, report, suggestion",
            ),
        );
        let urgency: Option<Urgency> = match &self.urgency {
            Some(u) if !u.trim().is_empty() => bad.check(
                "urgency",
                crate::api::parse_choice(("紧急程度", "urgency"), u, "normal, urgent, emergency"),
            ),
            _ => Some(Urgency::Normal),
        };
        let category = bad.check(
            "category",
            Code::parse(self.category.trim())
                .map_err(|e| Msg::new("choose_category", "请选择诉求分类", format!("category: {e}"))),
        );
        bad.check("content", onego_domain::ticket::check_content(&self.content));
        let location = match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some(Location {
                lat,
                lon,
                address: self.address.clone().unwrap_or_default().trim().to_owned(),
            }),
            (None, None) => None,
            _ => {
                bad.add(
                    "lat",
                    Msg::new(
                        "lat_lon_together",
                        "经度和纬度请同时填写，或都不填",
                        "give both lat and lon, or neither",
                    ),
                );
                None
            }
        };
        let phone = match self.phone.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => bad.check("phone", Mobile::parse(p).map_err(|e| e.msg())),
            _ => None,
        };
        let name = self.name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let summoned: Vec<Code> = self
            .summoned
            .iter()
            .filter_map(|d| bad.check("summoned", Code::parse(d.trim()).map_err(|e| e.msg())))
            .collect();
        bad.finish()?;
        let (Some(channel), Some(kind), Some(urgency), Some(category)) = (channel, kind, urgency, category)
        else {
            unreachable!("every missing value noted a mistake above");
        };
        Ok(Intake {
            channel,
            kind,
            category: Category {
                code: category,
                level1: String::new(),
                level2: String::new(),
            },
            content: self.content,
            location,
            requester: Requester {
                name,
                phone,
                user_id: (actor.role == Role::Applicant).then_some(actor.user_id),
                notify: self.notify.unwrap_or(false),
            },
            urgency,
            attachments: self.attachments,
            grid: None,
            summoned,
            attributes: self.attributes,
        })
    }
}

/// A clock of a request as read now.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TicketClockView)]
pub struct ClockView {
    pub clock: String,
    pub limit: String,
    #[schema(value_type = Option<i64>)]
    pub due: Option<Timestamp>,
    /// running, warning, overdue, met, met_late
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequesterView {
    pub anonymous: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Whether name and phone are masked for this reader.
    pub masked: bool,
}

/// A request as the reader may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    #[schema(value_type = Object)]
    pub ticket: serde_json::Value,
    pub title: String,
    pub status_zh: String,
    pub requester: RequesterView,
    pub clocks: Vec<ClockView>,
    #[schema(value_type = Vec<Object>)]
    pub timeline: Vec<JournalView>,
    /// The commands the reader may issue now.
    pub actions: Vec<String>,
    /// What happens next, in both languages.
    #[schema(value_type = Object)]
    pub next_step: onego_domain::messages::Msg,
}

pub fn clocks(state: &AppState, t: &Ticket, at: Timestamp) -> Vec<ClockView> {
    let calendar = state.engine.calendar();
    let policy = state.engine.config().policy;
    [TicketClock::Response, TicketClock::Feedback, TicketClock::Solve]
        .into_iter()
        .filter_map(|c| {
            let clock = t.clock(c)?;
            let r = t.read(c, &calendar, policy, at)?;
            let met = match c {
                TicketClock::Response => t.signed_at.is_some(),
                TicketClock::Feedback => t.first_feedback_at.or(t.replied_at).is_some(),
                TicketClock::Solve => t.replied_at.is_some(),
            };
            let state = match (met, r.state) {
                (true, ClockState::Overdue) => "met_late",
                (true, _) => "met",
                (false, ClockState::Overdue) => "overdue",
                (false, ClockState::Warning) => "warning",
                _ => "running",
            };
            Some(ClockView {
                clock: tickets::clock_key(c).to_owned(),
                limit: clock.limit.compact(),
                due: r.due,
                state: state.to_owned(),
            })
        })
        .collect()
}

/// The commands an actor may issue on a ticket now (their API names): each one the policy allows and
/// the state accepts, as the domain says.
pub fn available_actions(state: &AppState, actor: &Actor, t: &Ticket) -> Vec<String> {
    state
        .engine
        .ticket_available(actor, t, now())
        .into_iter()
        .map(|k| k.as_str().to_owned())
        .collect()
}

pub async fn ticket_view(state: &AppState, actor: &Actor, id: i64) -> ApiResult<TicketView> {
    let stored = state.engine.ticket(actor, id).await?;
    let t = &stored.value;
    let timeline = state.engine.timeline::<Ticket>(actor, id).await?;
    Ok(TicketView {
        ticket: crate::privacy::ticket_state(t),
        title: tickets::title_of(t),
        status_zh: t.status.zh().to_owned(),
        requester: crate::privacy::requester(actor, t),
        clocks: clocks(state, t, now()),
        timeline: crate::privacy::journal(&timeline, policy::sees_requester(actor, t)),
        actions: available_actions(state, actor, t),
        next_step: t.next_step(),
    })
}

/// Ticket id from a path: the id, or a number such as R37170020261122000001.
pub async fn resolve_ticket(state: &AppState, text: &str) -> ApiResult<i64> {
    let t = text.trim();
    if let Some(_digits) = t.strip_prefix('R') {
        let n = t.to_owned();
        return state
            .engine
            .store()
            .tickets()
            .id_by_number(&n)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("there is no request {t}")));
    }
    t.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "\"{t}\" is neither a request id nor a number starting with R"
        ))
    })
}

/// Registers a request (诉求受理). The answer holds the routing suggestions for the dispatcher.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = IntakeRequest,
    responses((status = 201, body = TicketView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<IntakeRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<TicketView>)> {
    let intake = req.into_intake(&auth.actor)?;
    let out = state.engine.open_ticket(&auth.actor, intake, &[], now()).await?;
    state.metrics.count_command("ticket_intake");
    let view = ticket_view(&state, &auth.actor, out.state.id).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "request id or number (R…)")),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketView>> {
    let id = resolve_ticket(&state, &id).await?;
    Ok(Json(ticket_view(&state, &auth.actor, id).await?))
}

/// Acts on a request. The body is one command tagged by `command`: `dispatch` {lead, assisting, category,
/// sla, note}, `sign`, `return` {reason}, `give_feedback` {text}, `request_extension` {limit, reason},
/// `decide_extension` {granted, reason}, `reply` {answer}, `return_visit` {solved, satisfaction 1–5, note},
/// `merge` {into: number}, `supervise` {reason}, `report`, `resolve_in_grid` {answer}, `escalate` {reason}.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/commands", tag = "tickets",
    params(("id" = String, Path, description = "request id or number")),
    request_body(content = Object, description = "one command"),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act_on_ticket(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(cmd): Json<TicketCommand>,
) -> ApiResult<Json<TicketView>> {
    if matches!(cmd, TicketCommand::CheckClock { .. }) {
        return Err(ApiError::forbidden("clocks are checked by onego itself"));
    }
    let id = resolve_ticket(&state, &id).await?;
    state.engine.run_ticket(&auth.actor, id, &cmd, now()).await?;
    state.metrics.count_command("ticket_command");
    Ok(Json(ticket_view(&state, &auth.actor, id).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct TicketListParams {
    /// received, dispatched, handling, replied, closed, merged (comma-separated)
    pub status: Option<String>,
    pub category: Option<String>,
    pub lead: Option<String>,
    pub supervised: Option<bool>,
    pub overdue: Option<bool>,
    /// Rows per page: 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip: 0 to 100000.
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<i64>,
}

/// Statuses from a comma-separated list; an unknown one is an error that lists the known ones.
pub fn parse_statuses(text: Option<&str>) -> ApiResult<Vec<TicketStatus>> {
    text.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            TicketStatus::parse(x).ok_or_else(|| {
                let known: Vec<&str> = TicketStatus::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::bad_request(format!(
                    "unknown status \"{x}\"; give one of {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketListParams),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn list_tickets(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<TicketListParams>,
) -> ApiResult<Json<Vec<TicketRow>>> {
    let (limit, offset) = crate::api::paging(p.limit, p.offset, 50)?;
    let scope = policy::ticket_list_scope(&auth.actor).map_err(|d| ApiError::forbidden(d.0))?;
    let mut f = TicketFilter::new(scope, limit);
    f.offset = offset;
    f.status = parse_statuses(p.status.as_deref())?;
    f.category = p
        .category
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect();
    f.lead = p.lead.clone();
    f.supervised = p.supervised;
    f.overdue = p.overdue;
    Ok(Json(state.engine.store().tickets().list(f).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuggestRequest {
    pub text: String,
}

/// Routing suggestions for a request's text: category and department with a confidence and the words
/// that led to it, learned from past dispatches.
#[utoipa::path(post, path = "/api/v1/tickets/suggest", tag = "tickets", request_body = SuggestRequest,
    responses((status = 200, body = Vec<Object>)))]
pub async fn suggest(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<SuggestRequest>,
) -> ApiResult<Json<Vec<RouteSuggestion>>> {
    if !matches!(
        auth.actor.role,
        Role::Operator | Role::Dispatcher | Role::GridMember
    ) {
        return Err(ApiError::forbidden(
            "routing suggestions are for the hotline and grid staff",
        ));
    }
    Ok(Json(state.engine.suggest(&req.text, 3)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RatesParams {
    /// First day, YYYY-MM-DD (default: 30 days ago).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    pub to: Option<String>,
}

/// Days [from, to] as yyyymmdd numbers from optional YYYY-MM-DD texts (default: the 30 days to today).
fn period(state: &AppState, from: Option<&str>, to: Option<&str>) -> ApiResult<(i64, i64)> {
    let (from, to) = (
        from.filter(|s| !s.trim().is_empty()),
        to.filter(|s| !s.trim().is_empty()),
    );
    let to = match to {
        Some(s) => parse_date("to", s)?,
        None => state.engine.calendar().local_date(now()),
    };
    let from = match from {
        Some(s) => parse_date("from", s)?,
        None => to - chrono::Duration::days(29),
    };
    if from > to {
        return Err(ApiError::bad_request("the period starts after it ends"));
    }
    Ok((onego_store::day_number(from), onego_store::day_number(to)))
}

/// Rates by lead department: response (signed in time), on-time, first-time resolution, resolution,
/// satisfaction, return and reopen rates, for requests received in the period.
#[utoipa::path(get, path = "/api/v1/tickets/rates", tag = "tickets", params(RatesParams),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn rates(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<RatesParams>,
) -> ApiResult<Json<Vec<tickets::Rates>>> {
    if !matches!(
        auth.actor.role,
        Role::Leader | Role::Dispatcher | Role::Supervisor
    ) {
        return Err(ApiError::forbidden(
            "rates are read by leaders, the hotline centre and department supervisors",
        ));
    }
    let (a, b) = period(&state, p.from.as_deref(), p.to.as_deref())?;
    let mut rows = state.engine.store().tickets().rates(a, b).await?;
    if auth.actor.role == Role::Supervisor {
        let mine = auth.actor.department.as_ref().map(ToString::to_string);
        rows.retain(|r| Some(&r.department) == mine.as_ref());
    }
    Ok(Json(rows))
}

/// The categories and the SLA profiles requests are filed under.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoriesView {
    /// Each category: code, two levels, usual department, SLA profile, questions (Open311 attributes).
    #[schema(value_type = Vec<Object>)]
    pub categories: Vec<TicketCategory>,
    /// Each SLA profile: response, feedback and solve limits.
    #[schema(value_type = Vec<Object>)]
    pub sla: Vec<onego_domain::ticket::SlaProfile>,
}

/// The categories a request can be filed under, with their SLA profiles.
#[utoipa::path(get, path = "/api/v1/tickets/categories", tag = "tickets",
    responses((status = 200, body = CategoriesView)))]
pub async fn categories(State(state): State<AppState>) -> Json<CategoriesView> {
    let h = state.engine.hotline();
    Json(CategoriesView {
        categories: h.categories.clone(),
        sla: h.sla.clone(),
    })
}
