//! Major projects in the API: record one (a steward, or the enterprise itself), list and read those the
//! caller may see, and run commands on one (plan edits with a reason, stage starts). A project's
//! procedures are applied for as ordinary cases with `project` set (`POST /api/v1/cases`).

use axum::extract::State;
use axum::http::StatusCode;
use onego_domain::labels::Label;
use onego_domain::messages::Msg;
use onego_domain::project::{Investor, KeyLevel, NewProject, Project, ProjectCommand, ProjectType, Site};
use onego_domain::values::ApplicantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Json, Path, now};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldErrors};

/// A project to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// 项目代码 as the investment project platform gives it, e.g. 2026-371700-47-01-000123.
    pub code: String,
    pub name: String,
    /// The investing enterprise's 统一社会信用代码.
    pub investor_id: String,
    pub investor_name: String,
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// government, social or small_low_risk.
    pub kind: String,
    /// Total investment, 万元.
    pub investment: u64,
    #[serde(default)]
    pub land_parcel: String,
    /// province, city, district or none.
    #[serde(default = "not_key")]
    pub key_level: String,
}

fn not_key() -> String {
    "none".into()
}

/// Whether `text` has the shape of a 项目代码: year-region-industry-kind-serial (4-6-2-2-6 digits).
fn project_code_ok(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([4, 6, 2, 2, 6])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit()))
}

impl TryFrom<ProjectInput> for NewProject {
    type Error = ApiError;

    /// Every mistake at its field, all at once.
    fn try_from(i: ProjectInput) -> Result<NewProject, ApiError> {
        let mut bad = FieldErrors::default();
        let code = i.code.trim().to_owned();
        if !project_code_ok(&code) {
            bad.add(
                "code",
                Msg::new(
                    "project_code_invalid",
                    "项目代码格式应为“年份-行政区划-行业-类型-流水号”，例如 2026-371700-47-01-000123",
                    "the project code reads year-region-industry-kind-serial, e.g. 2026-371700-47-01-000123",
                ),
            );
        }
        let name = i.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            bad.add(
                "name",
                Msg::new(
                    "project_name",
                    "请填写项目名称（不超过100字）",
                    "give the project's name (at most 100 characters)",
                ),
            );
        }
        let investor = match ApplicantId::parse(&i.investor_id) {
            Ok(id @ ApplicantId::Organisation { .. }) => Some(id),
            Ok(_) => {
                bad.add(
                    "investor_id",
                    Msg::new(
                        "investor_not_enterprise",
                        "建设单位须填写统一社会信用代码（18位）",
                        "the investor is an enterprise: give its 统一社会信用代码 (18 characters)",
                    ),
                );
                None
            }
            Err(e) => {
                bad.add("investor_id", e.msg());
                None
            }
        };
        if i.investor_name.trim().is_empty() {
            bad.add(
                "investor_name",
                Msg::new(
                    "investor_name",
                    "请填写建设单位名称",
                    "give the investing enterprise's name",
                ),
            );
        }
        if i.address.trim().is_empty() {
            bad.add(
                "address",
                Msg::new("project_address", "请填写项目地址", "give the project's address"),
            );
        }
        let kind = match i.kind.as_str() {
            "government" => Some(ProjectType::Government),
            "social" => Some(ProjectType::Social),
            "small_low_risk" => Some(ProjectType::SmallLowRisk),
            _ => {
                bad.add(
                    "kind",
                    Msg::new(
                        "project_kind",
                        "请选择项目类型：政府投资、社会投资或小型低风险",
                        "choose the project type: government, social or small_low_risk",
                    ),
                );
                None
            }
        };
        let key_level = match i.key_level.as_str() {
            "province" => KeyLevel::Province,
            "city" => KeyLevel::City,
            "district" => KeyLevel::District,
            _ => KeyLevel::None,
        };
        if i.investment == 0 {
            bad.add(
                "investment",
                Msg::new(
                    "project_investment",
                    "请填写总投资（万元）",
                    "give the total investment in 万元",
                ),
            );
        }
        let coordinates_ok = match (i.lat, i.lon) {
            (Some(lat), Some(lon)) => (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon),
            (None, None) => true,
            _ => false,
        };
        if !coordinates_ok {
            bad.add(
                "lat",
                Msg::new(
                    "project_coordinates",
                    "坐标须同时填写纬度和经度，且在有效范围内",
                    "give both latitude and longitude, within range",
                ),
            );
        }
        bad.finish()?;
        let (Some(investor), Some(kind)) = (investor, kind) else {
            return Err(ApiError::unprocessable("the project is incomplete"));
        };
        Ok(NewProject {
            code,
            name,
            investor: Investor {
                id: investor,
                name: i.investor_name.trim().to_owned(),
            },
            site: Site {
                address: i.address.trim().to_owned(),
                lat: i.lat,
                lon: i.lon,
                grid: None,
            },
            kind,
            investment: i.investment,
            land_parcel: i.land_parcel.trim().to_owned(),
            key_level,
        })
    }
}

