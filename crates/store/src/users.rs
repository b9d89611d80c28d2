//! Users, passwords (argon2), sessions and API tokens (random, stored only as hashes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use onego_domain::messages::Msg;
use onego_domain::org::{Actor, Role, TokenScope};
use onego_domain::values::{ApplicantId, Code};
use rand::RngCore;
use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::StoreError;
use crate::sql::{Conn, Row, Value};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub department: Option<Code>,
    pub applicant: Option<ApplicantId>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub disabled: bool,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            name: self.name.clone(),
            role: self.role,
            department: self.department.clone(),
            applicant: self.applicant.clone(),
            mandates: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub department: Option<Code>,
    pub applicant: Option<ApplicantId>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// Messages by e-mail and by SMS (each needs its address).
    pub by_email: bool,
    pub by_sms: bool,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("username must be 3 to 32 letters, digits, '.', '-' or '_'")]
    Username,
    #[error("the password must have at least 8 characters")]
    WeakPassword,
    #[error("role {0} must name a department")]
    NeedsDepartment(&'static str),
    #[error("an applicant account must name the applicant's ID number or 统一社会信用代码")]
    NeedsApplicant,
    #[error("user \"{0}\" exists already; choose another username")]
    Taken(String),
    /// A malformed e-mail address or mobile number (the value's own message says which and how).
    #[error("{}", .0.en)]
    Contact(Msg),
}

impl UserError {
    /// The message for the administrator, in both languages, about the field to change.
    pub fn msg(&self) -> Msg {
        let en = self.to_string();
        match self {
            UserError::Username => {
                Msg::new("username_invalid", "用户名应为3至32位英文字母、数字或 . - _", en).at("username")
            }
            UserError::WeakPassword => Msg::new("password_weak", "密码至少需要8个字符", en).at("password"),
            UserError::NeedsDepartment(role) => Msg::new(
                "role_needs_department",
                format!(
                    "“{}”角色必须选择所属部门",
                    Role::ALL
                        .iter()
                        .find(|r| r.as_str() == *role)
                        .map(onego_domain::labels::Label::zh)
                        .unwrap_or("该")
                ),
                en,
            )
            .at("department"),
            UserError::NeedsApplicant => Msg::new(
                "applicant_id_needed",
                "申请人账号须填写身份证号码或统一社会信用代码",
                en,
            )
            .at("applicant"),
            UserError::Taken(u) => {
                Msg::new("username_taken", format!("用户名“{u}”已被使用，请另选一个"), en).at("username")
            }
            UserError::Contact(m) => m.clone(),
        }
    }
}

impl NewUser {
    pub fn validate(&self) -> Result<(), UserError> {
        let u = &self.username;
        if !(3..=32).contains(&u.len()) || !u.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(UserError::Username);
        }
        if self.password.chars().count() < 8 {
            return Err(UserError::WeakPassword);
        }
        if self.role.needs_department() && self.department.is_none() {
            return Err(UserError::NeedsDepartment(self.role.as_str()));
        }
        if self.role == Role::Applicant && self.applicant.is_none() {
            return Err(UserError::NeedsApplicant);
        }
        if let Err(mut mistakes) = onego_domain::values::parse_contact(
            self.email.as_deref(),
            self.mobile.as_deref(),
            self.by_email,
            self.by_sms,
        ) {
            return Err(UserError::Contact(mistakes.remove(0)));
        }
        Ok(())
    }
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Data(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Data(e.to_string()))
}

/// An argon2 hash of a random password nobody knows, made once per process. Checking a password against
/// it costs what checking a real one costs, so an unknown username is refused as slowly as a known one
/// and usernames cannot be told apart by timing.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Tokens are stored only as their SM3 hash: a stolen database does not yield working sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sm3::digest(token.as_bytes()))
}

const USER_COLUMNS: &str = "id, username, name, role, department, applicant_key, mobile, disabled, email";

fn user_row(r: &Row) -> Result<User, StoreError> {
    let role = r.text(3)?;
    Ok(User {
        id: r.int(0)?,
        username: r.text(1)?,
        name: r.text(2)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Data(format!("unknown role {role}")))?,
        department: r.opt_text(4)?.and_then(|d| Code::parse(&d).ok()),
        applicant: r.opt_text(5)?.and_then(|a| ApplicantId::parse(&a).ok()),
        mobile: r.opt_text(6)?,
        disabled: r.int(7)? != 0,
        email: r.opt_text(8)?,
    })
}

