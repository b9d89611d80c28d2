//! Log-in, log-out and the reader's preferences (language, elder mode).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use onego_calendar::Timestamp;
use onego_domain::org::Role;

use crate::AppState;
use crate::ui::{Page, api_error_page, render};

use crate::ui::form::FormData;
use crate::ui::view::*;

// --- Preferences, login ----------------------------------------------------------------------------

/// `/prefs?lang=en&elder=1&back=/path`: sets the language or elder mode and returns to the page.
pub async fn prefs(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let back = form
        .get("back")
        .and_then(crate::edge::local_path)
        .unwrap_or("/")
        .to_owned();
    let mut headers = HeaderMap::new();
    let lang = form
        .get("lang")
        .filter(|l| *l == "en" || *l == "zh")
        .map(|l| format!("lang={l}"));
    let elder = form
        .get("elder")
        .filter(|e| *e == "0" || *e == "1")
        .map(|e| format!("elder={e}"));
    for pair in [lang, elder].into_iter().flatten() {
        let secure = crate::auth::secure_attr(&request_headers, &state);
        if let Ok(v) =
            HeaderValue::from_str(&format!("{pair}; Path=/; Max-Age=31536000; SameSite=Lax{secure}"))
        {
            headers.append(SET_COOKIE, v);
        }
    }
    (headers, Redirect::to(&back)).into_response()
}

pub async fn login_page(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    render(
        &state,
        &page,
        "login.html",
        StatusCode::OK,
        context! {
            next => form.text("next"), error => "",
            expired => form.text("expired") == "1", resume => form.text("resume") == "1",
        },
    )
}

pub(crate) fn home_for(role: Role) -> &'static str {
    match role {
        Role::Applicant => "/cases",
        Role::Clerk => "/window",
        Role::Approver | Role::Supervisor => "/inbox",
        Role::Leader => "/dashboard",
        Role::Admin => "/admin",
        Role::Operator => "/hotline/intake",
        Role::Dispatcher => "/hotline/dispatch",
        Role::GridMember => "/grid/report",
        Role::Agent => "/agent",
        Role::System => "/",
    }
}

pub async fn login_submit(
    State(state): State<AppState>,
    page: Page,
    origin: crate::auth::Origin,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let (username, password) = (
        form.text("username"),
        form.get("password").unwrap_or("").to_owned(),
    );
    let next = form.text("next");
    let resume = form.text("resume") == "1";
    let fail = |msg: String| {
        render(
            &state,
            &page,
            "login.html",
            StatusCode::UNAUTHORIZED,
            context! { next => next.clone(), error => msg, username => username.clone(), resume => resume },
        )
    };
    let (auth, cookie) = match crate::auth::log_in(&state, &origin, &username, password).await {
        Ok(ok) => ok,
        Err(crate::auth::LoginError::Wrong) => {
            return fail(page.tr("用户名或密码错误", "The username or password is wrong"));
        }
        Err(crate::auth::LoginError::Locked { until }) => {
            let at = time(Timestamp::from_millis(until));
            let mut r = fail(if page.en() {
                format!("Too many failed log-ins. For your account's safety, try again after {at}.")
            } else {
                format!("登录失败次数过多，为保护账号安全，请于 {at} 之后再试。")
            });
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return r;
        }
        Err(crate::auth::LoginError::Other(e)) => return api_error_page(&state, &page, e),
    };
    let target = match crate::edge::local_path(&next) {
        // Back on the page whose form was sent without a session, the browser fills it in again.
        Some(n) if resume => format!("{n}{}resume=1", if n.contains('?') { '&' } else { '?' }),
        Some(n) => n.to_owned(),
        None => home_for(auth.user.role).to_owned(),
    };
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie);
    (headers, Redirect::to(&target)).into_response()
}

pub async fn logout(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    // The browser forgets the session even if the database could not delete it (it expires anyway).
    let clear = crate::auth::log_out(&state, &headers)
        .await
        .unwrap_or(HeaderValue::from_static(crate::auth::CLEAR_SESSION_COOKIE));
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, clear);
    Ok((out, Redirect::to("/")).into_response())
}
