//! The catalog as stored: departments, service items, bundles and process definitions, every version.

use onego_domain::catalog::{Bundle, Catalog, ServiceItem};
use onego_domain::certificate::CertificateType;
use onego_domain::org::Department;
use onego_domain::process::ProcessDefinition;

use crate::StoreError;
use crate::sql::{Conn, Value};

pub fn save_department(conn: &mut dyn Conn, d: &Department) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM departments WHERE code = $1",
        &[d.code.as_str().into()],
    )?;
    conn.execute(
        "INSERT INTO departments (code, name, data) VALUES ($1, $2, $3)",
        &[
            d.code.as_str().into(),
            d.name.clone().into(),
            serde_json::to_string(d)?.into(),
        ],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Stores an item version. A version, once stored, is never changed: running cases rely on it.
pub fn save_item(conn: &mut dyn Conn, item: &ServiceItem) -> Result<(), StoreError> {
    let exists = conn.query_one(
        "SELECT 1 FROM items WHERE impl_code = $1 AND version = $2",
        &[
            item.impl_code.as_str().into(),
            Value::Int(i64::from(item.version)),
        ],
    )?;
    if exists.is_some() {
        return Err(StoreError::Constraint(format!(
            "item {} version {} exists already; save the change as version {}",
            item.impl_code,
            item.version,
            item.version + 1
        )));
    }
    conn.execute(
        "INSERT INTO items (impl_code, version, name, department, effective_from, data) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            item.impl_code.as_str().into(),
            Value::Int(i64::from(item.version)),
            item.name.clone().into(),
            item.department.as_str().into(),
            Value::Int(crate::day_number(item.effective_from)),
            serde_json::to_string(item)?.into(),
        ],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

pub fn save_bundle(conn: &mut dyn Conn, b: &Bundle) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO bundles (code, version, name, data) VALUES ($1, $2, $3, $4)",
        &[
            b.code.as_str().into(),
            Value::Int(i64::from(b.version)),
            b.name.clone().into(),
            serde_json::to_string(b)?.into(),
        ],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

pub fn save_process(conn: &mut dyn Conn, p: &ProcessDefinition, now: i64) -> Result<(), StoreError> {
    let exists = conn.query_one(
        "SELECT 1 FROM processes WHERE code = $1 AND version = $2",
        &[p.code.as_str().into(), Value::Int(i64::from(p.version))],
    )?;
    if exists.is_some() {
        return Err(StoreError::Constraint(format!(
            "process {} version {} exists already; running cases keep it. Upload the change as version {}",
            p.code,
            p.version,
            p.version + 1
        )));
    }
    conn.execute(
        "INSERT INTO processes (code, version, name, source, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            p.code.as_str().into(),
            Value::Int(i64::from(p.version)),
            p.name.clone().into(),
            p.source.clone().into(),
            Value::Int(now),
        ],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Stores a certificate type, replacing the one with its code (a type changes only for certificates
/// issued after the change; each certificate keeps the content it was sealed with).
pub fn save_certificate_type(conn: &mut dyn Conn, t: &CertificateType) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM certificate_types WHERE code = $1",
        &[t.code.clone().into()],
    )?;
    conn.execute(
        "INSERT INTO certificate_types (code, name, data) VALUES ($1, $2, $3)",
        &[
            t.code.clone().into(),
            t.name.clone().into(),
            serde_json::to_string(t)?.into(),
        ],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Stores a project type's approval path, replacing the one before (running projects keep the plan
/// they were made with).
pub fn save_project_path(
    conn: &mut dyn Conn,
    p: &onego_domain::project::PathDefinition,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM project_paths WHERE kind = $1",
        &[p.kind.as_str().into()],
    )?;
    conn.execute(
        "INSERT INTO project_paths (kind, data) VALUES ($1, $2)",
        &[p.kind.as_str().into(), serde_json::to_string(p)?.into()],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Stores an item's figures before the reform, replacing those entered before.
pub fn save_baseline(conn: &mut dyn Conn, b: &onego_domain::reform::Baseline) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM reform_baselines WHERE item = $1",
        &[b.item.as_str().into()],
    )?;
    conn.execute(
        "INSERT INTO reform_baselines (item, data) VALUES ($1, $2)",
        &[b.item.as_str().into(), serde_json::to_string(b)?.into()],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Loads everything. Stored definitions were validated when saved; one that no longer parses (a
/// hand-edited database) is reported rather than skipped.
pub fn load(conn: &mut dyn Conn) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    for r in conn.query("SELECT data FROM departments ORDER BY code", &[])? {
        catalog.departments.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM items ORDER BY impl_code, version", &[])? {
        catalog.items.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM bundles ORDER BY code, version", &[])? {
        catalog.bundles.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query(
        "SELECT code, version, source FROM processes ORDER BY code, version",
        &[],
    )? {
        let (code, version) = (r.text(0)?, r.int(1)?);
        let def = ProcessDefinition::from_toml(&r.text(2)?)
            .map_err(|e| StoreError::Data(format!("process {code} version {version}: {e}")))?;
        catalog.processes.push(def);
    }
    for r in conn.query("SELECT data FROM certificate_types ORDER BY code", &[])? {
        catalog.certificate_types.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM project_paths ORDER BY kind", &[])? {
        catalog.project_paths.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM reform_baselines ORDER BY item", &[])? {
        catalog.baselines.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(catalog)
}

pub fn is_empty(conn: &mut dyn Conn) -> Result<bool, StoreError> {
    Ok(conn.query_one("SELECT 1 FROM items LIMIT 1", &[])?.is_none())
}

/// A holiday table file an administrator loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayFile {
    pub id: i64,
    pub name: String,
    pub source: String,
    pub created_by: String,
    pub created_at: i64,
}

pub fn save_holiday_file(
    conn: &mut dyn Conn,
    name: &str,
    source: &str,
    by: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO holiday_files (name, source, created_by, created_at) VALUES ($1, $2, $3, $4)",
        &[name.into(), source.into(), by.into(), Value::Int(now)],
    )?;
    crate::bump_config(conn)?;
    Ok(())
}

/// Every holiday file, oldest first (the order they are laid over the built-in table).
pub fn holiday_files(conn: &mut dyn Conn) -> Result<Vec<HolidayFile>, StoreError> {
    conn.query(
        "SELECT id, name, source, created_by, created_at FROM holiday_files ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(HolidayFile {
            id: r.int(0)?,
            name: r.text(1)?,
            source: r.text(2)?,
            created_by: r.text(3)?,
            created_at: r.int(4)?,
        })
    })
    .collect()
}
