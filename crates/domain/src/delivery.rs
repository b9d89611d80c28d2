//! Messages beyond the in-app notice: the channels they travel by, where a queued message stands, and
//! what one attempt to send it came to. Stored by their codes (`as_str`); named for people in
//! [`crate::labels`].

/// A channel beyond the in-app notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sent,
    Failed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Pending, Status::Sent, Status::Failed];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What one attempt to send came to. (Holding an SMS for quiet hours is not an attempt.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Sent,
    Error,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 2] = [AttemptOutcome::Sent, AttemptOutcome::Error];
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Sent => "sent",
            AttemptOutcome::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<AttemptOutcome> {
        AttemptOutcome::ALL.into_iter().find(|c| c.as_str() == s)
    }
}
