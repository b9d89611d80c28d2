//! The grid member's phone-first report page and the photos of a request.

// Page handlers answer with a full response on either side, as the other pages do.
#![allow(clippy::result_large_err)]

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use onego_domain::org::Role;

use crate::AppState;
use crate::error::ApiError;
use crate::held_files;
use crate::ui::commands::*;
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, now, time};
use crate::ui::{Page, api_error_page, render};

use crate::ui::hotline::*;

// ---- Grid member ----

pub async fn grid_report_page(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::GridMember])?;
    grid_render(&state, &page, StatusCode::OK, &FormData::parse(b""), "").await
}

pub(crate) async fn grid_render(
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
            held => held.iter().map(|r| context! { id => r.aggregate_id, number => r.number.clone(), title => r.title.clone(), task => crate::views::task_name(&r.task, page.lang), opened => time(r.opened_at) }).collect::<Vec<_>>(),
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
        Err(e) => return grid_render(&state, &page, e.status, &form, &e.text(page.lang)).await,
    };
    let held = photos.into_iter().map(|f| ("photo".to_owned(), f)).collect();
    let files = match held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return grid_render(&state, &page, e.status, &form, &e.text(page.lang)).await,
    };
    match state.engine.open_ticket(&auth.actor, intake, &files, now()).await {
        Ok(out) => Ok(Redirect::to(&format!("/tickets/{}?done=reported", out.state.id)).into_response()),
        Err(e) => {
            held_files::discard(&state, auth.user.id, &files).await;
            let e = ApiError::from(e);
            grid_render(&state, &page, e.status, &form, &e.text(page.lang)).await
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
