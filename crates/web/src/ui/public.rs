//! Pages for the public, without logging in: the request form and tracking by number.

// Page handlers answer with a full response on either side, as the other pages do.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::{Value, context};
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::ticket::TicketStatus;
use std::collections::BTreeMap;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::commands::*;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, dept_name, now, time};
use crate::ui::{Page, api_error_page, render};

use crate::ui::hotline::*;

// ---- Public ----

/// Whoever uses the public form without logging in.
pub(crate) fn public_actor() -> Actor {
    Actor {
        user_id: 0,
        username: "public".into(),
        name: "网上公众".into(),
        role: Role::Applicant,
        department: None,
        applicant: None,
        mandates: Vec::new(),
    }
}

pub async fn request_page(State(state): State<AppState>, page: Page) -> PageResult {
    request_render(&state, &page, StatusCode::OK, &FormData::parse(b""), None, None)
}

pub(crate) fn request_render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormData,
    refused: Option<&ApiError>,
    created: Option<String>,
) -> PageResult {
    Ok(render(
        state,
        page,
        "request.html",
        status,
        context! {
            categories => categories(state), created => created,
            f => context! { notify => form.text("notify") == "1", category => form.text("category"), kind => form.text("kind"), content => form.text("content"), address => form.text("address"),
                lat => form.text("lat"), lon => form.text("lon"), name => form.text("name"), phone => form.text("phone") },
            ..refused.map_or_else(crate::ui::form::no_refusal, |e| crate::ui::form::refusal(e, page.lang)),
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
            None,
            Some(out.state.number.clone()),
        ),
        Err(e) => request_render(&state, &page, e.status, &form, Some(&e), None),
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
                let lang = page.lang;
                let step = |a: &str| onego_domain::ticket::step_label(a).map(|(zh, en)| lang.pick(zh, en));
                ctx.insert("ticket", context! {
                    number => t.number.clone(), status_zh => t.status.label(lang), next => t.next_step().text(lang), category => format!("{} / {}", t.category.level1, t.category.level2),
                    received => time(t.received_at), lead => t.lead.as_ref().map(|d| dept_name(&state, d.as_str())),
                    answer => t.answer.clone().filter(|_| matches!(t.status, TicketStatus::Replied | TicketStatus::Closed)),
                    steps => journal.iter().filter_map(|j| Some(context! { at => time(onego_calendar::Timestamp::from_millis(j.at)), what => step(&j.action)? })).collect::<Vec<_>>(),
                });
            }
        }
    }
    Ok(render(&state, &page, "track.html", status, ser(&ctx)))
}
