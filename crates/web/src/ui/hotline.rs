//! Pages of the 12345 loop and the grid: operator intake with routing suggestions, the dispatch board,
//! return visits, supervision, request lists and details with their actions, the grid member's
//! phone-first report page, and the public request form and tracking page. All go through the same
//! engine, policy and views as the JSON API.

// Page handlers answer with a full response on either side, as the other pages do.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use onego_domain::hotline::CENTRE;
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::policy::{self, TicketScope};
use onego_domain::ticket::{TicketCommand, TicketStatus, TicketTask};
use onego_store::routing::RouteSuggestion;
use onego_store::ticket::{TicketFilter, TicketRow};
use std::collections::BTreeMap;

use super::pages::{FormData, PageResult, dept_name, now, time};
use super::{Page, api_error_page, render};
use crate::AppState;
use crate::error::ApiError;
use crate::held_files;
use crate::tickets_api::{self, IntakeRequest};

/// Any serde value as a template value.
fn ser<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

fn categories(state: &AppState) -> Vec<Value> {
    state
        .engine
        .hotline()
        .categories
        .iter()
        .map(|c| {
            context! { code => c.code.as_str(), name => format!("{} / {}", c.level1, c.level2), department => c.department.as_str(),
                attributes => c.attributes.iter().map(|a| context! { code => a.code.clone(), datatype => a.datatype.as_str(), required => a.required,
                    description => a.description.clone(), values => a.values.iter().map(|(k, n)| context! { key => k.clone(), name => n.clone() }).collect::<Vec<_>>() }).collect::<Vec<_>>() }
        })
        .collect()
}

fn departments(state: &AppState) -> Vec<Value> {
    state
        .engine
        .catalog()
        .departments
        .iter()
        .filter(|d| d.code.as_str() != CENTRE)
        .map(|d| context! { code => d.code.as_str(), name => d.name.clone() })
        .collect()
}

fn row_view(state: &AppState, r: &TicketRow) -> Value {
    let t = now();
    let colour = match (r.solve_due_at.or(r.response_due_at), r.overdue, r.warned) {
        (_, true, _) => "red",
        (_, _, true) => "yellow",
        (Some(d), _, _) if t >= d => "red",
        (Some(_), _, _) => "green",
        (None, _, _) => "grey",
    };
    context! {
        id => r.id, number => r.number.clone(), title => r.title.clone(), content => r.content.clone(), category => r.category.clone(),
        category_code => r.category_code.clone(), status => r.status.as_str(), status_zh => r.status.zh(),
        lead => r.lead.as_deref().map(|d| dept_name(state, d)), received => time(r.received_at),
        due => r.solve_due_at.or(r.response_due_at).map(time), supervision => r.supervision.map(|l| l.zh()),
        satisfaction => r.satisfaction, returns => r.returns, reopens => r.reopens, colour => colour,
        address => r.address.clone(),
    }
}

async fn rows(state: &AppState, page: &Page, f: TicketFilter) -> Result<Vec<TicketRow>, Response> {
    state
        .engine
        .store()
        .tickets()
        .list(f)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))
}

// ---- Intake ----

pub async fn intake_page(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Operator, Role::Dispatcher])?;
    intake_render(
        &state,
        &page,
        StatusCode::OK,
        &FormData::parse(b""),
        Vec::new(),
        "",
    )
}

fn intake_render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormData,
    suggestions: Vec<RouteSuggestion>,
    error: &str,
) -> PageResult {
    let chosen = if form.text("category").is_empty() {
        suggestions
            .first()
            .map(|s| s.category.clone())
            .unwrap_or_default()
    } else {
        form.text("category")
    };
    Ok(render(
        state,
        page,
        "hotline_intake.html",
        status,
        context! {
            categories => categories(state), error => error, chosen => chosen,
            suggestions => suggestions.iter().map(|s| context! { category => s.category.clone(), name => s.category_name.clone(),
                department => dept_name(state, &s.department), confidence => format!("{:.0}%", s.confidence * 100.0), words => s.words.join("、") }).collect::<Vec<_>>(),
            f => context! { channel => form.text("channel"), kind => form.text("kind"), content => form.text("content"), lat => form.text("lat"),
                lon => form.text("lon"), address => form.text("address"), name => form.text("name"), phone => form.text("phone"), urgency => form.text("urgency") },
        },
    ))
}

