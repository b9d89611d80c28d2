//! Reading an aggregate back: its committed state, unless the caller's copy is still current.

use onego_domain::aggregate::AggregateKind;

use super::{Stored, table_of};
use crate::StoreError;
use crate::sql::{Conn, Value};

/// What [`load_if_changed`] found.
#[derive(Debug)]
pub enum Loaded<A> {
    Missing,
    /// The stored version is the one the caller knows.
    Unchanged,
    /// The committed state and its version.
    Changed(Stored<A>, u64),
}

/// Loads an aggregate's committed state unless its version is still `known`; one query either way
/// (the state is sent only when it changed). `known = 0` always loads.
pub fn load_if_changed<A: serde::de::DeserializeOwned>(
    conn: &mut dyn Conn,
    kind: AggregateKind,
    id: i64,
    known: u64,
) -> Result<Loaded<A>, StoreError> {
    let sql = format!(
        "SELECT version, CASE WHEN version = $2 THEN NULL ELSE state END, last_seq, last_hash FROM {} WHERE id = $1",
        table_of(kind)
    );
    let Some(row) = conn.query_one(&sql, &[Value::Int(id), Value::Int(known as i64)])? else {
        return Ok(Loaded::Missing);
    };
    let version = row.int(0)? as u64;
    if version == known {
        return Ok(Loaded::Unchanged);
    }
    let value: A = serde_json::from_str(&row.text(1)?)?;
    Ok(Loaded::Changed(
        Stored {
            value,
            last_seq: row.int(2)?,
            last_hash: row.text(3)?,
            derived: None,
        },
        version,
    ))
}