/// Adds a user (the password hashed with argon2 before it reaches here: pass `password_hash`).
/// The name an ID number (or 统一社会信用代码) is bound to, if it has been used.
pub fn applicant_name(conn: &mut dyn Conn, key: &str) -> Result<Option<String>, StoreError> {
    conn.query_one(
        "SELECT name FROM applicant_names WHERE applicant_key = $1",
        &[key.into()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// Binds an ID to a name the first time it is used; refuses another name for it.
pub fn bind_applicant_name(conn: &mut dyn Conn, key: &str, name: &str, now: i64) -> Result<(), StoreError> {
    match applicant_name(conn, key)? {
        Some(bound) if bound != name.trim() => Err(StoreError::Constraint(format!(
            "the ID {key} is registered under another name; check the ID and the name"
        ))),
        Some(_) => Ok(()),
        None => {
            conn.execute(
                "INSERT INTO applicant_names (applicant_key, name, bound_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[key.into(), name.trim().into(), Value::Int(now)],
            )?;
            Ok(())
        }
    }
}

pub fn insert(conn: &mut dyn Conn, u: &NewUser, password_hash: &str, now: i64) -> Result<User, StoreError> {
    if let Some(a) = &u.applicant {
        bind_applicant_name(conn, a.as_str(), &u.name, now)?;
    }
    if conn
        .query_one(
            "SELECT 1 FROM users WHERE username = $1",
            &[u.username.clone().into()],
        )?
        .is_some()
    {
        return Err(StoreError::Constraint(
            UserError::Taken(u.username.clone()).to_string(),
        ));
    }
    let row = conn.query_one(
        &format!(
            "INSERT INTO users (username, name, role, department, applicant_key, mobile, password_hash, created_at, \
             email, notify_email, notify_sms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {USER_COLUMNS}"
        ),
        &[
            u.username.clone().into(),
            u.name.clone().into(),
            u.role.as_str().into(),
            u.department.as_ref().map(|d| d.to_string()).into(),
            u.applicant.as_ref().map(|a| a.as_str().to_owned()).into(),
            u.mobile.clone().into(),
            password_hash.into(),
            Value::Int(now),
            u.email.clone().into(),
            Value::Int(i64::from(u.by_email)),
            Value::Int(i64::from(u.by_sms)),
        ],
    )?;
    user_row(&row.ok_or_else(|| StoreError::Data("insert returned nothing".into()))?)
}

pub fn by_username(conn: &mut dyn Conn, username: &str) -> Result<Option<(User, String)>, StoreError> {
    let row = conn.query_one(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"),
        &[username.into()],
    )?;
    row.map(|r| Ok((user_row(&r)?, r.text(9)?))).transpose()
}

pub fn by_id(conn: &mut dyn Conn, id: i64) -> Result<Option<User>, StoreError> {
    conn.query_one(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
        &[Value::Int(id)],
    )?
    .map(|r| user_row(&r))
    .transpose()
}

pub fn list(conn: &mut dyn Conn) -> Result<Vec<User>, StoreError> {
    conn.query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), &[])?
        .iter()
        .map(user_row)
        .collect()
}

pub fn create_session(
    conn: &mut dyn Conn,
    user_id: i64,
    token: &str,
    csrf: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[token_hash(token).into(), Value::Int(user_id), csrf.into(), Value::Int(now), Value::Int(now + ttl_ms)],
    )?;
    Ok(())
}

/// The user behind a live session, with the session's CSRF token.
pub fn session_user(
    conn: &mut dyn Conn,
    token: &str,
    now: i64,
) -> Result<Option<(User, String)>, StoreError> {
    let row = conn.query_one(
        "SELECT u.id, u.username, u.name, u.role, u.department, u.applicant_key, u.mobile, u.disabled, u.email, s.csrf \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        &[token_hash(token).into(), Value::Int(now)],
    )?;
    match row {
        Some(r) => {
            let user = user_row(&r)?;
            Ok((!user.disabled).then(|| (user, r.text(9).unwrap_or_default())))
        }
        None => Ok(None),
    }
}

pub fn delete_session(conn: &mut dyn Conn, token: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[token_hash(token).into()],
    )?;
    Ok(())
}

/// An API token as listed (never the token itself: only its hash is kept).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenInfo {
    /// Usable at `now`: neither revoked nor expired.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, u.username, t.name, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

fn token_row(r: &Row, at: usize) -> Result<TokenInfo, StoreError> {
    let scope = r.text(at + 4)?;
    Ok(TokenInfo {
        id: r.int(at)?,
        user_id: r.int(at + 1)?,
        username: r.text(at + 2)?,
        name: r.text(at + 3)?,
        scope: TokenScope::parse(&scope).ok_or_else(|| StoreError::Data(format!("token scope {scope}")))?,
        created_at: r.int(at + 5)?,
        expires_at: r.int(at + 6)?,
        last_used_at: r.opt_int(at + 7)?,
        revoked_at: r.opt_int(at + 8)?,
    })
}

/// Stores a new token's hash; returns its id.
pub fn create_api_token(
    conn: &mut dyn Conn,
    user_id: i64,
    name: &str,
    token: &str,
    scope: TokenScope,
    expires_at: i64,
    now: i64,
) -> Result<i64, StoreError> {
    conn.query_one(
        "INSERT INTO api_tokens (token_hash, user_id, name, scope, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            token_hash(token).into(),
            Value::Int(user_id),
            name.into(),
            scope.as_str().into(),
            Value::Int(now),
            Value::Int(expires_at),
        ],
    )?
    .ok_or_else(|| StoreError::Data("insert returned nothing".into()))?
    .int(0)
}