fn intake_request(form: &FormData, channel: &str) -> IntakeRequest {
    let num = |k: &str| form.text(k).parse::<f64>().ok();
    let mut attributes = Vec::new();
    for key in form.keys() {
        if let Some(code) = key.strip_prefix("attr_") {
            for v in form.all(key) {
                if !v.trim().is_empty() {
                    attributes.push((code.to_owned(), v.trim().to_owned()));
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
    }
}

pub async fn intake_submit(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Operator, Role::Dispatcher])?
        .clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    if form.text("action") == "suggest" {
        let s = state.engine.suggest(&form.text("content"), 3);
        return intake_render(&state, &page, StatusCode::OK, &form, s, "");
    }
    let result = match intake_request(&form, "").into_intake(&auth.actor) {
        Ok(i) => state
            .engine
            .open_ticket(&auth.actor, i, &[], now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(Redirect::to(&format!("/tickets/{}?done=received", out.state.id)).into_response()),
        Err(e) => {
            let s = state.engine.suggest(&form.text("content"), 3);
            intake_render(&state, &page, e.status, &form, s, &e.message)
        }
    }
}

// ---- Boards ----

#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    pub status: Option<String>,
}

/// The centre's tasks of one kind, newest requests last.
async fn centre_rows(state: &AppState, page: &Page, task: TicketTask) -> Result<Vec<TicketRow>, Response> {
    let inbox = state
        .engine
        .store()
        .inbox()
        .tasks(CENTRE, Some(task), 500, 0)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let ids: Vec<i64> = inbox.iter().map(|r| r.aggregate_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = TicketFilter::new(TicketScope::All, 500);
    f.ids = ids;
    rows(state, page, f).await
}

pub async fn dispatch_board(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Dispatcher])?;
    let waiting = centre_rows(&state, &page, TicketTask::Dispatch).await?;
    let extensions = centre_rows(&state, &page, TicketTask::ExtensionReview).await?;
    let list: Vec<Value> = waiting
        .iter()
        .map(|r| {
            let s = state.engine.suggest(&r.content, 3);
            let top = s.first();
            context! {
                row => row_view(&state, r),
                suggest_category => top.map(|t| t.category.clone()).unwrap_or(r.category_code.clone()),
                suggest_department => top.map(|t| t.department.clone()),
                suggestions => s.iter().map(|x| context! { name => x.category_name.clone(), department => dept_name(&state, &x.department),
                    confidence => format!("{:.0}%", x.confidence * 100.0), words => x.words.join("、") }).collect::<Vec<_>>(),
            }
        })
        .collect();
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! {
            mode => "dispatch", waiting => list, categories => categories(&state), departments => departments(&state),
            sla => state.engine.hotline().sla.iter().map(|s| context! { code => s.code.as_str(), name => s.name.clone() }).collect::<Vec<_>>(),
            extensions => extensions.iter().map(|r| row_view(&state, r)).collect::<Vec<_>>(),
        },
    ))
}

pub async fn visits_board(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Dispatcher])?;
    let waiting = centre_rows(&state, &page, TicketTask::Visit).await?;
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! { mode => "visits", visits => waiting.iter().map(|r| row_view(&state, r)).collect::<Vec<_>>() },
    ))
}

pub async fn supervision_board(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Dispatcher, Role::Leader])?
        .clone();
    let open = vec![
        TicketStatus::Dispatched,
        TicketStatus::Handling,
        TicketStatus::Replied,
    ];
    let mut f = TicketFilter::new(TicketScope::All, 300);
    f.status = open;
    f.supervised = Some(true);
    let supervised = rows(&state, &page, f.clone()).await?;
    f.supervised = Some(false);
    f.overdue = Some(true);
    let overdue = rows(&state, &page, f).await?;
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! {
            mode => "supervision", can_supervise => auth.user.role == Role::Dispatcher,
            supervised => supervised.iter().map(|r| row_view(&state, r)).collect::<Vec<_>>(),
            overdue => overdue.iter().map(|r| row_view(&state, r)).collect::<Vec<_>>(),
        },
    ))
}

pub async fn ticket_list(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let auth = page.require()?.clone();
    let scope = policy::ticket_list_scope(&auth.actor)
        .map_err(|d| api_error_page(&state, &page, ApiError::forbidden(d.0)))?;
    let mut f = TicketFilter::new(scope, 200);
    f.status =
        tickets_api::parse_statuses(q.status.as_deref()).map_err(|e| api_error_page(&state, &page, e))?;
    let list = rows(&state, &page, f).await?;
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! { mode => "list", status => q.status.unwrap_or_default(), list => list.iter().map(|r| row_view(&state, r)).collect::<Vec<_>>() },
    ))
}

// ---- One request ----

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn ticket_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let auth = page.require()?.clone();
    ticket_render(
        &state,
        &page,
        &auth.actor,
        id,
        StatusCode::OK,
        "",
        q.done.as_deref().unwrap_or(""),
    )
    .await
}

