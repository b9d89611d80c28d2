//! Uploaded material files: checked before they are stored, hashed (SM3) so a file can be recognised,
//! and read back only through the case they belong to.

use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::StoreError;
use crate::sql::{Conn, Value};

/// Largest file accepted.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// What a file is, judged by its first bytes rather than its name.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if data.len() > 12 && &data[4..8] == b"ftyp" {
        // An ISO media file (MP4, a phone's short video of an inspection).
        Some("video/mp4")
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("\"{0}\" is empty; choose the file again")]
    Empty(String),
    #[error("\"{0}\" is larger than 10 MiB; scan at a lower resolution or split it")]
    TooLarge(String),
    #[error("\"{0}\" is not a PDF, JPEG, PNG or MP4 file; those are the formats accepted")]
    WrongType(String),
}

/// Checks a file; returns its content type.
pub fn check(file_name: &str, data: &[u8]) -> Result<&'static str, UploadError> {
    if data.is_empty() {
        return Err(UploadError::Empty(file_name.to_owned()));
    }
    if data.len() > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge(file_name.to_owned()));
    }
    sniff(data).ok_or_else(|| UploadError::WrongType(file_name.to_owned()))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UploadInfo {
    pub id: i64,
    pub owner_user_id: i64,
    pub aggregate_id: Option<i64>,
    pub material_code: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sm3: String,
}

/// Stores a checked file; returns its id.
pub fn insert(
    conn: &mut dyn Conn,
    owner: i64,
    material_code: &str,
    file_name: &str,
    content_type: &str,
    data: Vec<u8>,
    now: i64,
) -> Result<i64, StoreError> {
    let hash = hex::encode(Sm3::digest(&data));
    let row = conn.query_one(
        "INSERT INTO uploads (owner_user_id, material_code, file_name, content_type, size, sm3, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            Value::Int(owner),
            material_code.into(),
            file_name.into(),
            content_type.into(),
            Value::Int(data.len() as i64),
            hash.into(),
            Value::Blob(data),
            Value::Int(now),
        ],
    )?;
    row.ok_or_else(|| StoreError::Data("insert returned nothing".into()))?
        .int(0)
}

/// Ties uploads to the case they were submitted with.
pub fn attach(conn: &mut dyn Conn, ids: &[i64], aggregate_id: i64, owner: i64) -> Result<(), StoreError> {
    for id in ids {
        conn.execute(
            "UPDATE uploads SET aggregate_id = $1 WHERE id = $2 AND owner_user_id = $3 AND aggregate_id IS NULL",
            &[Value::Int(aggregate_id), Value::Int(*id), Value::Int(owner)],
        )?;
    }
    Ok(())
}

const INFO_COLUMNS: &str =
    "id, owner_user_id, aggregate_id, material_code, file_name, content_type, size, sm3";

fn info_row(r: &crate::sql::Row) -> Result<UploadInfo, StoreError> {
    Ok(UploadInfo {
        id: r.int(0)?,
        owner_user_id: r.int(1)?,
        aggregate_id: r.opt_int(2)?,
        material_code: r.opt_text(3)?,
        file_name: r.text(4)?,
        content_type: r.text(5)?,
        size: r.int(6)?,
        sm3: r.text(7)?,
    })
}

pub fn info(conn: &mut dyn Conn, id: i64) -> Result<Option<UploadInfo>, StoreError> {
    conn.query_one(
        &format!("SELECT {INFO_COLUMNS} FROM uploads WHERE id = $1"),
        &[Value::Int(id)],
    )?
    .map(|r| info_row(&r))
    .transpose()
}

pub fn data(conn: &mut dyn Conn, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    conn.query_one("SELECT data FROM uploads WHERE id = $1", &[Value::Int(id)])?
        .map(|r| r.blob(0))
        .transpose()
}

/// The uploads tied to a case or ticket, oldest first.
pub fn of_case(conn: &mut dyn Conn, aggregate_id: i64) -> Result<Vec<i64>, StoreError> {
    conn.query(
        "SELECT id FROM uploads WHERE aggregate_id = $1 ORDER BY id",
        &[Value::Int(aggregate_id)],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// The first upload of each of these cases or tickets (those with any), in one query.
pub fn first_of_cases(
    conn: &mut dyn Conn,
    case_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in case_ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT aggregate_id, MIN(id) FROM uploads WHERE aggregate_id IN ({}) GROUP BY aggregate_id",
            marks.join(", ")
        );
        let params: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(&sql, &params)? {
            out.insert(r.int(0)?, r.int(1)?);
        }
    }
    Ok(out)
}

/// How much one account may upload in 24 hours. Generous for an applicant's materials or a grid
/// member's photos; it stops one account from filling the database.
pub const DAILY_QUOTA_BYTES: i64 = 300 * 1024 * 1024;

/// Uploads that were never tied to a case or request (the command after them failed, or the process
/// stopped between) are removed after this long.
pub const ORPHAN_AFTER_MS: i64 = 3_600_000;

/// A checked file waiting to be stored: material code (or "photo", "media"), file name, content type, bytes.
pub type NewFile = (String, String, &'static str, Vec<u8>);

/// Stores checked files for `owner`, all or none, if they fit in the owner's `quota` of bytes per 24 hours
/// ([`DAILY_QUOTA_BYTES`] in the server); returns their ids in order. `Err(StoreError::Quota)` says how
/// much was used.
pub fn insert_all(
    conn: &mut dyn Conn,
    owner: i64,
    files: Vec<NewFile>,
    now: i64,
    quota: i64,
) -> Result<Vec<i64>, StoreError> {
    let adding: i64 = files.iter().map(|f| f.3.len() as i64).sum();
    let used = conn
        .query_one(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM uploads WHERE owner_user_id = $1 AND created_at > $2",
            &[Value::Int(owner), Value::Int(now - 86_400_000)],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    if used + adding > quota {
        return Err(StoreError::Quota {
            used_mb: used / (1024 * 1024),
            limit_mb: quota / (1024 * 1024),
        });
    }
    files
        .into_iter()
        .map(|(material, name, content_type, data)| {
            insert(conn, owner, &material, &name, content_type, data, now)
        })
        .collect()
}

/// Removes an owner's uploads that no case or request holds (after the command they came with failed).
pub fn delete_unattached(conn: &mut dyn Conn, owner: i64, ids: &[i64]) -> Result<(), StoreError> {
    for id in ids {
        conn.execute(
            "DELETE FROM uploads WHERE id = $1 AND owner_user_id = $2 AND aggregate_id IS NULL",
            &[Value::Int(*id), Value::Int(owner)],
        )?;
    }
    Ok(())
}

/// Removes uploads no case or request took within [`ORPHAN_AFTER_MS`]; returns how many.
pub fn sweep_orphans(conn: &mut dyn Conn, now: i64) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM uploads WHERE aggregate_id IS NULL AND created_at < $1",
        &[Value::Int(now - ORPHAN_AFTER_MS)],
    )
}

/// Several uploads' details in one query (those that exist).
pub fn infos(conn: &mut dyn Conn, ids: &[i64]) -> Result<Vec<UploadInfo>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {INFO_COLUMNS} FROM uploads WHERE id IN ({})",
            marks.join(", ")
        );
        let params: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(&sql, &params)? {
            out.push(info_row(&r)?);
        }
    }
    Ok(out)
}
