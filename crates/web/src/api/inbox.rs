//! A department's open tasks and a person's notifications.

use axum::extract::State;
use onego_domain::policy;
use onego_store::inbox::Notification;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

use super::*;

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
                let colour = crate::views::Light::of(r.due_at, r.warning_at, t).as_str();
                InboxItem {
                    case_id: r.aggregate_id,
                    number: r.number,
                    title: r.title,
                    task_id: r.task_id,
                    task: crate::views::task_name(&r.task, onego_domain::labels::Lang::Zh),
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
