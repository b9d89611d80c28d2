//! The hotline's data as stored: categories and SLA profiles (tables `ticket_categories`,
//! `sla_profiles`) and governance areas (`grid_areas`). The types and their rules are in
//! `onego_domain::hotline`.

use onego_domain::grid::Area;
use onego_domain::hotline::{Hotline, HotlineFile};

use crate::StoreError;
use crate::sql::Conn;

/// Saves categories and SLA profiles (replacing those with the same codes).
pub fn save_hotline(conn: &mut dyn Conn, file: &HotlineFile) -> Result<(), StoreError> {
    for s in &file.sla {
        conn.execute(
            "DELETE FROM sla_profiles WHERE code = $1",
            &[s.code.as_str().into()],
        )?;
        conn.execute(
            "INSERT INTO sla_profiles (code, data) VALUES ($1, $2)",
            &[s.code.as_str().into(), serde_json::to_string(s)?.into()],
        )?;
    }
    for c in &file.category {
        conn.execute(
            "DELETE FROM ticket_categories WHERE code = $1",
            &[c.code.as_str().into()],
        )?;
        conn.execute(
            "INSERT INTO ticket_categories (code, data) VALUES ($1, $2)",
            &[c.code.as_str().into(), serde_json::to_string(c)?.into()],
        )?;
    }
    crate::bump_config(conn)?;
    Ok(())
}

/// Saves governance areas (replacing those with the same codes).
pub fn save_areas(conn: &mut dyn Conn, areas: &[Area]) -> Result<(), StoreError> {
    for a in areas {
        conn.execute(
            "DELETE FROM grid_areas WHERE code = $1",
            &[a.code.as_str().into()],
        )?;
        let level = serde_json::to_value(a.level)?;
        conn.execute(
            "INSERT INTO grid_areas (code, parent, level, name, data) VALUES ($1, $2, $3, $4, $5)",
            &[
                a.code.as_str().into(),
                a.parent.as_ref().map(|p| p.to_string()).into(),
                level.as_str().unwrap_or("grid").into(),
                a.name.clone().into(),
                serde_json::to_string(a)?.into(),
            ],
        )?;
    }
    crate::bump_config(conn)?;
    Ok(())
}

pub fn load_hotline(conn: &mut dyn Conn) -> Result<Hotline, StoreError> {
    let mut h = Hotline::default();
    for r in conn.query("SELECT data FROM sla_profiles ORDER BY code", &[])? {
        h.sla.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM ticket_categories ORDER BY code", &[])? {
        h.categories.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM grid_areas ORDER BY code", &[])? {
        h.areas.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(h)
}
