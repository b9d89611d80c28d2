//! A person's own contact details and message choices: where onego may reach them (an e-mail address,
//! a mobile number) and on which channels they want messages. `GET/PUT /api/v1/me/contact`; the page
//! `/me/notifications` uses the same functions. In-app notices always arrive; e-mail and SMS only when
//! the person chose them and gave the address they need.

use axum::extract::State;
use onego_domain::labels::Lang;
use onego_domain::messages::Msg;
use onego_domain::values::parse_contact;
use onego_store::outbox::{Channel, Contact};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody, FieldErrors};

/// Contact details and choices as a person enters them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ContactRequest {
    /// Empty or absent to have none.
    #[serde(default)]
    pub email: Option<String>,
    /// A mainland mobile number; empty or absent to have none.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Messages by e-mail (needs `email`).
    #[serde(default)]
    pub by_email: bool,
    /// Messages by SMS (needs `mobile`).
    #[serde(default)]
    pub by_sms: bool,
    /// The language of e-mail and SMS: `zh` (the default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A person's contact details (their own, so in full), choices, and the channels this installation
/// delivers through.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub by_email: bool,
    pub by_sms: bool,
    /// `zh` or `en`.
    pub lang: String,
    /// Whether this installation sends e-mail at all.
    pub email_available: bool,
    /// Whether this installation sends SMS at all.
    pub sms_available: bool,
}

/// Validated contact details: every mistake found at once, each against its field.
impl TryFrom<ContactRequest> for Contact {
    type Error = crate::error::ApiError;

    fn try_from(r: ContactRequest) -> ApiResult<Contact> {
        let mut errors = FieldErrors::default();
        let (email, mobile) =
            match parse_contact(r.email.as_deref(), r.mobile.as_deref(), r.by_email, r.by_sms) {
                Ok((e, m)) => (e.map(String::from), m.map(String::from)),
                Err(mistakes) => {
                    for m in mistakes {
                        errors.add("contact", m);
                    }
                    (None, None)
                }
            };
        let lang = match r.lang.as_deref().map(str::trim) {
            None | Some("") | Some("zh") => Some(Lang::Zh),
            Some("en") => Some(Lang::En),
            Some(other) => {
                errors.add(
                    "lang",
                    Msg::new(
                        "lang_invalid",
                        format!("消息语言“{other}”无法识别，请选择中文（zh）或英文（en）"),
                        format!("the message language \"{other}\" is not zh or en"),
                    ),
                );
                None
            }
        };
        errors.finish()?;
        Ok(Contact {
            email,
            mobile,
            by_email: r.by_email,
            by_sms: r.by_sms,
            lang: lang.unwrap_or_default(),
        })
    }
}

pub(crate) async fn read(state: &AppState, auth: &Auth) -> ApiResult<ContactView> {
    let outbox = state.engine.store().outbox();
    let c = outbox.contact(auth.user.id).await?.unwrap_or_default();
    let channels = outbox.channels().await?;
    Ok(ContactView {
        email: c.email,
        mobile: c.mobile,
        by_email: c.by_email,
        by_sms: c.by_sms,
        lang: c.lang.code().to_owned(),
        email_available: channels.contains(&Channel::Email),
        sms_available: channels.contains(&Channel::Sms),
    })
}

/// Saves a person's own details: parsed and validated before anything is stored.
pub(crate) async fn save(state: &AppState, auth: &Auth, req: ContactRequest) -> ApiResult<ContactView> {
    let contact = Contact::try_from(req)?;
    state
        .engine
        .store()
        .outbox()
        .set_contact(auth.user.id, contact)
        .await?;
    read(state, auth).await
}

/// My contact details and message choices.
#[utoipa::path(get, path = "/api/v1/me/contact", tag = "session",
    responses((status = 200, body = ContactView), (status = 401, body = ErrorBody)))]
pub async fn get_contact(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ContactView>> {
    Ok(Json(read(&state, &auth).await?))
}

/// Changes my contact details and message choices (all fields at once).
#[utoipa::path(put, path = "/api/v1/me/contact", tag = "session", request_body = ContactRequest,
    responses((status = 200, body = ContactView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_contact(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<ContactRequest>,
) -> ApiResult<Json<ContactView>> {
    Ok(Json(save(&state, &auth, req).await?))
}
