//! The journal: every aggregate's entries, append-only, each with an SM3 hash over the previous entry's
//! hash and itself, so tampering shows ([`verify_chain`]).

use onego_calendar::Timestamp;
use serde::Serialize;
use sm3::{Digest, Sm3};

use super::Journaled;
use crate::StoreError;
use crate::sql::{Conn, Value};

/// The hash before an aggregate's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq)]
pub struct JournalRow {
    pub aggregate_id: i64,
    pub seq: i64,
    pub at: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub actor_role: String,
    pub action: String,
    pub opinion: Option<String>,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl JournalRow {
    /// SM3 over the previous hash and everything this entry records.
    pub fn compute_hash(&self) -> String {
        let mut h = Sm3::new();
        for part in [
            self.prev_hash.as_str(),
            &self.aggregate_id.to_string(),
            &self.seq.to_string(),
            &self.at.to_string(),
            &self.actor_id.to_string(),
            &self.actor_name,
            &self.actor_role,
            &self.action,
            self.opinion.as_deref().unwrap_or(""),
            &self.data,
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(h.finalize())
    }

    /// Journal rows for new entries, chained after `prev_hash`.
    pub fn chain<E: Journaled>(
        aggregate_id: i64,
        last_seq: i64,
        prev_hash: &str,
        entries: &[E],
    ) -> Result<Vec<JournalRow>, StoreError> {
        let mut prev = prev_hash.to_owned();
        let mut rows = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let mut row = JournalRow {
                aggregate_id,
                seq: last_seq + 1 + i as i64,
                at: e.at().as_millis(),
                actor_id: e.actor().user_id,
                actor_name: e.actor().name.clone(),
                actor_role: e.actor().role.as_str().to_owned(),
                action: e.action().to_owned(),
                opinion: e.opinion().map(str::to_owned),
                data: with_mandate(e.data()?, e.actor())?,
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.compute_hash();
            prev = row.hash.clone();
            rows.push(row);
        }
        Ok(rows)
    }
}

/// An agent's step records for whom and under which agreement it was taken ("by agent X for enterprise
/// Y"), beside the event, in every kind of aggregate's journal alike.
fn with_mandate(data: String, actor: &onego_domain::org::Actor) -> Result<String, serde_json::Error> {
    let [mandate] = actor.mandates.as_slice() else {
        return Ok(data);
    };
    if actor.role != onego_domain::org::Role::Agent {
        return Ok(data);
    }
    let mut value: serde_json::Value = serde_json::from_str(&data)?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "on_behalf_of".to_owned(),
            serde_json::json!({
                "agreement": mandate.agreement,
                "number": mandate.number,
                "enterprise": mandate.enterprise_name,
                "enterprise_id": mandate.enterprise.as_str(),
            }),
        );
    }
    serde_json::to_string(&value)
}

/// One journal entry as the timeline shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JournalView {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: i64,
    pub actor_name: String,
    pub actor_role: String,
    pub action: String,
    pub opinion: Option<String>,
    pub data: serde_json::Value,
    pub hash: String,
}

pub fn journal(conn: &mut dyn Conn, id: i64) -> Result<Vec<JournalRow>, StoreError> {
    let rows = conn.query(
        "SELECT aggregate_id, seq, at, actor_id, actor_name, actor_role, action, opinion, data, prev_hash, hash \
         FROM journal WHERE aggregate_id = $1 ORDER BY seq",
        &[Value::Int(id)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(JournalRow {
                aggregate_id: r.int(0)?,
                seq: r.int(1)?,
                at: r.int(2)?,
                actor_id: r.int(3)?,
                actor_name: r.text(4)?,
                actor_role: r.text(5)?,
                action: r.text(6)?,
                opinion: r.opt_text(7)?,
                data: r.text(8)?,
                prev_hash: r.text(9)?,
                hash: r.text(10)?,
            })
        })
        .collect()
}

impl JournalRow {
    pub fn view(&self) -> JournalView {
        JournalView {
            seq: self.seq,
            at: Timestamp::from_millis(self.at),
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            actor_role: self.actor_role.clone(),
            action: self.action.clone(),
            opinion: self.opinion.clone(),
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
            hash: self.hash.clone(),
        }
    }
}

/// The result of checking a case's hash chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: usize,
    pub intact: bool,
    /// The first entry whose hash does not follow, when the chain is broken.
    pub broken_at: Option<i64>,
}

/// Checks an aggregate's hash chain, from its first entry to the hash its row says is last.
pub fn verify_chain(conn: &mut dyn Conn, id: i64) -> Result<ChainCheck, StoreError> {
    let rows = journal(conn, id)?;
    let mut prev = GENESIS_HASH.to_owned();
    for (i, r) in rows.iter().enumerate() {
        if r.seq != i as i64 + 1 || r.prev_hash != prev || r.compute_hash() != r.hash {
            return Ok(ChainCheck {
                entries: rows.len(),
                intact: false,
                broken_at: Some(r.seq),
            });
        }
        prev = r.hash.clone();
    }
    let last = conn.query_one(
        "SELECT last_hash FROM cases WHERE id = $1 UNION ALL SELECT last_hash FROM tickets WHERE id = $1",
        &[Value::Int(id)],
    )?;
    if let Some(last) = last
        && last.text(0)? != prev
    {
        return Ok(ChainCheck {
            entries: rows.len(),
            intact: false,
            broken_at: Some(rows.len() as i64),
        });
    }
    Ok(ChainCheck {
        entries: rows.len(),
        intact: true,
        broken_at: None,
    })
}
