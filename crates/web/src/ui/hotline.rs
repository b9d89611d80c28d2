//! Pages of the 12345 centre and the departments: operator intake with routing suggestions, the dispatch board,
//! return visits, supervision, request lists and details with their actions, the grid member's
//! phone-first report page, and the public request form and tracking page. All go through the same
//! engine, policy and views as the JSON API.

// Page handlers answer with a full response on either side, as the other pages do.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
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

use crate::AppState;
use crate::api::tickets::{self as tickets_api};
use crate::error::ApiError;
use crate::ui::commands::*;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, dept_name, limit_text, now, time};
use crate::ui::{Page, api_error_page, render};

/// Any serde value as a template value.
pub(crate) fn ser<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

pub(crate) fn categories(state: &AppState) -> Vec<Value> {
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

pub(crate) fn departments(state: &AppState) -> Vec<Value> {
    state
        .engine
        .catalog()
        .departments
        .iter()
        .filter(|d| d.code.as_str() != CENTRE)
        .map(|d| context! { code => d.code.as_str(), name => d.name.clone() })
        .collect()
}

pub(crate) fn row_view(state: &AppState, page: &Page, r: &TicketRow) -> Value {
    crate::views::value(crate::views::TicketRowView::new(state, r, page.lang, now()))
}

pub(crate) async fn rows(state: &AppState, page: &Page, f: TicketFilter) -> Result<Vec<TicketRow>, Response> {
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
        None,
    )
}

pub(crate) fn intake_render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormData,
    suggestions: Vec<RouteSuggestion>,
    refused: Option<&ApiError>,
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
            categories => categories(state), chosen => chosen,
            suggestions => suggestions.iter().map(|s| context! { category => s.category.clone(), name => s.category_name.clone(),
                department => dept_name(state, &s.department), confidence => format!("{:.0}%", s.confidence * 100.0), words => s.words.join("、") }).collect::<Vec<_>>(),
            f => context! { notify => form.text("notify") == "1", channel => form.text("channel"), kind => form.text("kind"), content => form.text("content"), lat => form.text("lat"),
                lon => form.text("lon"), address => form.text("address"), name => form.text("name"), phone => form.text("phone"), urgency => form.text("urgency") },
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
        },
    ))
}

pub async fn intake_submit(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Operator, Role::Dispatcher])?
        .clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    if form.text("action") == "suggest" {
        let s = state.engine.suggest(&form.text("content"), 3);
        return intake_render(&state, &page, StatusCode::OK, &form, s, None);
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
            intake_render(&state, &page, e.status, &form, s, Some(&e))
        }
    }
}

// ---- Boards ----

#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    pub status: Option<String>,
    /// A request number or words of its content.
    pub q: Option<String>,
    /// The next page: `<received_at>:<id>` of the last row shown.
    pub before: Option<String>,
}

/// The centre's tasks of one kind, newest requests last.
pub(crate) async fn centre_rows(
    state: &AppState,
    page: &Page,
    task: TicketTask,
) -> Result<Vec<TicketRow>, Response> {
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
                row => row_view(&state, &page, r),
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
            extensions => extensions.iter().map(|r| row_view(&state, &page, r)).collect::<Vec<_>>(),
        },
    ))
}

