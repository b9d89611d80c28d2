//! `/me/notifications`: where onego may reach me and on which channels I want messages. The same
//! functions as `/api/v1/me/contact`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use minijinja::context;

use super::{Page, render};
use crate::AppState;
use crate::api::contact::{self, ContactRequest, ContactView};
use crate::error::ApiError;
use crate::ui::form::{FormData, no_refusal, refusal};
use crate::ui::view::PageResult;

/// The page with the details shown (`view`) or, after a refusal, as the person typed them (`typed`).
async fn notifications_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    typed: Option<&FormData>,
    refused: Option<&ApiError>,
    done: &str,
) -> PageResult {
    let auth = page.require()?.clone();
    let saved: ContactView = contact::read(state, &auth)
        .await
        .map_err(|e| super::api_error_page(state, page, e))?;
    let f = match typed {
        Some(f) => context! {
            email => f.text("email"), mobile => f.text("mobile"),
            by_email => f.get("by_email").is_some(), by_sms => f.get("by_sms").is_some(), lang => f.text("lang"),
        },
        None => context! {
            email => saved.email.clone().unwrap_or_default(), mobile => saved.mobile.clone().unwrap_or_default(),
            by_email => saved.by_email, by_sms => saved.by_sms, lang => saved.lang.clone(),
        },
    };
    Ok(render(
        state,
        page,
        "notifications.html",
        status,
        context! {
            f => f, done => done,
            email_available => saved.email_available, sms_available => saved.sms_available,
            ..refused.map_or_else(no_refusal, |e| refusal(e, page.lang)),
        },
    ))
}

pub async fn notifications(State(state): State<AppState>, page: Page) -> PageResult {
    notifications_page(&state, &page, StatusCode::OK, None, None, "").await
}

pub async fn save(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let req = ContactRequest {
        email: Some(form.text("email")),
        mobile: Some(form.text("mobile")),
        by_email: form.get("by_email").is_some(),
        by_sms: form.get("by_sms").is_some(),
        lang: Some(form.text("lang")),
    };
    match contact::save(&state, &auth, req).await {
        Ok(v) => {
            let chosen: Vec<String> = [
                (true, page.tr("站内通知", "in onego")),
                (v.by_email, page.tr("电子邮件", "by e-mail")),
                (v.by_sms, page.tr("短信", "by SMS")),
            ]
            .into_iter()
            .filter_map(|(on, n)| on.then_some(n))
            .collect();
            let done = if page.en() {
                format!("Saved. From now on you receive messages {}.", chosen.join(", "))
            } else {
                format!("已保存。今后的消息将通过{}通知您。", chosen.join("、"))
            };
            notifications_page(&state, &page, StatusCode::OK, None, None, &done).await
        }
        Err(e) => notifications_page(&state, &page, e.status, Some(&form), Some(&e), "").await,
    }
}
