//! The demo city: its catalog (`demo/catalog.toml`, `demo/processes/*.toml`), and loading it.

use chrono::NaiveDate;
use onego_calendar::Limit;
use onego_domain::catalog::{
    Bundle, Catalog, FormField, Handling, ItemKind, MaterialForm, MaterialKind, MaterialSource, MaterialSpec,
    Necessity, OnlineDepth, ServiceItem,
};
use onego_domain::org::Department;
use onego_domain::process::ProcessDefinition;
use onego_domain::values::{Code, Uscc};
use serde::Deserialize;

use crate::StoreError;

pub const CATALOG_TOML: &str = include_str!("../demo/catalog.toml");
/// The hotline's SLA profiles and categories.
pub const HOTLINE_TOML: &str = include_str!("../demo/hotline.toml");
/// Governance areas: the district, two streets, four communities, eight grids.
pub const GRIDS_GEOJSON: &str = include_str!("../demo/grids.geojson");

/// Loads the demo hotline data and grid areas.
/// Whether `serve --demo` filled this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Marked as the demo's.
    Demo,
    /// Not marked: empty, or holding someone's data.
    None,
}

pub fn marker(conn: &mut dyn crate::Conn) -> Result<Marker, StoreError> {
    let row = conn.query_one("SELECT 1 FROM sequences WHERE name = 'demo_city'", &[])?;
    Ok(if row.is_some() { Marker::Demo } else { Marker::None })
}

/// Marks the database as the demo's, so later `--demo` starts know it holds nothing else.
pub fn mark(conn: &mut dyn crate::Conn) -> Result<(), StoreError> {
    crate::reserve(conn, "demo_city", 1).map(|_| ())
}

