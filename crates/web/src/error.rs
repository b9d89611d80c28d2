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
    /// When the input had mistakes in several fields: each of them, so a form can show every one
    /// beside its field at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

/// One field's mistake.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// The field's name as sent (`phone`, `content`, `category`, …).
    pub field: String,
    pub reason: &'static str,
    pub message: String,
    pub message_zh: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: Msg,
    /// Seconds until a refused request may be tried again (sent as `Retry-After`).
    pub retry_after: Option<u32>,
    /// Every field's mistake (each `Msg` names its field). A boxed slice keeps the error small: it
    /// travels in every `Result` of the web layer.
    pub fields: Box<[Msg]>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<Msg>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
            fields: Box::new([]),
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

    /// Field name → message in `lang`, for a form that shows each mistake beside its field: every
    /// field's mistake, or the one message when it names a field.
    pub fn field_texts(&self, lang: Lang) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for m in self.fields.iter().chain(std::iter::once(&self.message)) {
            if let Some(f) = &m.field {
                out.entry(f.to_string())
                    .or_insert_with(|| m.text(lang).to_owned());
            }
        }
        out
    }
}

/// The mistakes found in a form or a JSON body, collected so the person sees all of them at once,
/// not one per attempt. Each check names the field it is about.
#[derive(Default)]
pub struct FieldErrors(Vec<Msg>);

impl FieldErrors {
    /// The value, or `None` with the mistake noted against `field`.
    pub fn check<T, E: Into<Msg>>(&mut self, field: impl Into<String>, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.into());
                None
            }
        }
    }

    /// Notes a mistake against `field` (a message that already names a field keeps it).
    pub fn add(&mut self, field: impl Into<String>, m: Msg) {
        let m = if m.field.is_some() { m } else { m.at(field) };
        self.0.push(m);
    }

    /// Whether a mistake is already noted against `field` (so a follow-on rule does not repeat it).
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|m| m.field.as_deref() == Some(field))
    }

    /// `Ok` when nothing was wrong; otherwise one 422 answer carrying every mistake. Its message is the
    /// only mistake, or a summary that points at the marked fields.
    pub fn finish(mut self) -> ApiResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => {
                let mut e = ApiError::unprocessable(self.0[0].clone());
                e.fields = std::mem::take(&mut self.0).into_boxed_slice();
                Err(e)
            }
            n => {
                let list =
                    |text: fn(&Msg) -> &str, sep: &str| self.0.iter().map(text).collect::<Vec<_>>().join(sep);
                let mut e = ApiError::unprocessable(Msg::new(
                    "several_fields",
                    format!("有 {n} 处需要更正：{}", list(|m| &m.zh, "；")),
                    format!("{n} things need correcting: {}", list(|m| &m.en, "; ")),
                ));
                e.fields = self.0.into_boxed_slice();
                Err(e)
            }
        }
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
        // A single mistake that names its field is listed at that field too, so a client finds every
        // mistake in `fields` however many there were.
        let fields = if self.fields.is_empty() && self.message.field.is_some() {
            vec![self.message.clone()]
        } else {
            self.fields.into_vec()
        };
        let body = ErrorBody {
            code: code_of(self.status),
            reason: self.message.code,
            message_zh: self.message.zh,
            message: self.message.en,
            fields: fields
                .into_iter()
                .map(|m| FieldErrorBody {
                    field: m.field.map(String::from).unwrap_or_default(),
                    reason: m.code,
                    message: m.en,
                    message_zh: m.zh,
                })
                .collect(),
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