pub async fn visits_board(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page.require_role(&state, &[Role::Dispatcher])?.clone();
    let waiting = centre_rows(&state, &page, TicketTask::Visit).await?;
    // The caller is asked about the department's answer: the card shows it, and the number to call.
    let mut visits = Vec::with_capacity(waiting.len());
    for r in &waiting {
        let Ok(stored) = state.engine.ticket(&auth.actor, r.id).await else {
            continue;
        };
        let requester = crate::privacy::requester(&auth.actor, &stored.value);
        visits.push(context! {
            row => row_view(&state, &page, r), answer => stored.value.answer.clone(),
            caller => requester.name, phone => requester.phone,
        });
    }
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! { mode => "visits", visits => visits },
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
            supervised => supervised.iter().map(|r| row_view(&state, &page, r)).collect::<Vec<_>>(),
            overdue => overdue.iter().map(|r| row_view(&state, &page, r)).collect::<Vec<_>>(),
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
    let mut f = TicketFilter::new(scope, 100);
    f.status =
        tickets_api::parse_statuses(q.status.as_deref()).map_err(|e| api_error_page(&state, &page, e))?;
    f.text = q.q.clone().filter(|t| !t.trim().is_empty());
    f.before = q.before.as_deref().and_then(|b| {
        let (at, id) = b.split_once(':')?;
        Some((at.parse().ok()?, id.parse().ok()?))
    });
    let total = state
        .engine
        .store()
        .tickets()
        .count(f.clone())
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let list = rows(&state, &page, f).await?;
    let (status, words) = (q.status.unwrap_or_default(), q.q.unwrap_or_default());
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("status", &status)
        .append_pair("q", &words)
        .finish();
    let next = (list.len() == 100)
        .then(|| {
            list.last().map(|r| {
                format!(
                    "/hotline/tickets?{query}&before={}:{}",
                    r.received_at.as_millis(),
                    r.id
                )
            })
        })
        .flatten();
    Ok(render(
        &state,
        &page,
        "hotline_board.html",
        StatusCode::OK,
        context! {
            mode => "list", status => status, q => words, total => total, next => next, query => query,
            statuses => TicketStatus::ALL.iter().map(|s| context! { code => s.as_str(), label => s.label(page.lang) }).collect::<Vec<_>>(),
            list => list.iter().map(|r| row_view(&state, &page, r)).collect::<Vec<_>>(),
        },
    ))
}