/// The user behind a live token (not revoked, not expired, user not disabled), with the token.
pub fn api_token_user(
    conn: &mut dyn Conn,
    token: &str,
    now: i64,
) -> Result<Option<(User, TokenInfo)>, StoreError> {
    let row = conn.query_one(
        &format!(
            "SELECT u.id, u.username, u.name, u.role, u.department, u.applicant_key, u.mobile, u.disabled, u.email, {TOKEN_COLUMNS} \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ),
        &[token_hash(token).into()],
    )?;
    let Some(r) = row else { return Ok(None) };
    let (user, info) = (user_row(&r)?, token_row(&r, 9)?);
    Ok((!user.disabled && info.live(now)).then_some((user, info)))
}

/// Tokens, newest first: one user's, or everyone's (`None`, for administrators).
pub fn list_tokens(conn: &mut dyn Conn, user_id: Option<i64>) -> Result<Vec<TokenInfo>, StoreError> {
    let rows = match user_id {
        Some(u) => conn.query(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.user_id = $1 ORDER BY t.id DESC LIMIT 500"
            ),
            &[Value::Int(u)],
        )?,
        None => conn.query(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC LIMIT 500"
            ),
            &[],
        )?,
    };
    rows.iter().map(|r| token_row(r, 0)).collect()
}

pub fn token(conn: &mut dyn Conn, id: i64) -> Result<Option<TokenInfo>, StoreError> {
    conn.query_one(
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1"),
        &[Value::Int(id)],
    )?
    .map(|r| token_row(&r, 0))
    .transpose()
}

/// Revokes a token (from now on it opens nothing). Returns false if it was revoked already.
pub fn revoke_token(conn: &mut dyn Conn, id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[Value::Int(id), Value::Int(now)],
    )? == 1)
}

/// Records that a token was used, at most once a minute (so a busy integration does not turn every
/// read into a write).
pub fn touch_token(conn: &mut dyn Conn, id: i64, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        &[Value::Int(id), Value::Int(now), Value::Int(now - 60_000)],
    )?;
    Ok(())
}

// ---- Failed log-ins ----

/// How failed log-ins lock: after `free` failures within `window_ms`, each further failure locks the key
/// for twice as long as the one before, from one minute up to `max_lock_ms`.
#[derive(Debug, Clone, Copy)]
pub struct LockPolicy {
    pub free: i64,
    pub window_ms: i64,
    pub max_lock_ms: i64,
}

/// An account: five tries, then 1, 2, 4 … minutes, at most an hour.
pub const ACCOUNT_LOCK: LockPolicy = LockPolicy {
    free: 5,
    window_ms: 15 * 60_000,
    max_lock_ms: 60 * 60_000,
};

/// An address (many people may share one behind a NAT): twenty tries, then the same growth.
pub const ADDRESS_LOCK: LockPolicy = LockPolicy {
    free: 20,
    window_ms: 15 * 60_000,
    max_lock_ms: 60 * 60_000,
};

/// Until when the first of these keys is locked, if any is.
pub fn locked_until(conn: &mut dyn Conn, keys: &[String], now: i64) -> Result<Option<i64>, StoreError> {
    let mut until: Option<i64> = None;
    for k in keys {
        if let Some(r) = conn.query_one(
            "SELECT locked_until FROM login_failures WHERE key = $1 AND locked_until > $2",
            &[k.into(), Value::Int(now)],
        )? {
            let t = r.int(0)?;
            until = Some(until.map_or(t, |u| u.max(t)));
        }
    }
    Ok(until)
}

/// Counts a failed log-in against `key`; returns until when the key is now locked, if it is.
pub fn record_failure(
    conn: &mut dyn Conn,
    key: &str,
    policy: LockPolicy,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row = conn.query_one(
        "SELECT failures, last_at FROM login_failures WHERE key = $1",
        &[key.into()],
    )?;
    let failures = match row {
        // Failures older than the window are forgotten.
        Some(r) if r.int(1)? >= now - policy.window_ms => r.int(0)? + 1,
        _ => 1,
    };
    let locked = (failures >= policy.free).then(|| {
        let doublings = (failures - policy.free).min(12) as u32;
        now + (60_000_i64 << doublings).min(policy.max_lock_ms)
    });
    conn.execute("DELETE FROM login_failures WHERE key = $1", &[key.into()])?;
    conn.execute(
        "INSERT INTO login_failures (key, failures, last_at, locked_until) VALUES ($1, $2, $3, $4)",
        &[key.into(), Value::Int(failures), Value::Int(now), locked.into()],
    )?;
    Ok(locked)
}

/// Forgets an account's failures after it logged in.
pub fn clear_failures(conn: &mut dyn Conn, key: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM login_failures WHERE key = $1", &[key.into()])?;
    Ok(())
}

/// Removes expired sessions and failures that no longer count; returns how many sessions went.
pub fn sweep(conn: &mut dyn Conn, now: i64) -> Result<u64, StoreError> {
    let sessions = conn.execute("DELETE FROM sessions WHERE expires_at < $1", &[Value::Int(now)])?;
    conn.execute(
        "DELETE FROM login_failures WHERE last_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
        &[Value::Int(now - 86_400_000), Value::Int(now)],
    )?;
    Ok(sessions)
}
