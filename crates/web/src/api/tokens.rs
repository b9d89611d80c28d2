//! API tokens: created only from a logged-in session (a token never creates tokens), each with a scope
//! and an expiry; listed with their last use; revoked by their holder or an administrator. The pages
//! (`/tokens`, and partner keys on `/admin`) use the same functions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use onego_domain::messages::Msg;
use onego_domain::org::{Role, TokenScope};
use onego_domain::policy;
use onego_store::users::{self, TokenInfo, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Json, Path, Query};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// How long a token lasts unless asked otherwise, and at most.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_DAYS: i64 = 365;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. "统计报表脚本" (1 to 60 characters).
    pub name: String,
    /// `api` (read and write, the default), `api_read` (read only) or `open311` (an Open311 partner key).
    #[serde(default)]
    pub scope: Option<String>,
    /// Days until it expires: 1 to 365, 90 when left out.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
    /// Administrators only: the username of the account the token acts as (a partner's account).
    #[serde(default)]
    pub for_user: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Neither revoked nor expired.
    pub live: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// Shown once; onego keeps only its hash. Send it as `Authorization: Bearer <token>` (or, for an
    /// Open311 key, as `api_key`).
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

fn time(t: i64) -> String {
    onego_calendar::Timestamp::from_millis(t).to_rfc3339_in(onego_calendar::china_standard_time())
}

pub fn view(t: &TokenInfo, now: i64) -> TokenView {
    TokenView {
        id: t.id,
        username: t.username.clone(),
        name: t.name.clone(),
        scope: t.scope.as_str().to_owned(),
        created_at: time(t.created_at),
        expires_at: time(t.expires_at),
        last_used_at: t.last_used_at.map(time),
        revoked_at: t.revoked_at.map(time),
        live: t.live(now),
    }
}

/// What a token request asks for, checked.
pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
    pub days: i64,
    pub for_user: Option<String>,
}

impl TryFrom<TokenRequest> for NewToken {
    type Error = ApiError;

    fn try_from(r: TokenRequest) -> Result<Self, Self::Error> {
        let name = r.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(ApiError::unprocessable(Msg::new(
                "token_name",
                "请为令牌起一个1至60个字的名称",
                "give the token a name of 1 to 60 characters",
            )));
        }
        let scope = match r.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => TokenScope::Api,
            Some(s) => TokenScope::parse(s).ok_or_else(|| {
                ApiError::unprocessable(Msg::new(
                    "token_scope",
                    "请选择令牌用途：接口读写、接口只读或 Open311",
                    format!("scope \"{s}\" is not one of api, api_read, open311"),
                ))
            })?,
        };
        let days = r.expires_in_days.unwrap_or(DEFAULT_DAYS);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ApiError::unprocessable(Msg::new(
                "token_days",
                format!("有效天数应为1至{MAX_DAYS}天"),
                format!("expires_in_days must be from 1 to {MAX_DAYS}"),
            )));
        }
        Ok(NewToken {
            name,
            scope,
            days,
            for_user: r.for_user.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
        })
    }
}

/// Issues a token. Only from a logged-in session; for oneself, or — administrators — for another account
/// (an Open311 partner's). The scope must suit the holder's role.
/// Who may ask for a token at all, before the request itself is looked at: a logged-in session, and for
/// another account only an administrator.
pub fn authorize_issue(issuer: &Auth, for_another: bool) -> ApiResult<()> {
    if issuer.token.is_some() {
        return Err(ApiError::forbidden(
            "a token never creates tokens; log in (POST /api/v1/session) and create it from that session",
        ));
    }
    if for_another && issuer.user.role != Role::Admin {
        return Err(ApiError::forbidden(Msg::new(
            "token_for_another",
            "只有系统管理员可以为其他账号创建令牌",
            "only administrators create tokens for other accounts",
        )));
    }
    Ok(())
}

pub async fn issue(state: &AppState, issuer: &Auth, new: NewToken) -> ApiResult<(String, TokenInfo)> {
    authorize_issue(issuer, new.for_user.is_some())?;
    let holder: User = match &new.for_user {
        None => issuer.user.clone(),
        Some(name) => state
            .engine
            .store()
            .users()
            .by_username(name)
            .await?
            .map(|(u, _)| u)
            .ok_or_else(|| {
                ApiError::unprocessable(Msg::new(
                    "no_such_user",
                    format!("没有用户“{name}”"),
                    format!("there is no user \"{name}\""),
                ))
            })?,
    };
    policy::may_hold_token(holder.role, new.scope).map_err(|d| ApiError::unprocessable(d.0))?;
    let token = users::new_token();
    let now = onego_store::now_millis();
    let expires = now + new.days * 86_400_000;
    let scope = new.scope;
    let info = state
        .engine
        .store()
        .users()
        .create_token(holder.id, new.name.clone(), token.clone(), scope, expires, now)
        .await?
        .ok_or_else(|| ApiError::internal("the new token could not be read back"))?;
    tracing::info!(id = info.id, holder = %info.username, scope = scope.as_str(), by = %issuer.user.username, "API token issued");
    Ok((token, info))
}

/// Revokes a token: its holder's own, or any (administrators).
pub async fn revoke(state: &AppState, auth: &Auth, id: i64) -> ApiResult<TokenInfo> {
    let info = state
        .engine
        .store()
        .users()
        .token(id)
        .await?
        .filter(|t| t.user_id == auth.user.id || auth.user.role == Role::Admin)
        .ok_or_else(|| {
            ApiError::not_found(Msg::new(
                "no_such_token",
                format!("没有您的第 {id} 号令牌"),
                format!("there is no token {id} of yours"),
            ))
        })?;
    let now = onego_store::now_millis();
    state.engine.store().users().revoke_token(id, now).await?;
    tracing::info!(id, holder = %info.username, by = %auth.user.username, "API token revoked");
    Ok(TokenInfo {
        revoked_at: info.revoked_at.or(Some(now)),
        ..info
    })
}

/// Tokens: the caller's own, or everyone's for an administrator who asks for all.
pub async fn list(state: &AppState, auth: &Auth, all: bool) -> ApiResult<Vec<TokenInfo>> {
    let user = if all && auth.user.role == Role::Admin {
        None
    } else {
        Some(auth.user.id)
    };
    Ok(state.engine.store().users().tokens(user).await?)
}

/// Creates an API token. Needs a logged-in session (a token cannot create tokens).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = TokenRequest,
    responses((status = 201, body = TokenCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<TokenRequest>,
) -> ApiResult<impl IntoResponse> {
    let for_another = req.for_user.as_deref().is_some_and(|u| !u.trim().is_empty());
    authorize_issue(&auth, for_another)?;
    let (token, info) = issue(&state, &auth, NewToken::try_from(req)?).await?;
    let now = onego_store::now_millis();
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            token,
            info: view(&info, now),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenListParams {
    /// Administrators: every account's tokens.
    pub all: Option<bool>,
}

/// My API tokens (never the tokens themselves), with their scope, expiry and last use.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", params(TokenListParams),
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<TokenListParams>,
) -> ApiResult<Json<Vec<TokenView>>> {
    let now = onego_store::now_millis();
    let rows = list(&state, &auth, p.all.unwrap_or(false)).await?;
    Ok(Json(rows.iter().map(|t| view(t, now)).collect()))
}

/// Revokes a token: from now on it opens nothing.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session",
    params(("id" = i64, Path, description = "the token's id (from GET /api/v1/tokens)")),
    responses((status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenView>> {
    let info = revoke(&state, &auth, id).await?;
    Ok(Json(view(&info, onego_store::now_millis())))
}