/// The request list as a spreadsheet (CSV, UTF-8 with a byte-order mark): the same scope and filters,
/// up to 10,000 rows, and no requester's name or phone.
pub async fn ticket_csv(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let auth = page.require()?.clone();
    let scope = policy::ticket_list_scope(&auth.actor)
        .map_err(|d| api_error_page(&state, &page, ApiError::forbidden(d.0)))?;
    let mut f = TicketFilter::new(scope, 1000);
    f.status =
        tickets_api::parse_statuses(q.status.as_deref()).map_err(|e| api_error_page(&state, &page, e))?;
    f.text = q.q.clone().filter(|t| !t.trim().is_empty());
    let mut all = Vec::new();
    // A thousand rows a read, newest first, up to ten thousand.
    for _ in 0..10 {
        let batch = rows(&state, &page, f.clone()).await?;
        let last = batch.last().map(|r| (r.received_at.as_millis(), r.id));
        let full = batch.len() == 1000;
        all.extend(batch);
        match last {
            Some(l) if full => f.before = Some(l),
            _ => break,
        }
    }
    let head = [
        page.tr("诉求编号", "Number"),
        page.tr("诉求", "Request"),
        page.tr("分类", "Category"),
        page.tr("状态", "Status"),
        page.tr("承办单位", "Lead department"),
        page.tr("受理时间", "Received"),
        page.tr("办结期限", "Due"),
        page.tr("满意度", "Satisfaction"),
    ];
    let at = now();
    let lines: Vec<Vec<String>> = all
        .iter()
        .map(|r| {
            let v = crate::views::TicketRowView::new(&state, r, page.lang, at);
            vec![
                v.number,
                v.title,
                v.category,
                v.status_label.to_owned(),
                v.lead.unwrap_or_default(),
                v.received,
                v.due.unwrap_or_default(),
                v.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(crate::views::csv_response("requests.csv", &head, &lines))
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

pub(crate) async fn ticket_render(
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
    let lang = page.lang;
    let hotline = state.engine.hotline();
    let area_name = |code: &str| {
        hotline
            .area(code)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let channel = serde_json::from_value::<onego_domain::ticket::TicketChannel>(
        t.get("channel").cloned().unwrap_or_default(),
    )
    .map(|c| c.label(lang).to_owned())
    .unwrap_or_default();
    // Answers to the category's questions by their question and, for a choice, the chosen words.
    let category_code = t
        .get("category")
        .and_then(|c| c.get("code"))
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_owned();
    let questions = hotline
        .category(&category_code)
        .map(|c| c.attributes.clone())
        .unwrap_or_default();
    let attributes: Vec<Value> = t
        .get("attributes")
        .and_then(|a| a.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|pair| {
                    let code = pair.get(0)?.as_str()?;
                    let value = pair.get(1)?.as_str()?;
                    let q = questions.iter().find(|q| q.code == code);
                    let label = q
                        .map(|q| q.description.clone())
                        .unwrap_or_else(|| code.to_owned());
                    let shown = q
                        .and_then(|q| q.values.iter().find(|(k, _)| k == value).map(|(_, n)| n.clone()))
                        .unwrap_or_else(|| value.to_owned());
                    Some(context! { question => label, answer => shown })
                })
                .collect()
        })
        .unwrap_or_default();
    let clocks: Vec<Value> = view
        .clocks
        .iter()
        .map(|c| {
            let name = match c.clock.as_str() {
                "response" => page.tr("签收/到场", "Response"),
                "feedback" => page.tr("首次反馈", "First feedback"),
                _ => page.tr("办结", "Solve"),
            };
            let state_text = match c.state.as_str() {
                "met" => page.tr("按时完成", "met on time"),
                "met_late" => page.tr("超时完成", "met late"),
                "overdue" => page.tr("已超期", "overdue"),
                "warning" => page.tr("即将到期", "due soon"),
                _ => page.tr("计时中", "running"),
            };
            let limit = c
                .limit
                .parse::<onego_calendar::Limit>()
                .map(|l| limit_text(page, l))
                .unwrap_or_else(|_| c.limit.clone());
            context! { name => name, state => c.state.clone(), state_text => state_text, limit => limit, due => c.due.map(crate::views::due_text) }
        })
        .collect();
    let done_text = match done {
        "received" => page.tr("已受理登记。", "Registered."),
        "reported" => page.tr("事件已上报。", "Reported."),
        other => serde_json::from_value::<onego_domain::ticket::TicketCommandKind>(
            serde_json::Value::String(other.to_owned()),
        )
        .map(|k| k.done().text(lang).to_owned())
        .unwrap_or_default(),
    };
    Ok(render(
        state,
        page,
        "ticket.html",
        status,
        context! {
            id => id, number => text("number"), title => view.title.clone(), status => text("status"), status_zh => view.status_zh.clone(),
            content => text("content"), category => t.get("category").map(ser), lead => lead,
            location => t.get("location").map(ser), grid => t.get("grid").and_then(|v| v.as_str()).map(area_name),
            holder => t.get("holder").and_then(|v| v.as_str()).map(area_name),
            answer => t.get("answer").map(ser), supervision => t.get("supervision").map(ser),
            satisfaction => t.get("satisfaction").map(ser), channel => channel,
            summoned => t.get("summoned").and_then(|v| v.as_array()).map(|l| l.iter().filter_map(|d| d.as_str()).map(|d| dept_name(state, d)).collect::<Vec<_>>()),
            attributes => attributes, next => view.next_step.text(lang),
            requester => ser(&view.requester), clocks => clocks,
            timeline => view.timeline.iter().filter_map(|j| {
                let (zh, en) = onego_domain::ticket::step_label(&j.action)?;
                Some(context! { at => time(j.at), who => j.actor_name.clone(), action => lang.pick(zh, en), opinion => j.opinion.clone() })
            }).collect::<Vec<_>>(),
            actions => view.actions.clone(), departments => departments(state), categories => categories(state),
            photos => uploads, error => error, done => done_text,
            category_code => t.get("category").and_then(|c| c.get("code")).and_then(|c| c.as_str()).unwrap_or("").to_owned(),
        },
    ))
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
    let result = match TicketCommand::try_from(&form) {
        Ok(c) => state
            .engine
            .run_ticket(&auth.actor, id, &c, now())
            .await
            .map_err(ApiError::from)
            .map(|_| c.kind().as_str()),
        Err(e) => Err(e),
    };
    let done_kind = result.as_ref().map(|k| *k).unwrap_or("");
    let back = form.text("back");
    match result {
        Ok(_) => {
            state.metrics.count_command("ticket_command");
            let to = crate::edge::local_path(&back)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("/tickets/{id}?done={done_kind}"));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            Err(api_error_page(&state, &page, e))
        }
        Err(e) => ticket_render(&state, &page, &auth.actor, id, e.status, &e.text(page.lang), "").await,
    }
}
