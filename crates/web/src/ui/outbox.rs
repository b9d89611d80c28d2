//! `/admin/outbox`: the delivery queue for administrators — figures, messages by status, one
//! message's attempts, and resending a failed one. Recipients are masked here as in every list.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use minijinja::context;
use onego_calendar::Timestamp;
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::privacy::mask_contact;
use onego_store::outbox::{Message, Status};
use serde::Deserialize;

use super::{Page, error_page, render};
use crate::AppState;
use crate::ui::form::FormData;
use crate::ui::view::PageResult;
use crate::views::time;

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub done: Option<String>,
}

/// The name of a message kind in the reader's language (the kind's code when it is unknown).
pub(crate) fn kind_name(page: &Page, kind: &str) -> String {
    onego_notify::templates::kinds()
        .into_iter()
        .find(|(k, _, _)| *k == kind)
        .map_or_else(|| kind.to_owned(), |(_, zh, en)| page.tr(zh, en))
}

fn at(ms: i64) -> String {
    time(Timestamp::from_millis(ms))
}

/// A server's answer with the recipient's address hidden (an SMTP refusal often repeats it).
fn masked_detail(m: &Message, detail: &str) -> String {
    detail.replace(&m.recipient, &mask_contact(&m.recipient))
}

fn row(page: &Page, m: &Message) -> minijinja::Value {
    context! {
        id => m.id, created => at(m.created_at), kind => kind_name(page, &m.kind),
        channel => m.channel.label(page.lang), to => mask_contact(&m.recipient),
        status => m.status.label(page.lang), status_code => m.status.as_str(),
        attempts => m.attempts, urgent => m.urgent,
        next => (m.status == Status::Pending).then(|| at(m.next_at)),
        sent => m.sent_at.map(at),
        error => m.last_error.as_deref().map(|d| masked_detail(m, d)),
        failed => m.status == Status::Failed,
    }
}

pub async fn outbox(State(state): State<AppState>, page: Page, Query(q): Query<OutboxQuery>) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let status = q.status.as_deref().and_then(Status::parse);
    let store = state.engine.store().outbox();
    let fail = |e: onego_store::StoreError| super::api_error_page(&state, &page, e.into());
    let now = onego_store::now_millis();
    let figures = store.figures(now).await.map_err(fail)?;
    let messages = store.list(status, 200).await.map_err(fail)?;
    let channels = store.channels().await.map_err(fail)?;
    let done = match q.done.as_deref() {
        Some("resent") => page.tr(
            "已重新排队发送；投递进程将在几秒内发送，结果见下表。",
            "Queued again: the delivery worker sends it within seconds; the table shows the outcome.",
        ),
        _ => String::new(),
    };
    let oldest_min = figures.oldest_pending_ms / 60_000;
    Ok(render(
        &state,
        &page,
        "admin_outbox.html",
        StatusCode::OK,
        context! {
            done => done,
            figures => context! { pending => figures.pending, sent => figures.sent, failed => figures.failed, retried => figures.retried,
                oldest => if figures.pending == 0 { String::new() } else if page.en() { format!("{oldest_min} min") } else { format!("{oldest_min} 分钟") } },
            channels => channels.iter().map(|c| c.label(page.lang)).collect::<Vec<_>>(),
            filter => status.map(Status::as_str).unwrap_or(""),
            statuses => Status::ALL.iter().map(|s| context! { code => s.as_str(), name => s.label(page.lang) }).collect::<Vec<_>>(),
            messages => messages.iter().map(|m| row(&page, m)).collect::<Vec<_>>(),
        },
    ))
}

async fn message_page(state: &AppState, page: &Page, id: i64, status: StatusCode, error: &str) -> PageResult {
    let store = state.engine.store().outbox();
    let fail = |e: onego_store::StoreError| super::api_error_page(state, page, e.into());
    let Some(m) = store.get(id).await.map_err(fail)? else {
        return Err(error_page(
            state,
            page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这条消息。", "There is no such message."),
        ));
    };
    let attempts = store.attempts(id).await.map_err(fail)?;
    Ok(render(
        state,
        page,
        "admin_message.html",
        status,
        context! {
            error => error, m => row(page, &m),
            attempts => attempts.iter().map(|a| context! {
                at => at(a.at), outcome => a.outcome.label(page.lang),
                detail => a.detail.as_deref().map(|d| masked_detail(&m, d)), remote_id => a.remote_id.clone(),
            }).collect::<Vec<_>>(),
        },
    ))
}

pub async fn message(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    message_page(&state, &page, id, StatusCode::OK, "").await
}

/// Sends a failed message again: pending and due now; its earlier attempts stay on record.
pub async fn resend(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let resent = state
        .engine
        .store()
        .outbox()
        .resend(id, onego_store::now_millis())
        .await
        .map_err(|e| super::api_error_page(&state, &page, e.into()))?;
    if resent {
        tracing::info!(id, by = %page.require()?.user.username, "message queued again by an administrator");
        Ok(axum::response::Redirect::to("/admin/outbox?done=resent").into_response())
    } else {
        message_page(
            &state,
            &page,
            id,
            StatusCode::CONFLICT,
            &page.tr(
                "这条消息不是发送失败状态，无需重发。",
                "This message has not failed, so there is nothing to resend.",
            ),
        )
        .await
    }
}