pub fn save_hotline(conn: &mut dyn crate::Conn) -> Result<(), StoreError> {
    let file = onego_domain::hotline::HotlineFile::parse(HOTLINE_TOML).map_err(StoreError::Data)?;
    crate::hotline::save_hotline(conn, &file)?;
    let areas =
        onego_domain::grid::from_geojson(GRIDS_GEOJSON).map_err(|e| StoreError::Data(e.to_string()))?;
    crate::hotline::save_areas(conn, &areas)
}
pub const PROCESSES: &[(&str, &str)] = &[
    (
        "single-review",
        include_str!("../demo/processes/single-review.toml"),
    ),
    (
        "review-decide",
        include_str!("../demo/processes/review-decide.toml"),
    ),
    (
        "auto-or-review",
        include_str!("../demo/processes/auto-or-review.toml"),
    ),
    ("inspection", include_str!("../demo/processes/inspection.toml")),
    (
        "parallel-review",
        include_str!("../demo/processes/parallel-review.toml"),
    ),
    (
        "joint-countersign",
        include_str!("../demo/processes/joint-countersign.toml"),
    ),
    (
        "auto-hpf-withdrawal",
        include_str!("../demo/processes/auto-hpf-withdrawal.toml"),
    ),
    (
        "auto-employment-card",
        include_str!("../demo/processes/auto-employment-card.toml"),
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    department: Vec<FileDepartment>,
    item: Vec<FileItem>,
    bundle: Vec<FileBundle>,
    #[serde(default)]
    certificate_type: Vec<onego_domain::certificate::CertificateType>,
    #[serde(default)]
    project_path: Vec<onego_domain::project::PathDefinition>,
    #[serde(default)]
    baseline: Vec<onego_domain::reform::Baseline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDepartment {
    code: Code,
    name: String,
    uscc: Option<Uscc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileItem {
    code: Code,
    base: Code,
    name: String,
    kind: ItemKind,
    department: Code,
    legal: Limit,
    promised: Limit,
    #[serde(default = "promised")]
    handling: Handling,
    #[serde(default = "one")]
    visits: u8,
    process: Code,
    result: String,
    result_type: String,
    conditions: Vec<String>,
    #[serde(default)]
    fees: Vec<String>,
    materials: Vec<FileMaterial>,
    #[serde(default)]
    certificate_type: Option<String>,
    #[serde(default)]
    auto_approval: bool,
}

fn promised() -> Handling {
    Handling::Promised
}

fn one() -> u8 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMaterial {
    code: Code,
    name: String,
    kind: MaterialKind,
    necessity: Necessity,
    #[serde(default = "either")]
    form: MaterialForm,
    #[serde(default = "applicant")]
    source: MaterialSource,
    #[serde(default)]
    certificate: Option<String>,
}

fn either() -> MaterialForm {
    MaterialForm::Either
}

fn applicant() -> MaterialSource {
    MaterialSource::Applicant
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBundle {
    code: Code,
    name: String,
    description: String,
    members: Vec<Code>,
    lead: Code,
    promised: Limit,
    result: String,
    form_fields: Vec<FormField>,
}

/// The demo catalog, validated.
pub fn catalog() -> Result<Catalog, StoreError> {
    let file: File =
        toml::from_str(CATALOG_TOML).map_err(|e| StoreError::Data(format!("demo catalog: {e}")))?;
    let since = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or_else(|| StoreError::Data("date".into()))?;
    let departments: Vec<Department> = file
        .department
        .into_iter()
        .map(|d| Department {
            code: d.code,
            name: d.name,
            uscc: d.uscc,
        })
        .collect();
    let dept_name = |code: &Code| {
        departments
            .iter()
            .find(|d| &d.code == code)
            .map(|d| d.name.clone())
    };
    let mut items = Vec::new();
    for t in &file.certificate_type {
        t.validate()
            .map_err(|e| StoreError::Data(format!("demo catalog: {e}")))?;
        if dept_name(&t.department).is_none() {
            return Err(StoreError::Data(format!(
                "demo catalog: certificate type {}: unknown department {}",
                t.code, t.department
            )));
        }
    }
    for i in file.item {
        let dept = dept_name(&i.department).ok_or_else(|| {
            StoreError::Data(format!("item {}: unknown department {}", i.code, i.department))
        })?;
        let item = ServiceItem {
            base_code: i.base,
            impl_code: i.code,
            version: 1,
            effective_from: since,
            effective_until: None,
            name: i.name,
            kind: i.kind,
            department: i.department,
            legal_limit: i.legal,
            promised_limit: i.promised,
            handling: i.handling,
            visits_required: i.visits,
            online_depth: if i.visits == 0 {
                OnlineDepth::FullyOnline
            } else {
                OnlineDepth::Online
            },
            conditions: i.conditions,
            materials: i
                .materials
                .into_iter()
                .map(|m| MaterialSpec {
                    code: m.code,
                    name: m.name,
                    kind: m.kind,
                    form: m.form,
                    necessity: m.necessity,
                    source: m.source,
                    copies: 1,
                    blank_form: None,
                    note: None,
                    certificate: m.certificate,
                })
                .collect(),
            fees: i.fees,
            result_name: i.result,
            result_type: i.result_type,
            place: format!("市政务服务中心一楼综合受理窗口（{dept}）"),
            hours: "工作日 9:00-12:00，13:30-17:30；周六上午延时服务".into(),
            consult_phone: "0530-12345".into(),
            complaint_phone: "12345".into(),
            process: i.process,
            certificate_type: i.certificate_type,
            auto_approval: i.auto_approval,
        };
        item.validate().map_err(|e| StoreError::Data(e.to_string()))?;
        item.validate_certificates(&file.certificate_type)
            .map_err(|e| StoreError::Data(e.to_string()))?;
        items.push(item);
    }
    let bundles: Vec<Bundle> = file
        .bundle
        .into_iter()
        .map(|b| Bundle {
            code: b.code,
            version: 1,
            effective_from: since,
            name: b.name,
            description: b.description,
            members: b.members,
            lead_department: b.lead,
            promised_limit: b.promised,
            result_name: b.result,
            form_fields: b.form_fields,
        })
        .collect();
    for b in &bundles {
        b.validate(&items).map_err(|e| StoreError::Data(e.to_string()))?;
    }
    for p in &file.project_path {
        p.validate()
            .map_err(|e| StoreError::Data(format!("demo catalog: {e}")))?;
        let known = |c: &Code| items.iter().any(|i| &i.impl_code == c);
        if let Some(c) = p.stages.iter().flat_map(|s| &s.items).find(|c| !known(c)) {
            return Err(StoreError::Data(format!(
                "demo catalog: the path of {} names item {c}, which is not in the catalog",
                p.kind.as_str()
            )));
        }
    }
    for b in &file.baseline {
        b.validate()
            .map_err(|m| StoreError::Data(format!("demo catalog: {}", m.en)))?;
        if !items.iter().any(|i| i.impl_code == b.item) {
            return Err(StoreError::Data(format!(
                "demo catalog: a baseline names item {}, which is not in the catalog",
                b.item
            )));
        }
    }
    let mut processes = Vec::new();
    for (name, text) in PROCESSES {
        processes.push(
            ProcessDefinition::from_toml(text)
                .map_err(|e| StoreError::Data(format!("demo process {name}: {e}")))?,
        );
    }
    Ok(Catalog {
        departments,
        items,
        bundles,
        processes,
        certificate_types: file.certificate_type,
        project_paths: file.project_path,
        baselines: file.baseline,
    })
}

/// Writes a catalog into an empty store, in one transaction.
pub fn save_catalog(conn: &mut dyn crate::Conn, catalog: &Catalog) -> Result<(), StoreError> {
    let now = crate::now_millis();
    for d in &catalog.departments {
        crate::catalog::save_department(conn, d)?;
    }
    for p in &catalog.processes {
        crate::catalog::save_process(conn, p, now)?;
    }
    for i in &catalog.items {
        crate::catalog::save_item(conn, i)?;
    }
    for b in &catalog.bundles {
        crate::catalog::save_bundle(conn, b)?;
    }
    for t in &catalog.certificate_types {
        crate::catalog::save_certificate_type(conn, t)?;
    }
    for p in &catalog.project_paths {
        crate::catalog::save_project_path(conn, p)?;
    }
    for b in &catalog.baselines {
        crate::catalog::save_baseline(conn, b)?;
    }
    Ok(())
}

/// Creates the demo users that are missing and sets every demo user's password hash to `hash`.
pub fn ensure_users(
    conn: &mut dyn crate::Conn,
    users: &[crate::users::NewUser],
    hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    for u in users {
        if crate::users::by_username(conn, &u.username)?.is_some() {
            conn.execute(
                "UPDATE users SET password_hash = $1 WHERE username = $2",
                &[hash.into(), u.username.clone().into()],
            )?;
        } else {
            crate::users::insert(conn, u, hash, now)?;
        }
    }
    Ok(())
}