/// A stage as a project shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    /// land_planning, engineering_permit, construction_permit, completion
    pub stage: String,
    pub name: String,
    pub number: usize,
    pub lead: String,
    pub started: Option<String>,
    pub completed: Option<String>,
    /// Working days so far (or in all, once complete).
    pub days: Option<i64>,
    /// Why it started before the stage before was complete (容缺).
    pub shortfall: Option<String>,
    /// Working days its path allows, and whether it is past them.
    pub limit_days: Option<u32>,
    pub late: bool,
}

/// A procedure of the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureView {
    pub item: String,
    pub name: String,
    pub department: String,
    pub stage: String,
    pub case_id: Option<i64>,
    /// planned, applied, approved, refused, dropped
    pub status: String,
    pub status_name: String,
    pub added: Option<String>,
    pub dropped: Option<String>,
    /// Who answers for it (帮包台账), their phone, and by when it should be decided.
    pub responsible: Option<String>,
    pub responsible_phone: Option<String>,
    pub planned_end: Option<String>,
    pub late: bool,
    /// May run as 预审 before the land (拿地即开工).
    pub pre_review: bool,
}

/// A member of the project's team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// leader, steward or contact.
    pub role: String,
    pub role_name: String,
    pub name: String,
    pub phone: Option<String>,
    pub department: Option<String>,
    pub duty: String,
}

/// A visit to the enterprise (入企问需).
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitView {
    pub on: String,
    pub people: String,
    pub needs: String,
    pub follow_up: String,
}

/// A problem tracked to its resolution.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemView {
    pub id: u32,
    pub title: String,
    pub owner: String,
    pub owner_phone: Option<String>,
    pub deadline: String,
    pub raised_by: String,
    pub resolved: Option<String>,
    pub late: bool,
    /// Sent on as an enterprise whistle: the request's number and the departments named.
    pub whistle: Option<String>,
    pub whistle_departments: Option<String>,
}

/// A project as those who may see it read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub investor: String,
    pub investor_id: String,
    pub kind: String,
    pub kind_name: String,
    pub key_level: String,
    pub key_level_name: String,
    /// 万元.
    pub investment: u64,
    pub land_parcel: String,
    pub address: String,
    /// The governance area (grid) the site lies in, by name, when its coordinates are known.
    pub grid: Option<String>,
    pub steward: String,
    /// Working days promised from land to the construction permit, and so far.
    pub target_days: u32,
    pub land_to_permit_days: Option<i64>,
    /// When the land certificate arrived, which one, and the days from it to the construction permit.
    pub land_at: Option<String>,
    pub land_certificate: Option<String>,
    pub land_to_start_days: Option<i64>,
    pub stages: Vec<StageView>,
    pub procedures: Vec<ProcedureView>,
    pub team: Vec<MemberView>,
    pub visits: Vec<VisitView>,
    pub problems: Vec<ProblemView>,
}

