//! Logging in and out through the API, and who I am.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};

use super::*;

// --- Sessions and tokens ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: String,
    pub department: Option<String>,
    /// Send this in `X-CSRF-Token` with every request that changes something.
    pub csrf: String,
}

pub(crate) fn me(auth: &Auth) -> Me {
    Me {
        id: auth.user.id,
        username: auth.user.username.clone(),
        name: auth.user.name.clone(),
        role: auth.user.role.as_str().to_owned(),
        department: auth.user.department.as_ref().map(ToString::to_string),
        csrf: auth.csrf.clone(),
    }
}

/// Logs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    origin: crate::auth::Origin,
    Json(req): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let (auth, cookie) = crate::auth::log_in(&state, &origin, &req.username, req.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie);
    Ok((headers, Json(me(&auth))))
}

/// Logs out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<impl IntoResponse> {
    let clear = crate::auth::log_out(&state, &headers).await?;
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, clear);
    Ok((StatusCode::NO_CONTENT, out))
}

/// Who I am, with the CSRF token of my session.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn whoami(auth: Auth) -> Json<Me> {
    Json(me(&auth))
}
