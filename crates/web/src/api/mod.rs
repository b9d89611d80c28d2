//! The JSON API under `/api/v1`.
//!
//! One module per area: catalog, session, cases, inbox, statistics, tickets, tokens. Here: the
//! extractors that answer in our error shape, and the paging every list shares.

pub mod agreements;
pub mod cases;
pub mod catalog;
pub mod certificates;
pub mod contact;
pub mod inbox;
pub mod projects;
pub mod reform;
pub mod session;
pub mod stats;
pub mod tickets;
pub mod tokens;

pub use cases::*;
pub use catalog::*;
pub use inbox::*;
pub use session::*;
pub use stats::*;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use onego_calendar::Timestamp;
use onego_domain::values::Code;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

// --- Extractors with our error shape ---------------------------------------------------------------

/// JSON body; a malformed or mistyped body gets `{code, message}` saying what is wrong.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request(format!(
                "the body is not valid JSON: {}",
                e.body_text()
            ))),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::unprocessable(format!(
                "the JSON does not fit this request: {}",
                e.body_text()
            ))),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(JsonRejection::BytesRejection(e)) => Err(ApiError::new(
                e.status(),
                format!(
                    "the body could not be read ({}); bodies are limited to 1 MiB",
                    e.body_text()
                ),
            )),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string; a bad parameter is a 400 saying which.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(format!("bad query parameter: {}", e.body_text()))
            })
    }
}

/// A path parameter; one that does not parse is a 400 in our error shape.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
    }
}

/// One of an enum's words (`complaint`, `required`, …), as a form's list or a JSON field sends it;
/// `what` names the field in (Chinese, English), `choices` lists the words for the English message
/// (empty: "the allowed values").
pub(crate) fn parse_choice<T: serde::de::DeserializeOwned>(
    what: (&str, &str),
    text: &str,
    choices: &str,
) -> Result<T, onego_domain::messages::Msg> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).map_err(|_| {
        let choices = if choices.is_empty() {
            "the allowed values"
        } else {
            choices
        };
        onego_domain::messages::Msg::new(
            "unknown_choice",
            format!("请选择{}", what.0),
            format!("{} \"{}\" is not one of {choices}", what.1, text.trim()),
        )
    })
}

pub(crate) fn parse_code(what: &str, s: &str) -> ApiResult<Code> {
    Code::parse(s).map_err(|e| ApiError::unprocessable(format!("{what}: {e}")))
}

pub(crate) fn parse_date(what: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{what} \"{s}\" is not a date; write YYYY-MM-DD")))
}

pub(crate) fn parse_day(what: &str, s: &str) -> ApiResult<i64> {
    parse_date(what, s).map(onego_store::day_number)
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Rows per page: 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip: 0 to 100000.
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<i64>,
}

/// Every list's paging, checked the same way: at most [`MAX_PAGE`] rows a page. A value out of range is
/// an error that says the range (never quietly changed), so a client learns the contract.
pub const MAX_PAGE: i64 = 200;
pub(crate) const MAX_OFFSET: i64 = 100_000;

pub fn paging(limit: Option<i64>, offset: Option<i64>, default: i64) -> ApiResult<(i64, i64)> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is out of range: give 1 to {MAX_PAGE} rows a page, and page on with offset"
        )));
    }
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(ApiError::bad_request(format!(
            "offset {offset} is out of range: give 0 to {MAX_OFFSET}; narrow the list with its filters instead"
        )));
    }
    Ok((limit, offset))
}
