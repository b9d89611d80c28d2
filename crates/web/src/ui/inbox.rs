//! A department's inbox: its open tasks, the most urgent first, and its notifications.

use axum::extract::State;
use axum::http::StatusCode;
use minijinja::context;
use onego_domain::org::Role;

use crate::AppState;
use crate::ui::{Page, api_error_page, render};

use crate::ui::view::*;

pub async fn inbox(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page
        .require_role(
            &state,
            &[
                Role::Approver,
                Role::Supervisor,
                Role::GridMember,
                Role::Dispatcher,
            ],
        )?
        .clone();
    let dept = auth
        .user
        .department
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let d = dept.clone();
    let rows = state
        .engine
        .store()
        .inbox()
        .tasks(&d, None, 300, 0)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let t = now();
    let (id, d2) = (auth.user.id, dept.clone());
    let notes = state
        .engine
        .store()
        .inbox()
        .notifications(id, Some(d2), 15)
        .await
        .unwrap_or_default();
    Ok(render(
        &state,
        &page,
        "inbox.html",
        StatusCode::OK,
        context! {
            department => dept_name(&state, &dept),
            rows => rows.iter().map(|r| crate::views::value(crate::views::InboxRowView::new(r, page.lang, t))).collect::<Vec<_>>(),
            notifications => notes.iter().map(|n| crate::views::value(crate::views::NotificationView::from(n))).collect::<Vec<_>>(),
        },
    ))
}