/// The view of a project, in `lang`.
pub(crate) fn project_view(state: &AppState, p: &Project, lang: onego_domain::labels::Lang) -> ProjectView {
    let calendar = state.engine.calendar();
    let t = now();
    let dept = |c: &onego_domain::values::Code| crate::views::dept_name(state, c.as_str());
    let time = |ts: onego_calendar::Timestamp| crate::views::time(ts);
    ProjectView {
        id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        investor: p.investor.name.clone(),
        investor_id: p.investor.id.as_str().to_owned(),
        kind: p.kind.as_str().to_owned(),
        kind_name: p.kind.label(lang).to_owned(),
        key_level: p.key_level.as_str().to_owned(),
        key_level_name: p.key_level.label(lang).to_owned(),
        investment: p.investment,
        land_parcel: p.land_parcel.clone(),
        address: p.site.address.clone(),
        grid: p.site.grid.as_ref().map(|g| {
            state
                .engine
                .hotline()
                .area(g.as_str())
                .map(|a| a.name.clone())
                .unwrap_or_else(|| g.to_string())
        }),
        steward: dept(&p.steward_department),
        target_days: p.target_days,
        land_to_permit_days: p.land_to_permit_days(&calendar, t),
        land_at: p.land.as_ref().map(|l| time(l.at)),
        land_certificate: p.land.as_ref().map(|l| l.certificate.clone()),
        land_to_start_days: p.land_to_start_days(&calendar, t),
        stages: p
            .stages
            .iter()
            .map(|s| StageView {
                stage: s.stage.as_str().to_owned(),
                name: s.stage.label(lang).to_owned(),
                number: s.stage.number(),
                lead: dept(&s.lead),
                started: s.started_at.map(time),
                completed: s.completed_at.map(time),
                days: p.stage_days(s.stage, &calendar, t),
                shortfall: s.shortfall.clone(),
                limit_days: s.limit_days,
                late: s.late && s.completed_at.is_none(),
            })
            .collect(),
        procedures: p
            .procedures
            .iter()
            .map(|q| {
                let (status, zh, en) = match (&q.dropped, q.case_id, q.approved) {
                    (Some(_), _, _) => ("dropped", "已调出计划", "dropped"),
                    (None, Some(_), Some(true)) if q.provisional => (
                        "provisional",
                        "预审通过（拿地后转正式）",
                        "pre-reviewed (formal once the land arrives)",
                    ),
                    (None, None, _) => ("planned", "待申请", "to apply for"),
                    (None, Some(_), None) => ("applied", "办理中", "in progress"),
                    (None, Some(_), Some(true)) => ("approved", "已办结（准予）", "approved"),
                    (None, Some(_), Some(false)) => ("refused", "已办结（不予）", "refused"),
                };
                ProcedureView {
                    item: q.item.to_string(),
                    name: q.name.clone(),
                    department: dept(&q.department),
                    stage: q.stage.as_str().to_owned(),
                    case_id: q.case_id,
                    status: status.to_owned(),
                    status_name: lang.pick(zh, en).to_owned(),
                    added: q.added.clone(),
                    dropped: q.dropped.clone(),
                    responsible: q.responsible.as_ref().map(|m| m.name.clone()),
                    responsible_phone: q
                        .responsible
                        .as_ref()
                        .and_then(|m| m.phone.as_ref())
                        .map(|m| m.as_str().to_owned()),
                    planned_end: q.planned_end.map(|d| d.to_string()),
                    late: q.late,
                    pre_review: q.pre_review,
                }
            })
            .collect(),
        team: p
            .team
            .leader
            .iter()
            .map(|m| ("leader", lang.pick("包保领导", "lead leader"), m))
            .chain(
                p.team
                    .steward
                    .iter()
                    .map(|m| ("steward", lang.pick("项目管家", "steward"), m)),
            )
            .chain(
                p.team
                    .contacts
                    .iter()
                    .map(|m| ("contact", lang.pick("部门联络员", "department contact"), m)),
            )
            .map(|(role, name, m)| MemberView {
                role: role.to_owned(),
                role_name: name.to_owned(),
                name: m.name.clone(),
                phone: m.phone.as_ref().map(|x| x.as_str().to_owned()),
                department: m.department.as_ref().map(&dept),
                duty: m.duty.clone(),
            })
            .collect(),
        visits: p
            .visits
            .iter()
            .map(|v| VisitView {
                on: v.on.to_string(),
                people: v.people.clone(),
                needs: v.needs.clone(),
                follow_up: v.follow_up.clone(),
            })
            .collect(),
        problems: p
            .problems
            .iter()
            .map(|q| ProblemView {
                id: q.id,
                title: q.title.clone(),
                owner: q.owner.name.clone(),
                owner_phone: q.owner.phone.as_ref().map(|x| x.as_str().to_owned()),
                deadline: q.deadline.to_string(),
                raised_by: q.raised_by.clone(),
                resolved: q.resolved.clone(),
                late: q.late,
                whistle: q.whistle.as_ref().map(|w| w.ticket.clone()),
                whistle_departments: q.whistle.as_ref().map(|w| {
                    w.departments
                        .iter()
                        .map(&dept)
                        .collect::<Vec<_>>()
                        .join(lang.pick("、", ", "))
                }),
            })
            .collect(),
    }
}