async fn ticket_render(
    state: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    status: StatusCode,
    error: &str,
    done: &str,
) -> PageResult {
    let view = tickets_api::ticket_view(state, actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e))?;
    let t = &view.ticket;
    let text = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let lead = t
        .get("lead")
        .and_then(|v| v.as_str())
        .map(|d| dept_name(state, d));
    let uploads = state.engine.store().uploads().of(id).await.unwrap_or_default();
    Ok(render(
        state,
        page,
        "ticket.html",
        status,
        context! {
            id => id, number => text("number"), title => view.title.clone(), status => text("status"), status_zh => view.status_zh.clone(),
            content => text("content"), category => t.get("category").map(ser), lead => lead,
            location => t.get("location").map(ser), grid => t.get("grid").map(ser),
            holder => t.get("holder").and_then(|v| v.as_str()).map(|h| h.to_owned()),
            answer => t.get("answer").map(ser), supervision => t.get("supervision").map(ser),
            satisfaction => t.get("satisfaction").map(ser), channel => text("channel"),
            summoned => t.get("summoned").map(ser), attributes => t.get("attributes").map(ser),
            requester => ser(&view.requester), clocks => ser(&view.clocks),
            timeline => view.timeline.iter().map(|j| context! { at => time(j.at), who => j.actor_name.clone(), action => j.action.clone(), opinion => j.opinion.clone() }).collect::<Vec<_>>(),
            actions => view.actions.clone(), departments => departments(state), categories => categories(state),
            photos => uploads, error => error, done => done,
            category_code => t.get("category").and_then(|c| c.get("code")).and_then(|c| c.as_str()).unwrap_or("").to_owned(),
        },
    ))
}

fn command_from(form: &FormData) -> Result<TicketCommand, ApiError> {
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
            solved: form.text("solved") == "yes",
            satisfaction: form
                .text("satisfaction")
                .parse()
                .map_err(|_| ApiError::unprocessable("choose a satisfaction level"))?,
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

pub async fn ticket_act(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let result = match command_from(&form) {
        Ok(c) => state
            .engine
            .run_ticket(&auth.actor, id, &c, now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let back = form.text("back");
    match result {
        Ok(_) => {
            state.metrics.count_command("ticket_command");
            let to = crate::edge::local_path(&back)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("/tickets/{id}?done=ok"));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            Err(api_error_page(&state, &page, e))
        }
        Err(e) => ticket_render(&state, &page, &auth.actor, id, e.status, &e.message, "").await,
    }
}

// ---- Grid member ----

pub async fn grid_report_page(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::GridMember])?;
    grid_render(&state, &page, StatusCode::OK, &FormData::parse(b""), "").await
}

async fn grid_render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormData,
    error: &str,
) -> PageResult {
    let auth = page.require()?.clone();
    let area = auth
        .user
        .department
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let a = area.clone();
    let held = state
        .engine
        .store()
        .inbox()
        .tasks(&a, None, 100, 0)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let area_name = state
        .engine
        .hotline()
        .area(&area)
        .map(|a| a.name.clone())
        .unwrap_or(area.clone());
    Ok(render(
        state,
        page,
        "grid_report.html",
        status,
        context! {
            area => area_name, categories => categories(state), error => error,
            f => context! { category => form.text("category"), content => form.text("content"), lat => form.text("lat"), lon => form.text("lon"), address => form.text("address") },
            held => held.iter().map(|r| context! { id => r.aggregate_id, number => r.number.clone(), title => r.title.clone(), task => crate::api::task_name(&r.task), opened => time(r.opened_at) }).collect::<Vec<_>>(),
        },
    ))
}

/// A grid member's report: fields and an optional photo (checked by content, stored only once the
/// report is accepted, tied to it in the same commit).
pub async fn grid_report_submit(State(state): State<AppState>, page: Page, mp: Multipart) -> PageResult {
    let auth = page.require_role(&state, &[Role::GridMember])?.clone();
    let (form, photos, problem) = held_files::read_form(mp, |f| f == "photo").await;
    page.check_csrf(&state, form.get("csrf"))?;
    if let Some(problem) = problem {
        let message = problem.message(page.en());
        return grid_render(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, &form, &message).await;
    }
    let intake = match intake_request(&form, "grid").into_intake(&auth.actor) {
        Ok(i) => i,
        Err(e) => return grid_render(&state, &page, e.status, &form, &e.message).await,
    };
    let held = photos.into_iter().map(|f| ("photo".to_owned(), f)).collect();
    let files = match held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return grid_render(&state, &page, e.status, &form, &e.message).await,
    };
    match state.engine.open_ticket(&auth.actor, intake, &files, now()).await {
        Ok(out) => Ok(Redirect::to(&format!("/tickets/{}?done=reported", out.state.id)).into_response()),
        Err(e) => {
            held_files::discard(&state, auth.user.id, &files).await;
            let e = ApiError::from(e);
            grid_render(&state, &page, e.status, &form, &e.message).await
        }
    }
}

