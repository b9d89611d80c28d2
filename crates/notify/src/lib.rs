//! Delivery of the outbox: e-mail over SMTP ([`email`]), SMS through an HTTP gateway ([`sms`]), the
//! message templates ([`templates`]) and the worker that claims due messages, sends them, retries with
//! backoff and gives up after a configured number of attempts ([`worker`]). Commands never wait for
//! any of this: the outbox row is written with the command, and delivery happens after.

pub mod email;
pub mod sms;
pub mod templates;
pub mod worker;

pub use email::Email;
pub use sms::Sms;
pub use worker::{Delivery, deliver_due};

/// A configuration that cannot be used, said in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct Refusal {
    pub zh: String,
    pub en: String,
}

impl Refusal {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Refusal {
        Refusal {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// Why one attempt to send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again (the server is down, a timeout, 4xx SMTP, 5xx HTTP).
    #[error("{0}")]
    Transient(String),
    /// Will fail again the same way (a bad address, a refused template).
    #[error("{0}")]
    Permanent(String),
}