/// A row of a project list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectListRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub key_level: String,
    /// planning, a stage's code, or completed.
    pub stage: String,
}

/// Records a project; its plan comes from the approval path of its type.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput,
    responses((status = 201, body = ProjectView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let new = NewProject::try_from(input)?;
    let out = state.engine.open_project(&auth.actor, new, now()).await?;
    state.metrics.count_command("project");
    Ok((
        StatusCode::CREATED,
        Json(project_view(&state, &out.state, onego_domain::labels::Lang::Zh)),
    ))
}

/// The projects the caller may see: an enterprise its own, a department those it has a part in, leaders all.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    responses((status = 200, body = [ProjectListRow]), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ProjectListRow>>> {
    let rows = state.engine.projects(&auth.actor).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ProjectListRow {
                id: r.id,
                code: r.code,
                name: r.name,
                kind: r.kind,
                key_level: r.key_level,
                stage: r.stage,
            })
            .collect(),
    ))
}

/// One project with its stages, plan and days.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "project id")),
    responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProjectView>> {
    let stored = state.engine.project(&auth.actor, id).await?;
    Ok(Json(project_view(
        &state,
        &stored.value,
        onego_domain::labels::Lang::Zh,
    )))
}

/// A command on a project, tagged by `command`: `add_procedure` {item, stage, reason},
/// `drop_procedure` {item, reason}, `start_stage` {stage, shortfall_reason}, the ledger's `set_team`,
/// `assign_procedure`, `record_visit`, `raise_problem`, `resolve_problem`, `whistle_problem` {problem,
/// departments} (the request opens at once; onego gives its number), and `acquire_land` {certificate}.
#[utoipa::path(post, path = "/api/v1/projects/{id}/commands", tag = "projects",
    params(("id" = i64, Path, description = "project id")),
    request_body(content = Object, description = "one command"),
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(cmd): Json<ProjectCommand>,
) -> ApiResult<Json<ProjectView>> {
    if matches!(
        cmd,
        ProjectCommand::LinkCase { .. } | ProjectCommand::RecordDecision { .. }
    ) {
        return Err(ApiError::forbidden(Msg::new(
            "project_system_only",
            "办件与项目的关联和决定由系统自动记录",
            "cases are linked and their decisions recorded by onego itself",
        )));
    }
    let out = state.engine.run_project(&auth.actor, id, &cmd, now()).await?;
    state.metrics.count_command("project");
    Ok(Json(project_view(
        &state,
        &out.state,
        onego_domain::labels::Lang::Zh,
    )))
}
