//! One mapping from every failure to an HTTP status and a JSON body `{code, message}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onego_domain::labels::Lang;
use onego_domain::messages::Msg;
use onego_store::StoreError;
use onego_store::engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `unprocessable`, `payload_too_large`, `internal`.
    pub code: &'static str,
    /// What went wrong and what to do about it, in English.
    pub message: String,
    /// The same in Chinese.
    pub message_zh: String,
    /// A stable code of the message itself (`materials_missing`, `no_such_case`, …; `untranslated` for
    /// the few still only in English).
    pub reason: &'static str,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: Msg,
    /// Seconds until a refused request may be tried again (sent as `Retry-After`).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<Msg>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unauthorized(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    pub fn forbidden(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
    pub fn not_found(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    pub fn conflict(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::CONFLICT, m)
    }
    pub fn unprocessable(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, m)
    }
    pub fn internal(m: impl Into<Msg>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, m)
    }
}

impl ApiError {
    /// The message in a page's language.
    pub fn text(&self, lang: Lang) -> String {
        self.message.text(lang).to_owned()
    }
}

pub fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        429 => "too_many_requests",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        503 => "unavailable",
        _ => "internal",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            code: code_of(self.status),
            reason: self.message.code,
            message_zh: self.message.zh,
            message: self.message.en,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ApiError::conflict(e.to_string()),
            StoreError::Constraint(m) => ApiError::conflict(m),
            StoreError::Closed => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            StoreError::InvalidText => ApiError::unprocessable(e.to_string()),
            StoreError::Quota { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            // Database details stay in the log; the caller learns only that it failed.
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal("the database could not complete the request; try again shortly")
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            // One kind of refusal, one status, whatever the kind of work (docs/ARCHITECTURE.md).
            EngineError::Denied(m) => ApiError::forbidden(m),
            EngineError::NotFound(m) => ApiError::not_found(m),
            EngineError::NotAllowedNow(m) => ApiError::conflict(m),
            EngineError::Invalid(m) => ApiError::unprocessable(m),
            EngineError::Configuration(m) => ApiError::internal(format!("the catalog is misconfigured: {m}")),
            EngineError::Conflict => ApiError::conflict(e.to_string()),
            EngineError::Store(s) => s.into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