/// A photo of a request, for those who may see the request.
pub async fn ticket_photo(
    State(state): State<AppState>,
    page: Page,
    Path((id, upload)): Path<(i64, i64)>,
) -> PageResult {
    let auth = page.require()?.clone();
    state
        .engine
        .ticket(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let info = state
        .engine
        .store()
        .uploads()
        .info(upload)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?
        .filter(|i| i.aggregate_id == Some(id))
        .ok_or_else(|| api_error_page(&state, &page, ApiError::not_found("there is no such photo")))?;
    let data = state
        .engine
        .store()
        .uploads()
        .data(upload)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?
        .unwrap_or_default();
    Ok(([(axum::http::header::CONTENT_TYPE, info.content_type)], data).into_response())
}

// ---- Public ----

/// Whoever uses the public form without logging in.
fn public_actor() -> Actor {
    Actor {
        user_id: 0,
        username: "public".into(),
        name: "网上公众".into(),
        role: Role::Applicant,
        department: None,
        applicant: None,
    }
}

pub async fn request_page(State(state): State<AppState>, page: Page) -> PageResult {
    request_render(&state, &page, StatusCode::OK, &FormData::parse(b""), "", None)
}

fn request_render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormData,
    error: &str,
    created: Option<String>,
) -> PageResult {
    Ok(render(
        state,
        page,
        "request.html",
        status,
        context! {
            categories => categories(state), error => error, created => created,
            f => context! { category => form.text("category"), kind => form.text("kind"), content => form.text("content"), address => form.text("address"),
                lat => form.text("lat"), lon => form.text("lon"), name => form.text("name"), phone => form.text("phone") },
        },
    ))
}

pub async fn request_submit(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    // Logged-in applicants raise it in their own name; everyone else as the public.
    let actor = match &page.auth {
        Some(a) if a.user.role == Role::Applicant => {
            page.check_csrf(&state, form.get("csrf"))?;
            a.actor.clone()
        }
        _ => public_actor(),
    };
    let result = match intake_request(&form, "web").into_intake(&actor) {
        Ok(i) => state
            .engine
            .open_ticket(&actor, i, &[], now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => request_render(
            &state,
            &page,
            StatusCode::CREATED,
            &FormData::parse(b""),
            "",
            Some(out.state.number.clone()),
        ),
        Err(e) => request_render(&state, &page, e.status, &form, &e.message, None),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct TrackQuery {
    pub number: Option<String>,
}

/// Tracking by number: where the request stands and its steps, without anyone's personal details.
pub async fn track_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TrackQuery>,
) -> PageResult {
    let number = q.number.unwrap_or_default().trim().to_owned();
    let mut ctx: BTreeMap<&str, Value> = BTreeMap::new();
    ctx.insert("number", Value::from(number.clone()));
    let mut status = StatusCode::OK;
    if !number.is_empty() {
        let n = number.clone();
        let id = state
            .engine
            .store()
            .tickets()
            .id_by_number(&n)
            .await
            .map_err(|e| api_error_page(&state, &page, e.into()))?;
        match id {
            None => {
                status = StatusCode::NOT_FOUND;
                ctx.insert("missing", Value::from(true));
            }
            Some(id) => {
                let stored = state
                    .engine
                    .ticket_public(id)
                    .await
                    .map_err(|e| api_error_page(&state, &page, e.into()))?;
                let t = &stored.value;
                let journal = state
                    .engine
                    .store()
                    .cases()
                    .journal(id)
                    .await
                    .map_err(|e| api_error_page(&state, &page, e.into()))?;
                let step = |a: &str| match a {
                    "received" => "已受理",
                    "dispatched" => "已派单",
                    "signed" => "承办单位已签收",
                    "returned" => "退回重新派单",
                    "feedback_given" => "承办单位已联系反馈",
                    "extension_requested" | "extension_decided" => "办理期限调整",
                    "replied" => "已答复",
                    "return_visited" => "已回访",
                    "closed" => "已办结",
                    "reopened" => "重新办理",
                    "merged" => "与相同诉求合并办理",
                    "supervised" => "已督办",
                    "reported" => "部门已报到",
                    "resolved_in_grid" => "网格内已处置",
                    "escalated" => "上报处理",
                    _ => "",
                };
                ctx.insert("ticket", context! {
                    number => t.number.clone(), status_zh => t.status.zh(), category => format!("{} / {}", t.category.level1, t.category.level2),
                    received => time(t.received_at), lead => t.lead.as_ref().map(|d| dept_name(&state, d.as_str())),
                    answer => t.answer.clone().filter(|_| matches!(t.status, TicketStatus::Replied | TicketStatus::Closed)),
                    steps => journal.iter().filter(|j| !step(&j.action).is_empty()).map(|j| context! { at => time(onego_calendar::Timestamp::from_millis(j.at)), what => step(&j.action) }).collect::<Vec<_>>(),
                });
            }
        }
    }
    Ok(render(&state, &page, "track.html", status, ser(&ctx)))
}
