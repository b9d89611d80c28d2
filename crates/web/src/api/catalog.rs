//! The catalog: items and bundles, their guides and steps.

use axum::extract::State;
use onego_domain::catalog::{Bundle, ServiceItem};
use onego_domain::labels::Label;
use onego_domain::process::{NodeKind, ProcessDefinition};
use onego_domain::values::Code;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};

use super::*;

// --- Catalog ----------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    /// `licensing`, `confirmation`, … (行政许可, 行政确认, …)
    pub kind: String,
    pub kind_zh: String,
    pub department: String,
    pub department_name: String,
    /// Compact limit: `20wd` working days, `30d` natural days.
    pub promised_limit: String,
    pub legal_limit: String,
    /// `instant` (即办件) or `promised` (承诺件).
    pub handling: String,
    /// 0 = 一次不跑, 1 = 最多跑一次.
    pub visits_required: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleSummary {
    pub code: String,
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
    pub lead_department: String,
    pub promised_limit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogList {
    pub items: Vec<ItemSummary>,
    pub bundles: Vec<BundleSummary>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to look for in names, codes and departments.
    pub q: Option<String>,
}

pub(crate) fn kind_str(item: &ServiceItem) -> String {
    serde_json::to_value(item.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn summary(state: &AppState, item: &ServiceItem) -> ItemSummary {
    let catalog = state.engine.catalog();
    ItemSummary {
        code: item.impl_code.to_string(),
        name: item.name.clone(),
        kind: kind_str(item),
        kind_zh: item.kind.zh().to_owned(),
        department: item.department.to_string(),
        department_name: catalog
            .department(&item.department)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        promised_limit: item.promised_limit.compact(),
        legal_limit: item.legal_limit.compact(),
        handling: match item.handling {
            onego_domain::catalog::Handling::Instant => "instant".into(),
            onego_domain::catalog::Handling::Promised => "promised".into(),
        },
        visits_required: item.visits_required,
    }
}

pub(crate) fn bundle_summary(b: &Bundle) -> BundleSummary {
    BundleSummary {
        code: b.code.to_string(),
        name: b.name.clone(),
        description: b.description.clone(),
        members: b.members.iter().map(ToString::to_string).collect(),
        lead_department: b.lead_department.to_string(),
        promised_limit: b.promised_limit.compact(),
    }
}

/// Every item and bundle in force today, optionally filtered by words.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", params(SearchParams),
    responses((status = 200, body = CatalogList)))]
pub async fn catalog_list(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<CatalogList>> {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let words: Vec<String> =
        p.q.unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
    let matches = |texts: &[&str]| {
        words
            .iter()
            .all(|w| texts.iter().any(|t| t.to_lowercase().contains(w.as_str())))
    };
    let items = catalog
        .items_on(today)
        .into_iter()
        .filter(|i| {
            let dept = catalog
                .department(&i.department)
                .map(|d| d.name.as_str())
                .unwrap_or("");
            matches(&[&i.name, i.impl_code.as_str(), dept, i.kind.zh(), &i.result_name])
        })
        .map(|i| summary(&state, i))
        .collect();
    let bundles = catalog
        .bundles_on(today)
        .into_iter()
        .filter(|b| matches(&[&b.name, b.code.as_str(), &b.description]))
        .map(bundle_summary)
        .collect();
    Ok(Json(CatalogList { items, bundles }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    pub id: String,
    pub name: String,
    /// task, auto, parallel, join, choice, countersign, end
    #[serde(rename = "type")]
    pub kind: String,
    pub departments: Vec<String>,
    pub limit: Option<String>,
    pub next: Vec<String>,
}

pub fn steps(def: &ProcessDefinition, item_department: &Code) -> Vec<Step> {
    let resolve = |d: &String| {
        if d == "@item" {
            item_department.to_string()
        } else {
            d.clone()
        }
    };
    def.nodes
        .iter()
        .map(|n| {
            let (departments, limit) = match &n.kind {
                NodeKind::Task {
                    department, limit, ..
                } => (vec![resolve(department)], Some(limit.compact())),
                NodeKind::Countersign {
                    departments, limit, ..
                } => (departments.iter().map(resolve).collect(), Some(limit.compact())),
                _ => (vec![], None),
            };
            Step {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.type_name().to_owned(),
                departments,
                limit,
                next: n.successors().into_iter().map(str::to_owned).collect(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemGuide {
    /// The whole catalog entry: conditions, materials (with necessity and source), limits, fees,
    /// place, hours, phones.
    #[schema(value_type = Object)]
    pub item: ServiceItem,
    pub department_name: String,
    /// The process as a list of steps (a flowchart's nodes and edges).
    pub steps: Vec<Step>,
}

/// 办事指南 of one item.
#[utoipa::path(get, path = "/api/v1/catalog/items/{code}", tag = "catalog",
    params(("code" = String, Path, description = "implementation code, e.g. SCJG-001")),
    responses((status = 200, body = ItemGuide), (status = 404, body = ErrorBody)))]
pub async fn item_guide(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<ItemGuide>> {
    use onego_domain::case::Registry;
    let catalog = state.engine.catalog();
    let code = Code::parse(&code).map_err(|_| ApiError::not_found(format!("no item {code} is in force")))?;
    let today = state.engine.calendar().local_date(now());
    let item = catalog
        .item(&code, today)
        .ok_or_else(|| ApiError::not_found(format!("no item {code} is in force")))?;
    let steps = catalog
        .latest_process(&item.process)
        .map(|d| steps(d, &item.department))
        .unwrap_or_default();
    Ok(Json(ItemGuide {
        department_name: catalog
            .department(&item.department)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        item: item.clone(),
        steps,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleGuide {
    #[schema(value_type = Object)]
    pub bundle: Bundle,
    pub members: Vec<ItemSummary>,
    /// 一套材料: the members' materials with duplicates merged, each with the items that need it.
    #[schema(value_type = Vec<Object>)]
    pub materials: Vec<onego_domain::catalog::MergedMaterial>,
}

/// 办事指南 of a bundle (一件事).
#[utoipa::path(get, path = "/api/v1/catalog/bundles/{code}", tag = "catalog",
    params(("code" = String, Path, description = "bundle code, e.g. QYKB")),
    responses((status = 200, body = BundleGuide), (status = 404, body = ErrorBody)))]
pub async fn bundle_guide(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<BundleGuide>> {
    use onego_domain::case::Registry;
    let catalog = state.engine.catalog();
    let code =
        Code::parse(&code).map_err(|_| ApiError::not_found(format!("no bundle {code} is in force")))?;
    let today = state.engine.calendar().local_date(now());
    let bundle = catalog
        .bundle(&code, today)
        .ok_or_else(|| ApiError::not_found(format!("no bundle {code} is in force")))?;
    let items: Vec<ServiceItem> = bundle
        .members
        .iter()
        .filter_map(|m| catalog.item(m, today).cloned())
        .collect();
    Ok(Json(BundleGuide {
        members: items.iter().map(|i| summary(&state, i)).collect(),
        materials: bundle.merged_materials(&items),
        bundle: bundle.clone(),
    }))
}
