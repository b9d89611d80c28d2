//! `/tokens`: a person's API tokens — create one (shown once), see scope, expiry and last use, revoke.
//! Administrators see every account's tokens and issue Open311 partner keys for partner accounts.
//! The same functions as `/api/v1/tokens`.

#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use onego_domain::labels::Label;
use onego_domain::org::{Role, TokenScope};

use super::{Page, render};
use crate::AppState;
use crate::api::tokens::{self as tokens_api, NewToken};
use crate::ui::form::FormData;
use crate::ui::view::{PageResult, time};

fn scope_label(page: &Page, s: TokenScope) -> &'static str {
    if page.en() { s.en() } else { s.zh() }
}

async fn tokens_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    done: &str,
    created: Option<String>,
) -> PageResult {
    let auth = page.require()?.clone();
    let admin = auth.user.role == Role::Admin;
    let now = onego_store::now_millis();
    let rows = tokens_api::list(state, &auth, admin)
        .await
        .map_err(|e| super::api_error_page(state, page, e))?;
    let at = |t: i64| time(onego_calendar::Timestamp::from_millis(t));
    let tokens: Vec<minijinja::Value> = rows
        .iter()
        .map(|t| {
            context! {
                id => t.id, username => t.username.clone(), name => t.name.clone(),
                scope => scope_label(page, t.scope), created => at(t.created_at), expires => at(t.expires_at),
                last_used => t.last_used_at.map(at), revoked => t.revoked_at.map(at),
                state => if t.revoked_at.is_some() { page.tr("已吊销", "revoked") }
                         else if t.expires_at <= now { page.tr("已过期", "expired") }
                         else { page.tr("有效", "live") },
                live => t.live(now),
            }
        })
        .collect();
    let scopes: Vec<minijinja::Value> = TokenScope::ALL
        .into_iter()
        .filter(|s| admin || onego_domain::policy::may_hold_token(auth.user.role, *s).is_ok())
        .map(|s| context! { code => s.as_str(), name => scope_label(page, s) })
        .collect();
    Ok(render(
        state,
        page,
        "tokens.html",
        status,
        context! { tokens => tokens, scopes => scopes, admin => admin, error => error, done => done, created => created },
    ))
}

pub async fn tokens(State(state): State<AppState>, page: Page) -> PageResult {
    tokens_page(&state, &page, StatusCode::OK, "", "", None).await
}

pub async fn create(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let request = tokens_api::TokenRequest {
        name: form.text("name"),
        scope: Some(form.text("scope")),
        expires_in_days: match form.text("days").as_str() {
            "" => None,
            d => Some(d.parse().unwrap_or(0)),
        },
        for_user: Some(form.text("for_user")),
    };
    let result = match NewToken::try_from(request) {
        Ok(new) => tokens_api::issue(&state, &auth, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((token, info)) => {
            let done = if page.en() {
                format!(
                    "Token \"{}\" created for {}. Copy it now: it is shown only this once. It expires on {}.",
                    info.name,
                    info.username,
                    time(onego_calendar::Timestamp::from_millis(info.expires_at))
                )
            } else {
                format!(
                    "已为 {} 创建令牌“{}”。请立即复制保存：令牌只显示这一次，有效期至 {}。",
                    info.username,
                    info.name,
                    time(onego_calendar::Timestamp::from_millis(info.expires_at))
                )
            };
            tokens_page(&state, &page, StatusCode::CREATED, "", &done, Some(token)).await
        }
        Err(e) => tokens_page(&state, &page, e.status, &e.text(page.lang), "", None).await,
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, Response> {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    match tokens_api::revoke(&state, &auth, id).await {
        Ok(info) => {
            let done = if page.en() {
                format!(
                    "Token \"{}\" of {} is revoked: from now on it opens nothing.",
                    info.name, info.username
                )
            } else {
                format!("{} 的令牌“{}”已吊销，此后不能再使用。", info.username, info.name)
            };
            tokens_page(&state, &page, StatusCode::OK, "", &done, None).await
        }
        Err(e) => tokens_page(&state, &page, e.status, &e.text(page.lang), "", None).await,
    }
}
