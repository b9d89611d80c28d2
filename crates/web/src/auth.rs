//! Who is asking: a session cookie (browsers) or a bearer API token (programs).
//!
//! A browser session must also send its CSRF token in `X-CSRF-Token` on every request that changes
//! something, so another site cannot make a logged-in browser act. Bearer tokens are not sent
//! automatically by browsers and need no CSRF token.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use onego_domain::org::Actor;
use onego_store::users::{self, User};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "onego_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub actor: Actor,
    /// The session's CSRF token (empty for bearer tokens).
    pub csrf: String,
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The caller, if the request carries valid credentials.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    authenticate_with(parts, state, true).await
}

/// `check_csrf` is false only for HTML pages, whose form handlers check the form's `csrf` field.
pub async fn authenticate_with(
    parts: &Parts,
    state: &AppState,
    check_csrf: bool,
) -> Result<Option<Auth>, ApiError> {
    let now = onego_store::now_millis();
    if let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let value = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?
            .trim()
            .to_owned();
        let user = state
            .engine
            .store()
            .read(move |c| users::api_token_user(c, &token))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "the API token is not valid; create a new one with POST /api/v1/tokens",
                )
            })?;
        let actor = user.actor();
        return Ok(Some(Auth {
            user,
            actor,
            csrf: String::new(),
        }));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
        return Ok(None);
    };
    let found = state
        .engine
        .store()
        .read(move |c| users::session_user(c, &token, now))
        .await?;
    let Some((user, csrf)) = found else {
        return Ok(None);
    };
    let changes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && check_csrf {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if sent.is_empty() || sent != csrf {
            return Err(ApiError::forbidden(
                "send the session's CSRF token in the X-CSRF-Token header (it comes with GET /api/v1/me)",
            ));
        }
    }
    let actor = user.actor();
    Ok(Some(Auth { user, actor, csrf }))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await?.ok_or_else(|| {
            ApiError::unauthorized(
                "log in first: POST /api/v1/session, or send Authorization: Bearer <token>",
            )
        })
    }
}

/// The caller if logged in, without failing otherwise (public pages).
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(authenticate(parts, state).await?))
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub const CLEAR_SESSION_COOKIE: &str = "onego_session=; Path=/; HttpOnly; Max-Age=0";

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3_600_000;

/// Checks a username and password and opens a session. Returns the caller and the `Set-Cookie` value.
/// An unknown user and a wrong password get the same 401, so usernames cannot be probed.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<(Auth, HeaderValue), ApiError> {
    let u = username.trim().to_owned();
    let found = state
        .engine
        .store()
        .read(move |c| users::by_username(c, &u))
        .await?;
    let denied = || ApiError::unauthorized("the username or password is wrong");
    let (user, hash) = found.ok_or_else(denied)?;
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || users::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !ok || user.disabled {
        return Err(denied());
    }
    let (token, csrf) = (users::new_token(), users::new_token());
    let (t, c, id, now) = (token.clone(), csrf.clone(), user.id, onego_store::now_millis());
    state
        .engine
        .store()
        .write(move |conn| users::create_session(conn, id, &t, &c, now, SESSION_TTL_MS))
        .await?;
    let cookie = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_TTL_MS / 1000
    ))
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let actor = user.actor();
    Ok((Auth { user, actor, csrf }, cookie))
}

/// Ends the request's session (if any); returns the `Set-Cookie` value that clears the cookie.
pub async fn log_out(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    if let Some(t) = cookie(headers, SESSION_COOKIE).map(str::to_owned) {
        state
            .engine
            .store()
            .write(move |c| users::delete_session(c, &t))
            .await?;
    }
    Ok(HeaderValue::from_static(CLEAR_SESSION_COOKIE))
}
