//! Users, passwords (argon2), sessions and API tokens (random, stored only as hashes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use onego_domain::org::{Actor, Role};
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

const USER_COLUMNS: &str = "id, username, name, role, department, applicant_key, mobile, disabled";

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
    })
}

/// Adds a user (the password hashed with argon2 before it reaches here: pass `password_hash`).
pub fn insert(conn: &mut dyn Conn, u: &NewUser, password_hash: &str, now: i64) -> Result<User, StoreError> {
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
            "INSERT INTO users (username, name, role, department, applicant_key, mobile, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
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
        ],
    )?;
    user_row(&row.ok_or_else(|| StoreError::Data("insert returned nothing".into()))?)
}

pub fn by_username(conn: &mut dyn Conn, username: &str) -> Result<Option<(User, String)>, StoreError> {
    let row = conn.query_one(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"),
        &[username.into()],
    )?;
    row.map(|r| Ok((user_row(&r)?, r.text(8)?))).transpose()
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
        "SELECT u.id, u.username, u.name, u.role, u.department, u.applicant_key, u.mobile, u.disabled, s.csrf \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        &[token_hash(token).into(), Value::Int(now)],
    )?;
    match row {
        Some(r) => {
            let user = user_row(&r)?;
            Ok((!user.disabled).then(|| (user, r.text(8).unwrap_or_default())))
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

pub fn create_api_token(
    conn: &mut dyn Conn,
    user_id: i64,
    name: &str,
    token: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4)",
        &[
            token_hash(token).into(),
            Value::Int(user_id),
            name.into(),
            Value::Int(now),
        ],
    )?;
    Ok(())
}

pub fn api_token_user(conn: &mut dyn Conn, token: &str) -> Result<Option<User>, StoreError> {
    let row = conn.query_one(
        "SELECT u.id, u.username, u.name, u.role, u.department, u.applicant_key, u.mobile, u.disabled \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        &[token_hash(token).into()],
    )?;
    Ok(row.map(|r| user_row(&r)).transpose()?.filter(|u| !u.disabled))
}
