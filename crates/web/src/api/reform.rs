//! 改革成效台账 in the API: for every item with figures before the reform, those figures against today's
//! (steps, materials and how many certificates or shared data satisfy, limits, visits, the working days
//! cases took), the reduction in percent, and the sums per department and for the city. Leaders and
//! administrators read the city's; a supervisor their department's.

use axum::extract::State;
use onego_domain::org::Role;
use onego_domain::policy;
use onego_domain::reform::{Baseline, Figures, Percentages, Total};
use onego_domain::values::Code;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Json, Path, now};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// One side of a comparison.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    pub steps: u32,
    pub materials: u32,
    /// Materials certificates or shared data satisfy (免提交).
    pub shared_materials: u32,
    pub promised_days: f64,
    pub legal_days: f64,
    pub visits: u32,
    /// Working days cases took on average, when known.
    pub used_days: Option<f64>,
}

/// Reductions in percent (negative: more than before).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReductionView {
    pub steps: Option<f64>,
    pub materials: Option<f64>,
    pub promised_days: Option<f64>,
    pub legal_days: Option<f64>,
    pub visits: Option<f64>,
    pub used_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReformItem {
    pub code: String,
    pub name: String,
    pub department: String,
    pub department_name: String,
    /// Where the figures before the reform come from.
    pub basis: String,
    pub before: FiguresView,
    pub now: FiguresView,
    pub reduction: ReductionView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReformTotal {
    /// The department's code, or null for the city.
    pub department: Option<String>,
    pub department_name: String,
    pub items: usize,
    pub before: FiguresView,
    pub now: FiguresView,
    pub reduction: ReductionView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReformLedger {
    pub items: Vec<ReformItem>,
    /// Per department, then the city's total last (a supervisor: their department's row only).
    pub totals: Vec<ReformTotal>,
}

fn figures(f: &Figures) -> FiguresView {
    FiguresView {
        steps: f.steps,
        materials: f.materials,
        shared_materials: f.shared_materials,
        promised_days: f.promised_days,
        legal_days: f.legal_days,
        visits: f.visits,
        used_days: f.used_days,
    }
}

fn reduction(p: &Percentages) -> ReductionView {
    ReductionView {
        steps: p.steps,
        materials: p.materials,
        promised_days: p.promised_days,
        legal_days: p.legal_days,
        visits: p.visits,
        used_days: p.used_days,
    }
}

/// The ledger as `actor` may read it: all for leaders and administrators, a supervisor's department's
/// items; refused to everyone else.
pub(crate) async fn ledger_for(
    state: &AppState,
    auth: &Auth,
    lang: onego_domain::labels::Lang,
) -> Result<ReformLedger, ApiError> {
    let only = match auth.user.role {
        Role::Leader | Role::Admin => None,
        Role::Supervisor => auth.user.department.clone(),
        _ => {
            return Err(ApiError::forbidden(onego_domain::messages::Msg::new(
                "reform_ledger_readers",
                "改革成效台账供领导、系统管理员和科室负责人查阅",
                "the reduction ledger is read by leaders, administrators and supervisors",
            )));
        }
    };
    let catalog = state.engine.catalog();
    let calendar = state.engine.calendar();
    let today = calendar.local_date(now());
    let hours = f64::from(calendar.office_hours().minutes_per_day()) / 60.0;
    // What cases really took, per item (decided cases of the item, any version).
    let used = state
        .engine
        .store()
        .stats()
        .query(onego_store::stats::StatsQuery {
            group_by: onego_store::stats::GroupBy::Item,
            from_day: None,
            to_day: None,
            department: None,
            item: None,
        })
        .await?;
    let rows: Vec<_> = onego_domain::reform::ledger(&catalog, today, hours, |code| {
        used.iter()
            .find(|r| r.key == code.as_str())
            .and_then(|r| r.avg_used_days)
    })
    .into_iter()
    .filter(|r| only.as_ref().is_none_or(|d| &r.department == d))
    .collect();
    let dept = |c: &str| crate::views::dept_name(state, c);
    let city = lang.pick("全市合计", "City total").to_owned();
    let mut totals = onego_domain::reform::totals(&rows);
    if only.is_some() {
        // A supervisor's whole is their department's row; there is no city total to show them.
        totals.pop();
    }
    let totals = totals
        .iter()
        .map(|t: &Total| ReformTotal {
            department: t.department.as_ref().map(ToString::to_string),
            department_name: t
                .department
                .as_ref()
                .map_or_else(|| city.clone(), |d| dept(d.as_str())),
            items: t.items,
            before: figures(&t.before),
            now: figures(&t.now),
            reduction: reduction(&t.reduction),
        })
        .collect();
    Ok(ReformLedger {
        items: rows
            .iter()
            .map(|r| ReformItem {
                code: r.code.to_string(),
                name: r.name.clone(),
                department: r.department.to_string(),
                department_name: dept(r.department.as_str()),
                basis: r.basis.clone(),
                before: figures(&r.before),
                now: figures(&r.now),
                reduction: reduction(&r.reduction),
            })
            .collect(),
        totals,
    })
}

/// The reduction ledger (改革成效台账).
#[utoipa::path(get, path = "/api/v1/reform", tag = "statistics",
    responses((status = 200, body = ReformLedger), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn ledger(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ReformLedger>> {
    Ok(Json(
        ledger_for(&state, &auth, onego_domain::labels::Lang::Zh).await?,
    ))
}

/// An item's figures before the reform, as entered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineInput {
    pub steps: u32,
    pub materials: u32,
    pub promised_days: f64,
    pub legal_days: f64,
    pub visits: u32,
    #[serde(default)]
    pub used_days: Option<f64>,
    /// Where the figures come from (e.g. 2018年版办事指南).
    pub basis: String,
}

/// Enters (or replaces) an item's figures before the reform: administrators, for an item of the
/// catalog; checked before anything is stored.
pub(crate) async fn save_baseline(
    state: &AppState,
    auth: &Auth,
    code: &str,
    input: BaselineInput,
) -> Result<(), ApiError> {
    policy::authorize_admin(&auth.actor).map_err(|d| ApiError::forbidden(d.0))?;
    let item = Code::parse(code).map_err(|e| ApiError::unprocessable(e.msg().at("item")))?;
    if !state.engine.catalog().items.iter().any(|i| i.impl_code == item) {
        return Err(ApiError::unprocessable(
            onego_domain::messages::Msg::new(
                "baseline_item_unknown",
                format!("事项目录中没有 {item}"),
                format!("the catalog has no item {item}"),
            )
            .at("item"),
        ));
    }
    let b = Baseline {
        item,
        steps: input.steps,
        materials: input.materials,
        promised_days: input.promised_days,
        legal_days: input.legal_days,
        visits: input.visits,
        used_days: input.used_days,
        basis: input.basis.trim().to_owned(),
    };
    b.validate().map_err(ApiError::unprocessable)?;
    state.engine.store().catalog().save_baseline(b).await?;
    let _ = state.engine.reload_config().await;
    Ok(())
}

/// Enters an item's figures before the reform (administrators).
#[utoipa::path(put, path = "/api/v1/reform/baselines/{code}", tag = "statistics", request_body = BaselineInput,
    params(("code" = String, Path, description = "item code")),
    responses((status = 200, body = ReformLedger), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_baseline(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Json(input): Json<BaselineInput>,
) -> ApiResult<Json<ReformLedger>> {
    save_baseline(&state, &auth, &code, input).await?;
    Ok(Json(
        ledger_for(&state, &auth, onego_domain::labels::Lang::Zh).await?,
    ))
}
