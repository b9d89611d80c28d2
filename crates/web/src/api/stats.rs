//! Statistics of applications by department, item or month.

use axum::extract::State;
use onego_domain::org::Role;
use onego_domain::policy;
use onego_domain::values::Code;
use onego_store::stats::{GroupBy, StatsQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};

use super::*;

// --- Statistics -------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// department, item, month or day
    pub group_by: Option<String>,
    /// Cases accepted from this date (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    pub department: Option<String>,
    pub item: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    pub group_by: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// One row per group: accepted, decided, completion_rate, on_time, on_time_rate,
    /// legal_on_time_rate, avg_used_days, avg_promised_days, avg_legal_days, rated, avg_rating,
    /// satisfaction_rate, warning_open, overdue_open, overdue_total.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<onego_store::stats::StatsRow>,
}

/// A statistics group's readable name: the department's or item's name, or `2026-03` for a month.
pub fn stats_label(catalog: &onego_domain::catalog::Catalog, group: GroupBy, key: &str) -> String {
    match group {
        GroupBy::Department => Code::parse(key)
            .ok()
            .and_then(|c| catalog.department(&c).map(|d| d.name.clone())),
        GroupBy::Item => catalog
            .items
            .iter()
            .find(|i| i.impl_code.as_str() == key)
            .map(|i| i.name.clone()),
        GroupBy::Month => Some(format!(
            "{}-{}",
            key.get(..4).unwrap_or(""),
            key.get(4..).unwrap_or("")
        )),
        GroupBy::Day => None,
    }
    .unwrap_or_else(|| key.to_owned())
}

/// Volume, completion, on-time rate and working days used against promised and legal limits.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", params(StatsParams),
    responses((status = 200, body = StatsResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<StatsParams>,
) -> ApiResult<Json<StatsResponse>> {
    if !policy::can_read_statistics(&auth.actor) {
        return Err(ApiError::forbidden(
            "statistics are for leaders, supervisors and administrators",
        ));
    }
    let group = p.group_by.clone().unwrap_or_else(|| "department".into());
    let group_by = GroupBy::parse(&group).ok_or_else(|| {
        ApiError::bad_request(format!(
            "group_by \"{group}\" is not one of department, item, month, day"
        ))
    })?;
    let mut department = p.department.clone();
    if auth.user.role == Role::Supervisor {
        department = auth.user.department.as_ref().map(ToString::to_string);
    }
    let rows_query = StatsQuery {
        group_by,
        from_day: p.from.as_deref().map(|d| parse_day("from", d)).transpose()?,
        to_day: p.to.as_deref().map(|d| parse_day("to", d)).transpose()?,
        department,
        item: p.item.clone(),
    };
    if let (Some(a), Some(b)) = (rows_query.from_day, rows_query.to_day)
        && a > b
    {
        return Err(ApiError::bad_request(
            "from is after to; give the earlier date first",
        ));
    }
    let mut rows = state.engine.store().stats().query(rows_query).await?;
    let catalog = state.engine.catalog();
    for r in &mut rows {
        r.label = stats_label(&catalog, group_by, &r.key);
    }
    Ok(Json(StatsResponse {
        group_by: group,
        from: p.from,
        to: p.to,
        rows,
    }))
}
