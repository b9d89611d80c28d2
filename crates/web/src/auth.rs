//! Who is asking: a session cookie (browsers) or a bearer API token (programs).
//!
//! A browser session must also send its CSRF token in `X-CSRF-Token` on every request that changes
//! something, so another site cannot make a logged-in browser act. Bearer tokens are not sent
//! automatically by browsers and need no CSRF token; each has a scope (the API, the API read-only, or
//! Open311 only), an expiry, and can be revoked. Log-ins are rate-limited per account and per address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use onego_domain::org::Actor;
use onego_domain::policy::{self, Surface};
use onego_store::users::{self, TokenInfo, User};

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
    /// The token used, for bearer requests; `None` for a logged-in session.
    pub token: Option<TokenInfo>,
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

/// The caller's address: the connection's peer, or — behind a proxy onego is told to trust — the first
/// address of `X-Forwarded-For`.
pub fn client_addr(parts: &Parts, state: &AppState) -> String {
    if state.trust_proxy
        && let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return first.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Whether cookies must carry `Secure`: configured so, or the trusted proxy says the browser came over TLS.
pub fn secure_cookies(headers: &HeaderMap, state: &AppState) -> bool {
    state.secure_cookies
        || (state.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https")))
}

/// `; Secure` when cookies must carry it, else nothing.
pub fn secure_attr(headers: &HeaderMap, state: &AppState) -> &'static str {
    if secure_cookies(headers, state) {
        "; Secure"
    } else {
        ""
    }
}

/// The caller, if the request carries valid credentials. API requests: a token must reach the API
/// (reading for GET, writing otherwise); a session must send its CSRF token on every change.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    let surface = if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Surface::ApiRead
    } else {
        Surface::ApiWrite
    };
    authenticate_on(parts, state, surface).await
}

/// The same for a surface: pages check their form's `csrf` field themselves.
pub async fn authenticate_on(
    parts: &Parts,
    state: &AppState,
    surface: Surface,
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
        let (user, info) = state
            .engine
            .store()
            .users()
            .token_user(token, now)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "the API token is not valid (unknown, expired or revoked); log in and create a new one",
                )
            })?;
        policy::token_reaches(info.scope, surface).map_err(|d| ApiError::forbidden(d.0))?;
        touch(state, info.id, now);
        let actor = actor_of(state, &user, now).await?;
        return Ok(Some(Auth {
            user,
            actor,
            csrf: String::new(),
            token: Some(info),
        }));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
        return Ok(None);
    };
    let found = state.engine.store().users().session_user(token, now).await?;
    let Some((user, csrf)) = found else {
        return Ok(None);
    };
    if surface == Surface::ApiWrite {
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
    let actor = actor_of(state, &user, now).await?;
    Ok(Some(Auth {
        user,
        actor,
        csrf,
        token: None,
    }))
}

/// The actor a user acts as: an agent carries the mandates of their agency agreements, as of now.
pub async fn actor_of(
    state: &AppState,
    user: &onego_store::users::User,
    now: i64,
) -> Result<onego_domain::org::Actor, ApiError> {
    let mut actor = user.actor();
    actor.mandates = state
        .engine
        .mandates_of(user.id, user.role, onego_calendar::Timestamp::from_millis(now))
        .await?;
    Ok(actor)
}

/// Records a token's use in the background (at most once a minute per token); the request does not wait.
pub fn touch(state: &AppState, id: i64, now: i64) {
    let store = state.engine.store().clone();
    tokio::spawn(async move {
        if let Err(e) = store.users().touch_token(id, now).await {
            tracing::warn!(error = %e, "could not record a token's use");
        }
    });
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

/// Where a log-in comes from, for the rate limit and the log.
pub struct Origin {
    pub addr: String,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Origin {
            addr: client_addr(parts, state),
            headers: parts.headers.clone(),
        })
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub const CLEAR_SESSION_COOKIE: &str = "onego_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3_600_000;

/// Why a log-in failed.
#[derive(Debug)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled account: one answer for all, so nothing is revealed.
    Wrong,
    /// Too many failures for this account or address; the next try is possible at this instant.
    Locked {
        until: i64,
    },
    Other(ApiError),
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Wrong => ApiError::unauthorized("the username or password is wrong"),
            LoginError::Locked { until } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "too many failed log-ins; try again after {}",
                        crate::ui::view::time(onego_calendar::Timestamp::from_millis(until))
                    ),
                );
                err.retry_after = Some(
                    u32::try_from(((until - onego_store::now_millis()) / 1000).max(1)).unwrap_or(u32::MAX),
                );
                err
            }
            LoginError::Other(e) => e,
        }
    }
}

impl From<onego_store::StoreError> for LoginError {
    fn from(e: onego_store::StoreError) -> Self {
        LoginError::Other(e.into())
    }
}

/// Checks a username and password and opens a session. Returns the caller and the `Set-Cookie` value.
///
/// Every answer costs the same: an unknown user's password is checked against a dummy hash. A locked
/// account or address is refused before any check (and says until when); a failure counts against both
/// the account and the address and is logged.
pub async fn log_in(
    state: &AppState,
    origin: &Origin,
    username: &str,
    password: String,
) -> Result<(Auth, HeaderValue), LoginError> {
    let u = username.trim().to_owned();
    let now = onego_store::now_millis();
    let keys = [
        format!("user:{}", u.to_lowercase()),
        format!("addr:{}", origin.addr),
    ];
    if let Some(until) = state
        .engine
        .store()
        .users()
        .locked_until(keys.to_vec(), now)
        .await?
    {
        tracing::warn!(username = %u, addr = %origin.addr, "log-in refused: locked after failures");
        return Err(LoginError::Locked { until });
    }
    let found = state.engine.store().users().by_username(&u).await?;
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| users::dummy_hash().to_owned());
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || users::verify_password(&password, &hash))
        .await
        .map_err(|e| LoginError::Other(ApiError::internal(e.to_string())))?;
    let user = match found {
        Some((user, _)) if ok && !user.disabled => user,
        _ => {
            tracing::warn!(username = %u, addr = %origin.addr, "failed log-in");
            let [account, address] = keys;
            let locked = state
                .engine
                .store()
                .users()
                .record_failures(
                    vec![(account, users::ACCOUNT_LOCK), (address, users::ADDRESS_LOCK)],
                    now,
                )
                .await?;
            return Err(match locked {
                Some(until) => LoginError::Locked { until },
                None => LoginError::Wrong,
            });
        }
    };
    let (token, csrf) = (users::new_token(), users::new_token());
    state
        .engine
        .store()
        .users()
        .logged_in(
            keys[0].clone(),
            user.id,
            token.clone(),
            csrf.clone(),
            now,
            SESSION_TTL_MS,
        )
        .await?;
    let cookie = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_TTL_MS / 1000,
        secure_attr(&origin.headers, state)
    ))
    .map_err(|e| LoginError::Other(ApiError::internal(e.to_string())))?;
    let actor = actor_of(state, &user, now).await.map_err(LoginError::Other)?;
    Ok((
        Auth {
            user,
            actor,
            csrf,
            token: None,
        },
        cookie,
    ))
}

/// Ends the request's session (if any); returns the `Set-Cookie` value that clears the cookie.
pub async fn log_out(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    if let Some(t) = cookie(headers, SESSION_COOKIE).map(str::to_owned) {
        state.engine.store().users().delete_session(t).await?;
    }
    Ok(HeaderValue::from_static(CLEAR_SESSION_COOKIE))
}
