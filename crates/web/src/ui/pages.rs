//! Page handlers. Each one goes through the same engine and policy as the JSON API.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use onego_calendar::{Limit, Timestamp};
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::{
    Applicant, Case, CaseStatus, Channel, Command, DeliveryMethod, MissingMaterial, ProvidedMaterial,
    Registry, SpecialKind, SubjectRef, Submission, TaskState,
};
use onego_domain::catalog::{FormField, MaterialSpec, Necessity, ServiceItem};
use onego_domain::labels::Label;
use onego_domain::org::Role;
use onego_domain::policy::{self, CaseScope};
use onego_domain::process::{NodeKind, TaskAction};
use onego_domain::values::{ApplicantId, Code, Mobile};
use onego_store::case::{CaseFilter, CaseListRow};
use onego_store::stats::{GroupBy, StatsQuery};

use super::{Page, api_error_page, error_page, process_svg, qr_svg, render};
use crate::AppState;
use crate::error::ApiError;

pub(crate) type PageResult = Result<Response, Response>;

pub(crate) fn now() -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis())
}

pub(crate) fn time(t: Timestamp) -> String {
    t.to_rfc3339_in(onego_calendar::china_standard_time())
        .replace('T', " ")
        .chars()
        .take(16)
        .collect()
}

/// A form body as name → values (repeated names keep every value).
pub struct FormData(BTreeMap<String, Vec<String>>);

impl FormData {
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> FormData {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        FormData(map)
    }
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData::from_pairs(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }
    pub(crate) fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or("").trim().to_owned()
    }
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }
}

fn departments(state: &AppState) -> BTreeMap<String, String> {
    state
        .engine
        .catalog()
        .departments
        .iter()
        .map(|d| (d.code.to_string(), d.name.clone()))
        .collect()
}

/// A department's name (its code when unknown), looked up directly rather than through a fresh map.
pub(crate) fn dept_name(state: &AppState, code: &str) -> String {
    Code::parse(code)
        .ok()
        .and_then(|c| state.engine.catalog().department(&c).map(|d| d.name.clone()))
        .unwrap_or_else(|| code.to_owned())
}

fn limit_text(page: &Page, l: Limit) -> String {
    if page.en() {
        l.to_string()
    } else {
        format!("{}{}", l.amount(), l.unit_zh())
    }
}

fn necessity(page: &Page, n: Necessity) -> String {
    match n {
        Necessity::Required => page.tr("必要", "required"),
        Necessity::Optional => page.tr("非必要", "optional"),
        Necessity::Deferrable => page.tr("容缺后补", "may follow later"),
    }
}

fn material_view(page: &Page, m: &MaterialSpec) -> Value {
    context! {
        code => m.code.to_string(),
        name => m.name.clone(),
        necessity => necessity(page, m.necessity),
        necessity_code => format!("{:?}", m.necessity).to_lowercase(),
        source => if m.source == onego_domain::catalog::MaterialSource::Government {
            page.tr("政府部门核发（可共享获取）", "issued by government (can be fetched by data sharing)")
        } else {
            page.tr("申请人自备", "supplied by the applicant")
        },
        form => format!("{:?}", m.form).to_lowercase(),
        copies => m.copies,
    }
}

fn item_view(state: &AppState, page: &Page, i: &ServiceItem) -> Value {
    context! {
        code => i.impl_code.to_string(),
        name => i.name.clone(),
        kind => i.kind.zh(),
        department => dept_name(state, i.department.as_str()),
        promised => limit_text(page, i.promised_limit),
        legal => limit_text(page, i.legal_limit),
        instant => i.handling == onego_domain::catalog::Handling::Instant,
        visits => i.visits_required,
    }
}

// --- Preferences, login ----------------------------------------------------------------------------

/// `/prefs?lang=en&elder=1&back=/path`: sets the language or elder mode and returns to the page.
pub async fn prefs(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let back = form
        .get("back")
        .and_then(crate::edge::local_path)
        .unwrap_or("/")
        .to_owned();
    let mut headers = HeaderMap::new();
    let lang = form
        .get("lang")
        .filter(|l| *l == "en" || *l == "zh")
        .map(|l| format!("lang={l}"));
    let elder = form
        .get("elder")
        .filter(|e| *e == "0" || *e == "1")
        .map(|e| format!("elder={e}"));
    for pair in [lang, elder].into_iter().flatten() {
        let secure = crate::auth::secure_attr(&request_headers, &state);
        if let Ok(v) =
            HeaderValue::from_str(&format!("{pair}; Path=/; Max-Age=31536000; SameSite=Lax{secure}"))
        {
            headers.append(SET_COOKIE, v);
        }
    }
    (headers, Redirect::to(&back)).into_response()
}

pub async fn login_page(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    render(
        &state,
        &page,
        "login.html",
        StatusCode::OK,
        context! { next => form.text("next"), error => "" },
    )
}

fn home_for(role: Role) -> &'static str {
    match role {
        Role::Applicant => "/cases",
        Role::Clerk => "/window",
        Role::Approver | Role::Supervisor => "/inbox",
        Role::Leader => "/dashboard",
        Role::Admin => "/admin",
        Role::Operator => "/hotline/intake",
        Role::Dispatcher => "/hotline/dispatch",
        Role::GridMember => "/grid/report",
        Role::System => "/",
    }
}

pub async fn login_submit(
    State(state): State<AppState>,
    page: Page,
    origin: crate::auth::Origin,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let (username, password) = (
        form.text("username"),
        form.get("password").unwrap_or("").to_owned(),
    );
    let next = form.text("next");
    let fail = |msg: String| {
        render(
            &state,
            &page,
            "login.html",
            StatusCode::UNAUTHORIZED,
            context! { next => next.clone(), error => msg, username => username.clone() },
        )
    };
    let (auth, cookie) = match crate::auth::log_in(&state, &origin, &username, password).await {
        Ok(ok) => ok,
        Err(crate::auth::LoginError::Wrong) => {
            return fail(page.tr("用户名或密码错误", "The username or password is wrong"));
        }
        Err(crate::auth::LoginError::Locked { until }) => {
            let at = time(Timestamp::from_millis(until));
            let mut r = fail(if page.en() {
                format!("Too many failed log-ins. For your account's safety, try again after {at}.")
            } else {
                format!("登录失败次数过多，为保护账号安全，请于 {at} 之后再试。")
            });
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return r;
        }
        Err(crate::auth::LoginError::Other(e)) => return api_error_page(&state, &page, e),
    };
    let target = crate::edge::local_path(&next)
        .map(str::to_owned)
        .unwrap_or_else(|| home_for(auth.user.role).to_owned());
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie);
    (headers, Redirect::to(&target)).into_response()
}

pub async fn logout(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    // The browser forgets the session even if the database could not delete it (it expires anyway).
    let clear = crate::auth::log_out(&state, &headers)
        .await
        .unwrap_or(HeaderValue::from_static(crate::auth::CLEAR_SESSION_COOKIE));
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, clear);
    Ok((out, Redirect::to("/")).into_response())
}

// --- Portal ---------------------------------------------------------------------------------------

pub async fn home(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let query = form.text("q");
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let hit = |texts: &[&str]| {
        words
            .iter()
            .all(|w| texts.iter().any(|t| t.to_lowercase().contains(w.as_str())))
    };
    let depts = departments(&state);
    let items: Vec<Value> = catalog
        .items_on(today)
        .into_iter()
        .filter(|i| {
            hit(&[
                &i.name,
                i.impl_code.as_str(),
                depts.get(i.department.as_str()).map(String::as_str).unwrap_or(""),
                &i.result_name,
            ])
        })
        .map(|i| item_view(&state, &page, i))
        .collect();
    let bundles: Vec<Value> = catalog
        .bundles_on(today)
        .into_iter()
        .filter(|b| hit(&[&b.name, b.code.as_str(), &b.description]))
        .map(|b| {
            context! {
                code => b.code.to_string(), name => b.name.clone(), description => b.description.clone(),
                members => b.members.len(), promised => limit_text(&page, b.promised_limit),
            }
        })
        .collect();
    render(
        &state,
        &page,
        "home.html",
        StatusCode::OK,
        context! { q => query, items => items, bundles => bundles },
    )
}

fn steps_svg(state: &AppState, item: &ServiceItem) -> String {
    let catalog = state.engine.catalog();
    catalog
        .latest_process(&item.process)
        .map(|d| process_svg(d, &departments(state), Some(item.department.as_str())))
        .unwrap_or_default()
}

pub async fn item_guide(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let Some(item) = Code::parse(&code).ok().and_then(|c| catalog.item(&c, today)) else {
        return error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        );
    };
    let url = format!(
        "http://{}/items/{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost"),
        item.impl_code
    );
    let ctx = context! {
        kind => "item",
        item => item_view(&state, &page, item),
        title => item.name.clone(),
        conditions => item.conditions.clone(),
        materials => item.materials.iter().map(|m| material_view(&page, m)).collect::<Vec<_>>(),
        fees => item.fees.clone(),
        result => format!("{}（{}）", item.result_name, item.result_type),
        place => item.place.clone(), hours => item.hours.clone(),
        consult => item.consult_phone.clone(), complaint => item.complaint_phone.clone(),
        flow => steps_svg(&state, item),
        qr => qr_svg(&url), url => url,
        apply => format!("/apply/item/{}", item.impl_code),
    };
    render(&state, &page, "guide.html", StatusCode::OK, ctx)
}

pub async fn bundle_guide(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    let Some(bundle) = Code::parse(&code).ok().and_then(|c| catalog.bundle(&c, today)) else {
        return error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个“一件事”。", "There is no such bundle."),
        );
    };
    let items: Vec<ServiceItem> = bundle
        .members
        .iter()
        .filter_map(|m| catalog.item(m, today).cloned())
        .collect();
    let merged = bundle.merged_materials(&items);
    let url = format!(
        "http://{}/bundles/{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost"),
        bundle.code
    );
    let ctx = context! {
        kind => "bundle",
        title => bundle.name.clone(),
        description => bundle.description.clone(),
        promised => limit_text(&page, bundle.promised_limit),
        lead => dept_name(&state, bundle.lead_department.as_str()),
        members => items.iter().map(|i| item_view(&state, &page, i)).collect::<Vec<_>>(),
        flows => items.iter().map(|i| context! { name => i.name.clone(), flow => steps_svg(&state, i) }).collect::<Vec<_>>(),
        materials => merged.iter().map(|m| {
            let needed: Vec<String> = m.needed_by.iter().filter_map(|c| items.iter().find(|i| &i.impl_code == c).map(|i| i.name.clone())).collect();
            context! { ..material_view(&page, &m.spec), ..context! { needed_by => needed.join("、") } }
        }).collect::<Vec<_>>(),
        result => bundle.result_name.clone(),
        qr => qr_svg(&url), url => url,
        apply => format!("/apply/bundle/{}", bundle.code),
    };
    render(&state, &page, "guide.html", StatusCode::OK, ctx)
}

// --- Applying online -------------------------------------------------------------------------------

/// The form fields an application asks: a bundle's merged form, or the fields an item's process rules read.
fn form_fields(
    state: &AppState,
    kind: &str,
    code: &Code,
) -> Option<(String, Vec<FormField>, Vec<MaterialSpec>)> {
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    if kind == "bundle" {
        let b = catalog.bundle(code, today)?;
        let items: Vec<ServiceItem> = b
            .members
            .iter()
            .filter_map(|m| catalog.item(m, today).cloned())
            .collect();
        let materials = b.merged_materials(&items).into_iter().map(|m| m.spec).collect();
        return Some((b.name.clone(), b.form_fields.clone(), materials));
    }
    let item = catalog.item(code, today)?;
    let mut fields = vec![FormField {
        key: "description".into(),
        label: "申请事项说明".into(),
        required: false,
        field_type: "text".into(),
        choices: vec![],
    }];
    if let Some(def) = catalog.latest_process(&item.process) {
        for n in &def.nodes {
            let rules: Vec<&onego_domain::rule::Rule> = match &n.kind {
                NodeKind::Auto { rule, .. } => vec![rule],
                NodeKind::Choice { when, .. } => when.iter().map(|w| &w.0).collect(),
                _ => vec![],
            };
            for r in rules {
                for f in r.fields() {
                    if !fields.iter().any(|x| x.key == f) {
                        let (label, field_type, choices) = match f {
                            "registered_capital" => ("注册资本（元）", "number", vec![]),
                            "business_scope_standard" => (
                                "经营范围选用规范表述",
                                "choice",
                                vec!["true".into(), "false".into()],
                            ),
                            "floor_area" => ("经营面积（平方米）", "number", vec![]),
                            other => (other, "text", vec![]),
                        };
                        fields.push(FormField {
                            key: f.to_owned(),
                            label: label.into(),
                            required: true,
                            field_type: field_type.into(),
                            choices,
                        });
                    }
                }
            }
        }
    }
    Some((item.name.clone(), fields, item.materials.clone()))
}

pub async fn apply_page(
    State(state): State<AppState>,
    page: Page,
    Path((kind, code)): Path<(String, String)>,
) -> PageResult {
    page.require_role(&state, &[Role::Applicant])?;
    let Some((title, fields, materials)) = Code::parse(&code)
        .ok()
        .and_then(|c| form_fields(&state, &kind, &c))
    else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        ));
    };
    Ok(render(
        &state,
        &page,
        "apply.html",
        StatusCode::OK,
        context! {
            title => title, kind => kind, code => code, error => "",
            fields => fields.iter().map(|f| context! { key => f.key.clone(), label => f.label.clone(), required => f.required, field_type => f.field_type.clone(), choices => f.choices.clone() }).collect::<Vec<_>>(),
            materials => materials.iter().map(|m| material_view(&page, m)).collect::<Vec<_>>(),
        },
    ))
}

/// Material files come in fields named `file_<material code>`.
fn material_of(field: &str) -> Option<Code> {
    field.strip_prefix("file_").and_then(|c| Code::parse(c).ok())
}

/// Held material files as (material code, file), or the message for a field that names no material.
fn material_files(
    page: &Page,
    files: Vec<crate::held_files::HeldFile>,
) -> Result<Vec<(String, crate::held_files::HeldFile)>, String> {
    files
        .into_iter()
        .map(|f| match material_of(&f.field) {
            Some(code) => Ok((code.to_string(), f)),
            None => Err(page.tr(
                "上传的文件不属于任何材料。",
                "An uploaded file belongs to no material.",
            )),
        })
        .collect()
}

pub async fn apply_submit(
    State(state): State<AppState>,
    page: Page,
    Path((kind, code)): Path<(String, String)>,
    mp: Multipart,
) -> PageResult {
    // Who may apply is known before the body is read; the files wait in memory until every check passed.
    let auth = page.require_role(&state, &[Role::Applicant])?.clone();
    let code = Code::parse(&code)
        .map_err(|e| api_error_page(&state, &page, ApiError::unprocessable(e.to_string())))?;
    let (fields, held, problem) = crate::held_files::read_form(mp, |f| f.starts_with("file_")).await;
    page.check_csrf(&state, fields.get("csrf"))?;
    let Some((title, form_spec, materials)) = form_fields(&state, &kind, &code) else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        ));
    };
    let again = |status: StatusCode, msg: String| {
        render(
            &state,
            &page,
            "apply.html",
            status,
            context! {
                title => title.clone(), kind => kind.clone(), code => code.to_string(), error => msg,
                fields => form_spec.iter().map(|f| context! { key => f.key.clone(), label => f.label.clone(), required => f.required, field_type => f.field_type.clone(), choices => f.choices.clone() }).collect::<Vec<_>>(),
                materials => materials.iter().map(|m| material_view(&page, m)).collect::<Vec<_>>(),
            },
        )
    };
    if let Some(problem) = problem {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem.message(page.en()),
        ));
    }
    let held = match material_files(&page, held) {
        Ok(h) => h,
        Err(m) => return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, m)),
    };
    let mut form = serde_json::Map::new();
    for f in &form_spec {
        let v = fields.text(&f.key);
        if f.required && v.is_empty() {
            let msg = format!("{}{}", page.tr("请填写：", "Please fill in: "), f.label);
            return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, msg));
        }
        let value = match f.field_type.as_str() {
            "number" => v
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::String(v)),
            "choice" if v == "true" || v == "false" => serde_json::Value::Bool(v == "true"),
            _ => serde_json::Value::String(v),
        };
        form.insert(f.key.clone(), value);
    }
    let t = now();
    let applicant = Applicant {
        id: auth
            .user
            .applicant
            .clone()
            .ok_or_else(|| error_page(&state, &page, StatusCode::FORBIDDEN, "no applicant identity"))?,
        name: auth.user.name.clone(),
        mobile: auth.user.mobile.as_deref().and_then(|m| Mobile::parse(m).ok()),
        user_id: Some(auth.user.id),
    };
    let codes: Vec<String> = held.iter().map(|(c, _)| c.clone()).collect();
    let files = match crate::held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return Ok(again(e.status, e.message)),
    };
    let submission = Submission {
        subject: if kind == "bundle" {
            SubjectRef::Bundle { code: code.clone() }
        } else {
            SubjectRef::Item { code: code.clone() }
        },
        channel: Channel::Online,
        applicant,
        form: serde_json::Value::Object(form),
        materials: codes
            .iter()
            .zip(&files)
            .filter_map(|(c, f)| {
                Some(ProvidedMaterial {
                    code: Code::parse(c).ok()?,
                    at: t,
                    file: Some(*f),
                })
            })
            .collect(),
    };
    match state.engine.open_case(&auth.actor, submission, None, t).await {
        Ok(out) => Ok(Redirect::to(&format!("/cases/{}", out.state.id)).into_response()),
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &files).await;
            let e = ApiError::from(e);
            Ok(again(e.status, e.message))
        }
    }
}

// --- Cases ----------------------------------------------------------------------------------------

pub async fn cases_list(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let day = |k: &str| {
        form.get(k)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(onego_store::day_number)
    };
    let Ok(scope) = policy::case_list_scope(&auth.actor) else {
        return Err(error_page(
            &state,
            &page,
            StatusCode::FORBIDDEN,
            &page.tr("管理员不查阅办件。", "Administrators do not read applications."),
        ));
    };
    let mut f = CaseFilter::new(scope, 200);
    f.status = form.get("status").and_then(CaseStatus::parse);
    f.department = form.get("department").map(str::to_owned);
    f.item_code = form.get("item").map(str::to_owned);
    f.accepted_from_day = day("from");
    f.accepted_to_day = day("to");
    f.overdue = form.get("overdue").map(|o| o == "1" || o == "true");
    let rows = state
        .engine
        .store()
        .cases()
        .list(f)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let notes = {
        let (id, dept) = (
            auth.user.id,
            auth.user.department.as_ref().map(ToString::to_string),
        );
        state
            .engine
            .store()
            .inbox()
            .notifications(id, dept, 10)
            .await
            .unwrap_or_default()
    };
    Ok(render(
        &state,
        &page,
        "cases.html",
        StatusCode::OK,
        context! {
            rows => rows.iter().map(|r| context! {
                id => r.id, number => r.number.clone(), title => r.title.clone(),
                status => r.status.as_str(), status_zh => r.status.zh(),
                department => dept_name(&state, &r.department), submitted => time(r.submitted_at),
                due => r.due_at.map(time), overdue => r.overdue, warned => r.warned, outcome => r.outcome.map(|o| o.as_str()),
            }).collect::<Vec<_>>(),
            notifications => notes.iter().map(|n| context! { text => n.text.clone(), at => time(n.created_at), case_id => n.aggregate_id }).collect::<Vec<_>>(),
            filtered => !form.0.is_empty(),
        },
    ))
}

fn clock_view(state: &AppState, page: &Page, clock: Option<onego_calendar::Clock>, at: Timestamp) -> Value {
    let Some(c) = clock else { return Value::from(()) };
    let Ok(r) = c.read(&state.engine.calendar(), state.engine.config().policy, at) else {
        return Value::from(());
    };
    let days = |ms: i64| ((ms as f64) / onego_calendar::MS_PER_DAY as f64 * 10.0).round() / 10.0;
    context! {
        state => r.state.as_str(),
        state_zh => match r.state {
            onego_calendar::ClockState::Running => page.tr("正常", "on time"),
            onego_calendar::ClockState::Warning => page.tr("即将到期", "due soon"),
            onego_calendar::ClockState::Overdue => page.tr("已超期", "overdue"),
            onego_calendar::ClockState::Paused => page.tr("暂停计时", "paused"),
        },
        due => r.due.map(time),
        limit => limit_text(page, r.total),
        elapsed => days(r.elapsed_ms), remaining => days(r.remaining_ms.max(0)),
        provisional => r.provisional,
    }
}

fn action_label(page: &Page, action: &str, data: &serde_json::Value) -> String {
    let tr = |zh: &str, en: &str| page.tr(zh, en);
    match action {
        "submitted" => tr("提交申请", "Application submitted"),
        "accepted" => tr("窗口受理", "Accepted at the window"),
        "not_accepted" => tr("不予受理", "Not accepted"),
        "supplement_requested" => tr("一次性告知补正材料", "Supplement requested (one-time notice)"),
        "materials_supplied" => tr("补齐材料", "Materials supplied"),
        "task_opened" => format!(
            "{}{}",
            tr("进入环节：", "Step started: "),
            data.pointer("/task/name").and_then(|v| v.as_str()).unwrap_or("")
        ),
        "task_completed" => match data.get("action").and_then(|v| v.as_str()) {
            Some("approve") => tr("审查同意", "Approved"),
            Some("return") => tr("退回重审", "Returned"),
            Some("refuse") => tr("不予许可", "Refused"),
            _ => tr("环节办结", "Step done"),
        },
        "task_cancelled" => tr("环节取消", "Step cancelled"),
        "auto_decided" => {
            if data.get("passed").and_then(|v| v.as_bool()) == Some(true) {
                tr("智能秒批通过", "Auto-approved by rule")
            } else {
                tr("转人工审查", "Passed to a reviewer")
            }
        }
        "choice_taken" => tr("按条件分流", "Routed by condition"),
        "branch_arrived" => tr("并联环节完成", "Parallel branch done"),
        "branches_joined" => tr("并联意见汇总", "Parallel branches joined"),
        "flow_ended" => tr("事项办结", "Item finished"),
        "decided" => tr("作出决定", "Decided"),
        "special_procedure_started" => tr(
            "启动特别程序（暂停计时）",
            "Special procedure started (clock paused)",
        ),
        "special_procedure_ended" => tr("特别程序结束", "Special procedure ended"),
        "extension_requested" => tr("申请延期", "Extension requested"),
        "extension_denied" => tr("延期未获批准", "Extension denied"),
        "extension_granted" => tr("批准延期", "Extension granted"),
        "delivered" => tr("结果送达", "Result delivered"),
        "withdrawn" => tr("申请人撤回", "Withdrawn"),
        "rated" => tr("好差评", "Rated"),
        "alarmed" => {
            if data.get("alarm").and_then(|v| v.as_str()) == Some("overdue") {
                tr("红牌：已超期", "Red card: overdue")
            } else {
                tr("黄牌：即将到期", "Yellow card: due soon")
            }
        }
        other => other.to_owned(),
    }
}

async fn case_page(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    error: &str,
    done: &str,
) -> PageResult {
    let auth = page.require()?.clone();
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let case: &Case = &stored.value;
    let journal = state
        .engine
        .store()
        .cases()
        .journal(id)
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let at = case.stopped_at().unwrap_or_else(now);
    let personal = policy::sees_personal_data(&auth.actor, case);
    let catalog = state.engine.catalog();
    let mut specs: Vec<MaterialSpec> = Vec::new();
    for f in &case.flows {
        if let Some(item) = catalog.item_version(&f.item, f.item_version) {
            for m in &item.materials {
                if !specs.iter().any(|s| s.code == m.code) {
                    specs.push(m.clone());
                }
            }
        }
    }
    let materials: Vec<Value> = specs
        .iter()
        .map(|m| {
            let have = case.materials.iter().find(|x| x.code == m.code);
            context! { ..material_view(page, m), ..context! {
                received => have.is_some(), file => have.and_then(|h| h.file).map(|f| f.to_string()),
                deferred => case.deferred.contains(&m.code),
            } }
        })
        .collect();
    let can = |cmd: &Command| policy::authorize_command(&auth.actor, case, cmd).is_ok();
    let my_tasks: Vec<Value> = case
        .open_tasks()
        .filter(|t| can(&Command::Act { task: t.id, action: TaskAction::Approve, return_to: None, opinion: String::new() }))
        .map(|t| {
            let def = catalog.process(&case.flows[t.flow].process, case.flows[t.flow].process_version);
            let (actions, returns) = match def.and_then(|d| d.node(&t.node)).map(|n| &n.kind) {
                Some(NodeKind::Task { actions, return_to, .. }) => (actions.iter().map(|a| format!("{a:?}").to_lowercase()).collect::<Vec<_>>(), return_to.clone()),
                _ => (vec!["approve".to_owned(), "refuse".to_owned()], vec![]),
            };
            context! { id => t.id, name => t.name.clone(), actions => actions, returns => returns, countersign => t.group.is_some() }
        })
        .collect();
    let ext = Command::GrantExtension {
        limit: case.promised_limit,
        reason: "x".into(),
    };
    let request_ext = Command::RequestExtension {
        limit: case.promised_limit,
        reason: "x".into(),
    };
    let supply = Command::SupplyMaterials {
        materials: vec![],
        files: Default::default(),
    };
    let is_applicant = auth.user.role == Role::Applicant;
    let actions = context! {
        accept => case.status == CaseStatus::Submitted && can(&Command::Accept { received: vec![], deferred: vec![], opinion: String::new() }),
        supplement => matches!(case.status, CaseStatus::Submitted | CaseStatus::InReview) && case.supplement.is_none()
            && can(&Command::RequestSupplement { missing: vec![], note: String::new() }),
        supply => (case.supplement.is_some() || !case.deferred.is_empty()) && can(&supply),
        deliver => case.status == CaseStatus::Decided && can(&Command::Deliver { delivery: DeliveryMethod::Window }),
        withdraw => matches!(case.status, CaseStatus::Submitted | CaseStatus::InReview) && can(&Command::Withdraw { reason: String::new() }),
        rate => matches!(case.status, CaseStatus::Delivered | CaseStatus::NotAccepted) && case.rating.is_none() && is_applicant && can(&Command::Rate { level: 5, comment: String::new() }),
        request_extension => case.status == CaseStatus::InReview && case.extension_request.is_none() && can(&request_ext) && auth.user.role == Role::Approver,
        grant_extension => case.status == CaseStatus::InReview && can(&ext),
        special_start => case.status == CaseStatus::InReview && case.special.is_none() && can(&Command::StartSpecialProcedure { kind: SpecialKind::Hearing, reason: "x".into() }),
        special_end => case.special.is_some() && can(&Command::EndSpecialProcedure { result: String::new() }),
        tasks => my_tasks,
    };
    let timeline: Vec<Value> = crate::privacy::journal(&journal, personal)
        .into_iter()
        .filter(|j| !matches!(j.action.as_str(), "branch_arrived" | "choice_taken"))
        .map(|j| {
            let dept = j.data.pointer("/task/department").and_then(|v| v.as_str()).map(|d| dept_name(state, d));
            context! {
                at => time(j.at), actor => j.actor_name.clone(),
                role => onego_domain::org::Role::parse(&j.actor_role).map(|r| r.zh()).unwrap_or(""),
                label => action_label(page, &j.action, &j.data), action => j.action.clone(),
                opinion => j.opinion.clone(), department => dept, hash => j.hash.chars().take(12).collect::<String>(),
            }
        })
        .collect();
    let person = crate::privacy::applicant(&auth.actor, case);
    let tasks: Vec<Value> = case
        .tasks
        .iter()
        .map(|t| context! {
            id => t.id, name => t.name.clone(), department => dept_name(state, t.department.as_str()),
            state => match &t.state { TaskState::Open => "open", TaskState::Done { .. } => "done", TaskState::Cancelled { .. } => "cancelled" },
            by => match &t.state { TaskState::Done { by, at, .. } => format!("{by} {}", time(*at)), _ => String::new() },
            clock => if t.is_open() { clock_view(state, page, Some(case.task_clock(t)), at) } else { Value::from(()) },
        })
        .collect();
    let ctx = context! {
        case => context! {
            id => case.id, number => case.number.to_string(), title => case.title.clone(),
            status => case.status.as_str(), status_zh => case.status.zh(), outcome => case.outcome.map(|o| o.as_str()),
            reason => case.decision_reason.clone(), department => dept_name(state, case.department.as_str()),
            applicant => person.name, applicant_id => person.id,
            channel => match case.channel { Channel::Online => page.tr("网上申请", "online"), Channel::Window => page.tr("窗口申请", "at the window") },
            submitted => time(case.submitted_at), accepted => case.accepted_at.map(time), decided => case.decided_at.map(time),
            supplement => case.supplement.as_ref().map(|s| context! { missing => s.missing.iter().map(|m| context! { code => m.code.to_string(), name => m.name.clone(), reason => m.reason.clone() }).collect::<Vec<_>>(), note => s.note.clone() }),
            special => case.special.as_ref().map(|s| format!("{}：{}", s.kind.zh(), s.reason)),
            extension_request => case.extension_request.as_ref().map(|r| format!("{} · {} · {}", r.by, limit_text(page, r.limit), r.reason)),
            rating => case.rating.as_ref().map(|r| r.level),
            form => if personal { case.form.as_object().map(|o| o.iter().map(|(k, v)| context! { key => k.clone(), value => v.to_string().trim_matches('"').to_owned() }).collect::<Vec<_>>()) } else { None },
        },
        clock => clock_view(state, page, case.clock(), at),
        legal_clock => clock_view(state, page, case.legal_clock(), at),
        materials => materials,
        tasks => tasks,
        timeline => timeline,
        actions => actions,
        error => error, done => done,
        unit => case.promised_limit.compact().trim_start_matches(char::is_numeric).to_owned(),
    };
    Ok(render(state, page, "case.html", status, ctx))
}

pub async fn case_view(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let done = match form.get("done") {
        Some("ok") => page.tr("已办理。", "Done."),
        _ => String::new(),
    };
    case_page(&state, &page, id, StatusCode::OK, "", &done).await
}

fn codes(form: &FormData, key: &str) -> Result<Vec<Code>, ApiError> {
    form.all(key)
        .iter()
        .map(|c| Code::parse(c).map_err(|e| ApiError::unprocessable(e.to_string())))
        .collect()
}

/// Turns a posted action form into a domain command.
fn command_from(form: &FormData, case: &Case) -> Result<Command, ApiError> {
    let opinion = form.text("opinion");
    let limit = || -> Result<Limit, ApiError> {
        let n: u32 = form
            .text("amount")
            .parse()
            .map_err(|_| ApiError::unprocessable("give the extension as a whole number"))?;
        let unit = case
            .promised_limit
            .compact()
            .trim_start_matches(char::is_numeric)
            .to_owned();
        format!("{n}{unit}")
            .parse()
            .map_err(|e: onego_calendar::LimitParseError| ApiError::unprocessable(e.to_string()))
    };
    Ok(match form.get("command").unwrap_or("") {
        "accept" => Command::Accept {
            received: codes(form, "received")?,
            deferred: codes(form, "deferred")?,
            opinion,
        },
        "refuse_acceptance" => Command::RefuseAcceptance {
            reason: form.text("reason"),
        },
        "request_supplement" => Command::RequestSupplement {
            missing: codes(form, "missing")?
                .into_iter()
                .map(|code| MissingMaterial {
                    code,
                    name: String::new(),
                    reason: form.text("reason"),
                })
                .collect(),
            note: form.text("note"),
        },
        "act" => Command::Act {
            task: form
                .text("task")
                .parse()
                .map_err(|_| ApiError::unprocessable("which task?"))?,
            action: match form.get("action") {
                Some("approve") => TaskAction::Approve,
                Some("return") => TaskAction::Return,
                Some("refuse") => TaskAction::Refuse,
                _ => return Err(ApiError::unprocessable("choose approve, return or refuse")),
            },
            return_to: form.get("return_to").filter(|s| !s.is_empty()).map(str::to_owned),
            opinion,
        },
        "deliver" => Command::Deliver {
            delivery: match form.get("method") {
                Some("mail") => DeliveryMethod::Mail {
                    tracking_number: form.text("tracking"),
                },
                Some("electronic") => DeliveryMethod::Electronic,
                _ => DeliveryMethod::Window,
            },
        },
        "withdraw" => Command::Withdraw {
            reason: form.text("reason"),
        },
        "rate" => Command::Rate {
            level: form
                .text("level")
                .parse()
                .map_err(|_| ApiError::unprocessable("choose a rating from 1 to 5"))?,
            comment: form.text("comment"),
        },
        "request_extension" => Command::RequestExtension {
            limit: limit()?,
            reason: form.text("reason"),
        },
        "grant_extension" => Command::GrantExtension {
            limit: limit()?,
            reason: form.text("reason"),
        },
        "deny_extension" => Command::DenyExtension {
            reason: form.text("reason"),
        },
        "start_special" => Command::StartSpecialProcedure {
            kind: match form.get("kind") {
                Some("testing") => SpecialKind::Testing,
                Some("expert_review") => SpecialKind::ExpertReview,
                Some("inspection") => SpecialKind::Inspection,
                _ => SpecialKind::Hearing,
            },
            reason: form.text("reason"),
        },
        "end_special" => Command::EndSpecialProcedure {
            result: form.text("result"),
        },
        other => return Err(ApiError::bad_request(format!("unknown action \"{other}\""))),
    })
}

pub async fn case_act(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let auth = page.require()?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let result = match command_from(&form, &stored.value) {
        Ok(cmd) => state
            .engine
            .run_case(&auth.actor, id, &cmd, now())
            .await
            .map_err(ApiError::from)
            .map(|_| cmd.name()),
        Err(e) => Err(e),
    };
    match result {
        Ok(name) => {
            state.metrics.count_command(name);
            Ok(Redirect::to(&format!("/cases/{id}?done=ok")).into_response())
        }
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            Err(api_error_page(&state, &page, e))
        }
        Err(e) => case_page(&state, &page, id, e.status, &e.message, "").await,
    }
}

/// Supplying materials with files (补正, 容缺后补). The files wait in memory until the form and the
/// caller's access are checked; they are tied to the case in the same commit as the command.
pub async fn case_supply(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: Multipart,
) -> PageResult {
    let auth = page.require()?.clone();
    let (fields, held, problem) = crate::held_files::read_form(mp, |f| f.starts_with("file_")).await;
    page.check_csrf(&state, fields.get("csrf"))?;
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let probe = Command::SupplyMaterials {
        materials: vec![],
        files: Default::default(),
    };
    if let Err(d) = policy::authorize_command(&auth.actor, &stored.value, &probe) {
        return Err(api_error_page(&state, &page, ApiError::forbidden(d.0)));
    }
    if let Some(problem) = problem {
        return case_page(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &problem.message(page.en()),
            "",
        )
        .await;
    }
    let held = match material_files(&page, held) {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => {
            let m = page.tr("请选择要上传的材料文件。", "Choose the files to upload.");
            return case_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, &m, "").await;
        }
        Err(m) => return case_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, &m, "").await,
    };
    let codes: Vec<String> = held.iter().map(|(c, _)| c.clone()).collect();
    let files = match crate::held_files::store(&state, auth.user.id, held).await {
        Ok(f) => f,
        Err(e) => return case_page(&state, &page, id, e.status, &e.message, "").await,
    };
    let cmd = Command::SupplyMaterials {
        materials: codes.iter().filter_map(|c| Code::parse(c).ok()).collect(),
        files: codes.iter().cloned().zip(files.iter().copied()).collect(),
    };
    match state.engine.run_case(&auth.actor, id, &cmd, now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=ok")).into_response()),
        Err(e) => {
            crate::held_files::discard(&state, auth.user.id, &files).await;
            let e = ApiError::from(e);
            case_page(&state, &page, id, e.status, &e.message, "").await
        }
    }
}

pub async fn upload(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> PageResult {
    let auth = page.require()?.clone();
    let info = state
        .engine
        .store()
        .uploads()
        .info(id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let not_found = || {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个文件。", "There is no such file."),
        )
    };
    let Some(info) = info else { return Err(not_found()) };
    let allowed = match info.aggregate_id {
        Some(case_id) => state.engine.case(&auth.actor, case_id).await.is_ok(),
        None => info.owner_user_id == auth.user.id,
    };
    if !allowed {
        return Err(not_found());
    }
    let data = state
        .engine
        .store()
        .uploads()
        .data(id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?
        .unwrap_or_default();
    let name: String = info
        .file_name
        .chars()
        .filter(|c| c.is_alphanumeric() || ".-_".contains(*c))
        .collect();
    Ok((
        [
            (CONTENT_TYPE, info.content_type.clone()),
            (CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
        ],
        data,
    )
        .into_response())
}

/// Printable notices: 受理通知书 and 一次性告知书.
pub async fn notice(
    State(state): State<AppState>,
    page: Page,
    Path((id, kind)): Path<(i64, String)>,
) -> PageResult {
    let auth = page.require()?.clone();
    let stored = state
        .engine
        .case(&auth.actor, id)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let case = &stored.value;
    let applicant = crate::privacy::applicant(&auth.actor, case).name;
    let reading = case.clock().and_then(|c| {
        c.read(
            &state.engine.calendar(),
            state.engine.config().policy,
            case.accepted_at.unwrap_or_else(now),
        )
        .ok()
    });
    let ctx = match kind.as_str() {
        "acceptance" if case.accepted_at.is_some() => context! {
            heading => "受理通知书", case_number => case.number.to_string(), applicant => applicant.clone(),
            title => case.title.clone(), accepted => case.accepted_at.map(time), promised => limit_text(&page, case.promised_limit),
            due => reading.and_then(|r| r.due).map(|d| time(Timestamp::from_millis(d.as_millis() - 1))),
            department => dept_name(&state, case.department.as_str()), kind => "acceptance",
        },
        "supplement" if case.supplement.is_some() => context! {
            heading => "补正材料一次性告知书", case_number => case.number.to_string(), applicant => applicant.clone(),
            title => case.title.clone(), kind => "supplement",
            missing => case.supplement.as_ref().map(|s| s.missing.iter().map(|m| context! { name => m.name.clone(), reason => m.reason.clone() }).collect::<Vec<_>>()),
            note => case.supplement.as_ref().map(|s| s.note.clone()),
            asked => case.supplement.as_ref().map(|s| time(s.at)),
            department => dept_name(&state, case.department.as_str()),
        },
        _ => {
            return Err(error_page(
                &state,
                &page,
                StatusCode::NOT_FOUND,
                &page.tr("此办件没有这份通知书。", "This case has no such notice."),
            ));
        }
    };
    Ok(render(&state, &page, "notice.html", StatusCode::OK, ctx))
}

// --- Window, inbox, dashboard ---------------------------------------------------------------------

pub async fn window(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    page.require_role(&state, &[Role::Clerk])?;
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let wanted = form.text("applicant");
    if wanted.is_empty() {
        return window_page(&state, &page, StatusCode::OK, "", None).await;
    }
    // Find an applicant's cases by ID number or 统一社会信用代码 (validated first).
    match ApplicantId::parse(&wanted) {
        Ok(id) => {
            let mut f = CaseFilter::new(CaseScope::All, 100);
            f.applicant_key = Some(id.as_str().to_owned());
            let rows = state
                .engine
                .store()
                .cases()
                .list(f)
                .await
                .map_err(|e| api_error_page(&state, &page, e.into()))?;
            window_page(
                &state,
                &page,
                StatusCode::OK,
                "",
                Some((id.as_str().to_owned(), rows)),
            )
            .await
        }
        Err(e) => {
            window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                None,
            )
            .await
        }
    }
}

async fn window_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    found: Option<(String, Vec<CaseListRow>)>,
) -> PageResult {
    let list = |s: CaseStatus| {
        let mut f = CaseFilter::new(CaseScope::All, 100);
        f.status = Some(s);
        async move { state.engine.store().cases().list(f).await.unwrap_or_default() }
    };
    let (waiting, to_deliver) = (list(CaseStatus::Submitted).await, list(CaseStatus::Decided).await);
    let row = |r: &CaseListRow| context! { id => r.id, number => r.number.clone(), title => r.title.clone(), submitted => time(r.submitted_at), department => dept_name(state, &r.department) };
    let catalog = state.engine.catalog();
    let today = state.engine.calendar().local_date(now());
    Ok(render(
        state,
        page,
        "window.html",
        status,
        context! {
            waiting => waiting.iter().map(row).collect::<Vec<_>>(),
            to_deliver => to_deliver.iter().map(row).collect::<Vec<_>>(),
            items => catalog.items_on(today).iter().map(|i| context! { code => i.impl_code.to_string(), name => i.name.clone() }).collect::<Vec<_>>(),
            bundles => catalog.bundles_on(today).iter().map(|b| context! { code => b.code.to_string(), name => b.name.clone() }).collect::<Vec<_>>(),
            error => error,
            found => found.as_ref().map(|(id, rows)| context! {
                id => id.clone(),
                rows => rows.iter().map(|r| context! { ..row(r), ..context! { status_zh => r.status.zh() } }).collect::<Vec<_>>(),
            }),
        },
    ))
}

/// The window registers an application for a person or organisation (validated ID or 统一社会信用代码).
pub async fn window_register(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Clerk])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let parsed = (|| -> Result<Submission, String> {
        let id = ApplicantId::parse(&form.text("applicant_id")).map_err(|e| e.to_string())?;
        let name = form.text("applicant_name");
        if name.is_empty() {
            return Err(page.tr("请填写申请人姓名或单位名称。", "Give the applicant's name."));
        }
        let mobile = form
            .get("mobile")
            .filter(|m| !m.trim().is_empty())
            .map(Mobile::parse)
            .transpose()
            .map_err(|e| e.to_string())?;
        let subject = match form.text("subject").split_once(':') {
            Some(("item", c)) => SubjectRef::Item {
                code: Code::parse(c).map_err(|e| e.to_string())?,
            },
            Some(("bundle", c)) => SubjectRef::Bundle {
                code: Code::parse(c).map_err(|e| e.to_string())?,
            },
            _ => return Err(page.tr("请选择办理的事项或一件事。", "Choose the item or bundle.")),
        };
        Ok(Submission {
            subject,
            channel: Channel::Window,
            applicant: Applicant {
                id,
                name,
                mobile,
                user_id: None,
            },
            form: serde_json::json!({}),
            materials: vec![],
        })
    })();
    let submission = match parsed {
        Ok(s) => s,
        Err(m) => return window_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, &m, None).await,
    };
    match state.engine.open_case(&auth.actor, submission, None, now()).await {
        Ok(out) => Ok(Redirect::to(&format!("/cases/{}", out.state.id)).into_response()),
        Err(e) => {
            window_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &ApiError::from(e).message,
                None,
            )
            .await
        }
    }
}

pub async fn inbox(State(state): State<AppState>, page: Page) -> PageResult {
    let auth = page
        .require_role(
            &state,
            &[
                Role::Approver,
                Role::Supervisor,
                Role::GridMember,
                Role::Dispatcher,
            ],
        )?
        .clone();
    let dept = auth
        .user
        .department
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let d = dept.clone();
    let rows = state
        .engine
        .store()
        .inbox()
        .tasks(&d, None, 300, 0)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    let t = now();
    let (id, d2) = (auth.user.id, dept.clone());
    let notes = state
        .engine
        .store()
        .inbox()
        .notifications(id, Some(d2), 15)
        .await
        .unwrap_or_default();
    Ok(render(
        &state,
        &page,
        "inbox.html",
        StatusCode::OK,
        context! {
            department => dept_name(&state, &dept),
            rows => rows.iter().map(|r| {
                let colour = crate::api::clock_colour(r, t);
                let href = match r.kind {
                    AggregateKind::Ticket => format!("/tickets/{}", r.aggregate_id),
                    AggregateKind::Case => format!("/cases/{}", r.aggregate_id),
                };
                context! { case_id => r.aggregate_id, href => href,
                    kind => r.kind.as_str(), number => r.number.clone(), title => r.title.clone(), task => crate::api::task_name(&r.task),
                    role => r.role.clone(), opened => time(r.opened_at), due => r.due_at.map(time), colour => colour }
            }).collect::<Vec<_>>(),
            notifications => notes.iter().map(|n| context! { text => n.text.clone(), at => time(n.created_at), case_id => n.aggregate_id, kind => n.kind.clone() }).collect::<Vec<_>>(),
        },
    ))
}

pub async fn dashboard(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let auth = page
        .require_role(&state, &[Role::Leader, Role::Supervisor, Role::Admin])?
        .clone();
    let form = FormData::parse(q.unwrap_or_default().as_bytes());
    let today = state.engine.calendar().local_date(now());
    let default_from = today - chrono::Duration::days(180);
    let from = form
        .get("from")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(default_from);
    let to = form
        .get("to")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let department = if auth.user.role == Role::Supervisor {
        auth.user.department.as_ref().map(ToString::to_string)
    } else {
        None
    };
    let mut tables = Vec::new();
    for (group, zh, en) in [
        (GroupBy::Department, "按部门", "By department"),
        (GroupBy::Item, "按事项", "By item"),
        (GroupBy::Month, "按月份", "By month"),
    ] {
        let q = StatsQuery {
            group_by: group,
            from_day: Some(onego_store::day_number(from)),
            to_day: Some(onego_store::day_number(to)),
            department: department.clone(),
            item: None,
        };
        let rows = state
            .engine
            .store()
            .stats()
            .query(q)
            .await
            .map_err(|e| api_error_page(&state, &page, e.into()))?;
        let catalog = state.engine.catalog();
        let pct = |x: Option<f64>| {
            x.map(|v| format!("{:.1}%", v * 100.0))
                .unwrap_or_else(|| "—".into())
        };
        let rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                let label = crate::api::stats_label(&catalog, group, &r.key);
                let drill = match group {
                    GroupBy::Department => format!("/cases?department={}&from={from}&to={to}", r.key),
                    GroupBy::Item => format!("/cases?item={}&from={from}&to={to}", r.key),
                    _ => {
                        let y: i32 = r.key.get(..4).and_then(|s| s.parse().ok()).unwrap_or(2026);
                        let m: u32 = r.key.get(4..).and_then(|s| s.parse().ok()).unwrap_or(1);
                        let start = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(from);
                        let end = start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(to);
                        format!("/cases?from={start}&to={end}")
                    }
                };
                context! {
                    key => r.key.clone(), label => label, drill => drill,
                    accepted => r.accepted, decided => r.decided, completion => pct(r.completion_rate), on_time => pct(r.on_time_rate),
                    legal_on_time => pct(r.legal_on_time_rate), used => r.avg_used_days, promised => r.avg_promised_days, legal => r.avg_legal_days,
                    satisfaction => pct(r.satisfaction_rate), rated => r.rated, warning => r.warning_open, overdue => r.overdue_open,
                    on_time_value => r.on_time_rate.map(|v| (v * 1000.0).round() / 10.0),
                    satisfaction_value => r.satisfaction_rate.map(|v| (v * 1000.0).round() / 10.0),
                }
            })
            .collect();
        tables.push(
            context! { id => format!("{group:?}").to_lowercase(), title => page.tr(zh, en), rows => rows },
        );
    }
    let (a, b) = (onego_store::day_number(from), onego_store::day_number(to));
    let rates = state
        .engine
        .store()
        .tickets()
        .rates(a, b)
        .await
        .map_err(|e| api_error_page(&state, &page, e.into()))?;
    Ok(render(
        &state,
        &page,
        "dashboard.html",
        StatusCode::OK,
        context! {
            tables => tables, from => from.to_string(), to => to.to_string(),
            scope => department.clone().map(|d| dept_name(&state, &d)),
            rates => rates.iter().filter(|r| department.as_ref().is_none_or(|d| *d == r.department)).map(|r| {
                let pct = |v: Option<f64>| v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into());
                let val = |v: Option<f64>| v.map(|x| (x * 1000.0).round() / 10.0);
                context! { department => dept_name(&state, &r.department), tickets => r.tickets, closed => r.closed, returned => r.returned, overdue => r.overdue,
                    response => pct(r.response_rate), on_time => pct(r.on_time_rate), first_time => pct(r.first_time_resolution_rate),
                    resolution => pct(r.resolution_rate), satisfaction => pct(r.satisfaction_rate), return_rate => pct(r.return_rate), reopen => pct(r.reopen_rate),
                    response_value => val(r.response_rate), on_time_value => val(r.on_time_rate), satisfaction_value => val(r.satisfaction_rate),
                    first_time_value => val(r.first_time_resolution_rate), label => dept_name(&state, &r.department) }
            }).collect::<Vec<_>>(),
        },
    ))
}

// --- Administration ---------------------------------------------------------------------------------

pub async fn admin(State(state): State<AppState>, page: Page) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    admin_page(&state, &page, StatusCode::OK, "", "", "").await
}

async fn admin_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: &str,
    done: &str,
    source: &str,
) -> PageResult {
    let catalog = state.engine.catalog();
    let depts = departments(state);
    let users = state
        .engine
        .store()
        .users()
        .list()
        .await
        .map_err(|e| api_error_page(state, page, e.into()))?;
    let calendar = state.engine.calendar();
    let table = calendar.table();
    let today = state.engine.calendar().local_date(now());
    let mut latest: BTreeMap<String, &onego_domain::process::ProcessDefinition> = BTreeMap::new();
    for p in &catalog.processes {
        if latest.get(p.code.as_str()).is_none_or(|x| x.version < p.version) {
            latest.insert(p.code.to_string(), p);
        }
    }
    Ok(render(
        state,
        page,
        "admin.html",
        status,
        context! {
            error => error, done => done, source => source,
            processes => latest.values().map(|p| context! { code => p.code.to_string(), version => p.version, name => p.name.clone(), nodes => p.nodes.len(), svg => process_svg(p, &depts, None) }).collect::<Vec<_>>(),
            items => catalog.items_on(today).iter().map(|i| context! { ..item_view(state, page, i), ..context! { process => i.process.to_string(), materials => i.materials.len(), version => i.version } }).collect::<Vec<_>>(),
            bundles => catalog.bundles_on(today).iter().map(|b| context! { code => b.code.to_string(), name => b.name.clone(), members => b.members.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"), lead => dept_name(state, b.lead_department.as_str()), promised => limit_text(page, b.promised_limit) }).collect::<Vec<_>>(),
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone(), uscc => d.uscc.as_ref().map(ToString::to_string) }).collect::<Vec<_>>(),
            // Staff act in office under their names; applicants' accounts are citizens', shown masked.
            users => users.iter().map(|u| context! { username => u.username.clone(),
                name => match &u.applicant { Some(id) => onego_domain::privacy::applicant_name(id, &u.name, false), None => u.name.clone() },
                role => u.role.zh(), department => u.department.as_ref().map(|d| dept_name(state, d.as_str())) }).collect::<Vec<_>>(),
            years => table.years().map(|(y, n)| context! { year => y, notice => n }).collect::<Vec<_>>(),
            source_name => table.source(),
            roles => Role::ALL.iter().filter(|r| **r != Role::System).map(|r| context! { code => r.as_str(), name => r.zh() }).collect::<Vec<_>>(),
        },
    ))
}

pub async fn admin_process(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let source = form.get("source").unwrap_or("").to_owned();
    let def = match onego_domain::process::ProcessDefinition::from_toml(&source) {
        Ok(d) => d,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "",
                &source,
            )
            .await;
        }
    };
    if form.get("check_only").is_some() {
        let msg = format!(
            "{} {} v{}：{}",
            page.tr("校验通过", "Valid"),
            def.code,
            def.version,
            def.name
        );
        return admin_page(&state, &page, StatusCode::OK, "", &msg, &source).await;
    }
    let (code, version) = (def.code.to_string(), def.version);
    if let Err(e) = state
        .engine
        .store()
        .catalog()
        .save_process(def, onego_store::now_millis())
        .await
    {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).message,
            "",
            &source,
        )
        .await;
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {code} v{version}", page.tr("已导入流程", "Imported process")),
        "",
    )
    .await
}

pub async fn admin_user(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let role = Role::parse(&form.text("role")).filter(|r| *r != Role::System);
    let department = form
        .get("department")
        .filter(|d| !d.is_empty())
        .map(Code::parse)
        .transpose();
    let applicant = form
        .get("applicant_id")
        .filter(|d| !d.trim().is_empty())
        .map(ApplicantId::parse)
        .transpose();
    let (Some(role), Ok(department), Ok(applicant)) = (role, department, applicant) else {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page.tr(
                "角色、部门或证件号码无效。",
                "The role, department or ID is invalid.",
            ),
            "",
            "",
        )
        .await;
    };
    let new = onego_store::users::NewUser {
        username: form.text("username"),
        name: form.text("name"),
        role,
        department,
        applicant,
        mobile: None,
        password: form.get("password").unwrap_or("").to_owned(),
    };
    if let Err(e) = new.validate() {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &e.to_string(),
            "",
            "",
        )
        .await;
    }
    let username = new.username.clone();
    match state
        .engine
        .store()
        .users()
        .add(new, onego_store::now_millis())
        .await
    {
        Ok(_) => {
            admin_page(
                &state,
                &page,
                StatusCode::OK,
                "",
                &format!("{} {username}", page.tr("已添加用户", "Added user")),
                "",
            )
            .await
        }
        Err(e) => {
            admin_page(
                &state,
                &page,
                StatusCode::CONFLICT,
                &ApiError::from(e).message,
                "",
                "",
            )
            .await
        }
    }
}

pub async fn admin_department(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let code = match Code::parse(&form.text("code")) {
        Ok(c) => c,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "",
                "",
            )
            .await;
        }
    };
    let uscc = match form
        .get("uscc")
        .filter(|u| !u.trim().is_empty())
        .map(onego_domain::values::Uscc::parse)
        .transpose()
    {
        Ok(u) => u,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "",
                "",
            )
            .await;
        }
    };
    let name = form.text("name");
    if name.is_empty() {
        return admin_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page.tr("请填写部门名称。", "Give the department's name."),
            "",
            "",
        )
        .await;
    }
    let d = onego_domain::org::Department { code, name, uscc };
    let label = d.name.clone();
    if let Err(e) = state.engine.store().catalog().save_department(d).await {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).message,
            "",
            "",
        )
        .await;
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {label}", page.tr("已保存部门", "Saved department")),
        "",
    )
    .await
}

// --- Catalog editing: every save is a new version ---------------------------------------------------

const KINDS: [(&str, &str); 8] = [
    ("licensing", "行政许可"),
    ("confirmation", "行政确认"),
    ("benefit", "行政给付"),
    ("adjudication", "行政裁决"),
    ("award", "行政奖励"),
    ("filing", "行政备案"),
    ("other_power", "其他行政权力"),
    ("public_service", "公共服务"),
];

fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn item_form(item: Option<&ServiceItem>) -> Value {
    let Some(i) = item else {
        return context! { code => "", base => "", name => "", kind => "licensing", department => "", legal => "20wd", promised => "10wd",
        handling => "promised", visits => 1, process => "review-decide", result => "", result_type => "证照",
        place => "市政务服务中心一楼综合受理窗口", hours => "工作日 9:00-12:00，13:30-17:30", consult => "", complaint => "12345",
        conditions => "", fees => "", materials => "" };
    };
    context! {
        code => i.impl_code.to_string(), base => i.base_code.to_string(), name => i.name.clone(), kind => snake(&i.kind),
        department => i.department.to_string(), legal => i.legal_limit.compact(), promised => i.promised_limit.compact(),
        handling => snake(&i.handling), visits => i.visits_required, process => i.process.to_string(),
        result => i.result_name.clone(), result_type => i.result_type.clone(), place => i.place.clone(), hours => i.hours.clone(),
        consult => i.consult_phone.clone(), complaint => i.complaint_phone.clone(),
        conditions => i.conditions.join("\n"), fees => i.fees.join("\n"),
        materials => i.materials.iter().map(|m| format!("{} | {} | {} | {} | {}", m.code, m.name, snake(&m.necessity), snake(&m.source), snake(&m.kind))).collect::<Vec<_>>().join("\n"),
    }
}

fn item_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: Value,
    next_version: u32,
    error: &str,
) -> Response {
    let catalog = state.engine.catalog();
    let mut processes: Vec<String> = catalog.processes.iter().map(|p| p.code.to_string()).collect();
    processes.dedup();
    render(
        state,
        page,
        "admin_item.html",
        status,
        context! {
            item => form, next_version => next_version, error => error, processes => processes,
            kinds => KINDS.iter().map(|(c, n)| context! { code => *c, name => *n }).collect::<Vec<_>>(),
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone() }).collect::<Vec<_>>(),
        },
    )
}

fn latest_item(state: &AppState, code: &str) -> Option<ServiceItem> {
    let catalog = state.engine.catalog();
    catalog
        .items
        .iter()
        .filter(|i| i.impl_code.as_str() == code)
        .max_by_key(|i| i.version)
        .cloned()
}

pub async fn admin_item_edit(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    if code == "new" {
        return Ok(item_page(&state, &page, StatusCode::OK, item_form(None), 1, ""));
    }
    let item = latest_item(&state, &code).ok_or_else(|| {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个事项。", "There is no such service item."),
        )
    })?;
    Ok(item_page(
        &state,
        &page,
        StatusCode::OK,
        item_form(Some(&item)),
        item.version + 1,
        "",
    ))
}

fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned()))
        .map_err(|_| format!("{what} \"{}\" is not one of the allowed values", text.trim()))
}

fn item_from_form(form: &FormData, version: u32, today: chrono::NaiveDate) -> Result<ServiceItem, String> {
    let code = |k: &str| Code::parse(&form.text(k)).map_err(|e| format!("{k}: {e}"));
    let limit = |k: &str| form.text(k).parse::<Limit>().map_err(|e| format!("{k}: {e}"));
    let lines = |k: &str| {
        form.text(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut materials = Vec::new();
    for (n, line) in lines("materials").iter().enumerate() {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        if parts.len() != 5 {
            return Err(format!(
                "material line {}: write code | name | necessity | source | kind",
                n + 1
            ));
        }
        materials.push(MaterialSpec {
            code: Code::parse(parts[0]).map_err(|e| format!("material line {}: {e}", n + 1))?,
            name: parts[1].to_owned(),
            necessity: parse_enum("necessity", parts[2])?,
            source: parse_enum("source", parts[3])?,
            kind: parse_enum("kind", parts[4])?,
            form: onego_domain::catalog::MaterialForm::Either,
            copies: 1,
            blank_form: None,
            note: None,
        });
    }
    let item = ServiceItem {
        base_code: code("base")?,
        impl_code: code("code")?,
        version,
        effective_from: today,
        effective_until: None,
        name: form.text("name"),
        kind: parse_enum("kind", &form.text("kind"))?,
        department: code("department")?,
        legal_limit: limit("legal")?,
        promised_limit: limit("promised")?,
        handling: parse_enum("handling", &form.text("handling"))?,
        visits_required: form
            .text("visits")
            .parse()
            .map_err(|_| "visits must be 0 or 1".to_owned())?,
        online_depth: if form.text("visits") == "0" {
            onego_domain::catalog::OnlineDepth::FullyOnline
        } else {
            onego_domain::catalog::OnlineDepth::Online
        },
        conditions: lines("conditions"),
        materials,
        fees: lines("fees"),
        result_name: form.text("result"),
        result_type: form.text("result_type"),
        place: form.text("place"),
        hours: form.text("hours"),
        consult_phone: form.text("consult"),
        complaint_phone: form.text("complaint"),
        process: code("process")?,
    };
    item.validate().map_err(|e| e.to_string())?;
    Ok(item)
}

pub async fn admin_item_save(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let version = latest_item(&state, &form.text("code"))
        .map(|i| i.version + 1)
        .unwrap_or(1);
    let today = state.engine.calendar().local_date(now());
    let echo = || {
        let keys = [
            "code",
            "base",
            "name",
            "kind",
            "department",
            "legal",
            "promised",
            "handling",
            "process",
            "result",
            "result_type",
            "place",
            "hours",
            "consult",
            "complaint",
            "conditions",
            "fees",
            "materials",
        ];
        let mut map: BTreeMap<String, Value> = keys
            .iter()
            .map(|k| (k.to_string(), Value::from(form.text(k))))
            .collect();
        map.insert(
            "visits".into(),
            Value::from(form.text("visits").parse::<i64>().unwrap_or(1)),
        );
        Value::from(map)
    };
    let item = match item_from_form(&form, version, today) {
        Ok(i) => i,
        Err(e) => {
            return Ok(item_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                echo(),
                version,
                &e,
            ));
        }
    };
    if state.engine.catalog().department(&item.department).is_none()
        || state.engine.catalog().latest_process(&item.process).is_none()
    {
        return Ok(item_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            echo(),
            version,
            &page.tr("部门或流程不存在。", "The department or process does not exist."),
        ));
    }
    let name = item.name.clone();
    if let Err(e) = state.engine.store().catalog().save_item(item).await {
        return Ok(item_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            echo(),
            version,
            &ApiError::from(e).message,
        ));
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {name} v{version}", page.tr("已保存事项", "Saved item")),
        "",
    )
    .await
}

fn latest_bundle(state: &AppState, code: &str) -> Option<onego_domain::catalog::Bundle> {
    state
        .engine
        .catalog()
        .bundles
        .iter()
        .filter(|b| b.code.as_str() == code)
        .max_by_key(|b| b.version)
        .cloned()
}

fn bundle_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: Value,
    next_version: u32,
    error: &str,
) -> Response {
    let catalog = state.engine.catalog();
    render(
        state,
        page,
        "admin_bundle.html",
        status,
        context! {
            bundle => form, next_version => next_version, error => error,
            departments => catalog.departments.iter().map(|d| context! { code => d.code.to_string(), name => d.name.clone() }).collect::<Vec<_>>(),
        },
    )
}

pub async fn admin_bundle_edit(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    if code == "new" {
        let empty = context! { code => "", name => "", lead => "approval", promised => "5wd", result => "", description => "", members => "", fields => "" };
        return Ok(bundle_page(&state, &page, StatusCode::OK, empty, 1, ""));
    }
    let b = latest_bundle(&state, &code).ok_or_else(|| {
        error_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            &page.tr("没有这个“一件事”。", "There is no such bundle."),
        )
    })?;
    let form = context! {
        code => b.code.to_string(), name => b.name.clone(), lead => b.lead_department.to_string(), promised => b.promised_limit.compact(),
        result => b.result_name.clone(), description => b.description.clone(),
        members => b.members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        fields => b.form_fields.iter().map(|f| format!("{} | {} | {} | {}", f.key, f.label, if f.required { "yes" } else { "no" }, f.field_type)).collect::<Vec<_>>().join("\n"),
    };
    Ok(bundle_page(
        &state,
        &page,
        StatusCode::OK,
        form,
        b.version + 1,
        "",
    ))
}

pub async fn admin_bundle_save(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    page.require_role(&state, &[Role::Admin])?;
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let version = latest_bundle(&state, &form.text("code"))
        .map(|b| b.version + 1)
        .unwrap_or(1);
    let today = state.engine.calendar().local_date(now());
    let echo = || {
        let keys = [
            "code",
            "name",
            "lead",
            "promised",
            "result",
            "description",
            "members",
            "fields",
        ];
        Value::from(
            keys.iter()
                .map(|k| (k.to_string(), Value::from(form.text(k))))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let parsed = (|| -> Result<onego_domain::catalog::Bundle, String> {
        let mut fields = Vec::new();
        for (n, line) in form
            .text("fields")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let p: Vec<&str> = line.split('|').map(str::trim).collect();
            if p.len() != 4 {
                return Err(format!(
                    "form field line {}: write key | label | yes/no | text/number/date",
                    n + 1
                ));
            }
            fields.push(FormField {
                key: p[0].to_owned(),
                label: p[1].to_owned(),
                required: p[2] == "yes",
                field_type: p[3].to_owned(),
                choices: vec![],
            });
        }
        let members = form
            .text("members")
            .split([',', '，', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| Code::parse(s).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let b = onego_domain::catalog::Bundle {
            code: Code::parse(&form.text("code")).map_err(|e| e.to_string())?,
            version,
            effective_from: today,
            name: form.text("name"),
            description: form.text("description"),
            members,
            lead_department: Code::parse(&form.text("lead")).map_err(|e| e.to_string())?,
            promised_limit: form
                .text("promised")
                .parse::<Limit>()
                .map_err(|e| e.to_string())?,
            result_name: form.text("result"),
            form_fields: fields,
        };
        let catalog = state.engine.catalog();
        let items: Vec<ServiceItem> = catalog.items_on(today).into_iter().cloned().collect();
        b.validate(&items).map_err(|e| e.to_string())?;
        Ok(b)
    })();
    let bundle = match parsed {
        Ok(b) => b,
        Err(e) => {
            return Ok(bundle_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                echo(),
                version,
                &e,
            ));
        }
    };
    let name = bundle.name.clone();
    if let Err(e) = state.engine.store().catalog().save_bundle(bundle).await {
        return Ok(bundle_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            echo(),
            version,
            &ApiError::from(e).message,
        ));
    }
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!("{} {name} v{version}", page.tr("已保存一件事", "Saved bundle")),
        "",
    )
    .await
}

/// An administrator loads a holiday table file (a new year's notice, local rest days): validated against
/// the table in force, stored, and put in force at once.
pub async fn admin_holidays(State(state): State<AppState>, page: Page, body: Bytes) -> PageResult {
    let auth = page.require_role(&state, &[Role::Admin])?.clone();
    let form = FormData::parse(&body);
    page.check_csrf(&state, form.get("csrf"))?;
    let source = form.get("holidays").unwrap_or("").to_owned();
    let name = format!("admin upload {}", time(now()));
    let current = state.engine.calendar();
    let merged = onego_calendar::HolidayTable::from_toml_str(&source, &name)
        .and_then(|extra| current.table().clone().overlay(extra));
    let table = match merged {
        Ok(t) => t,
        Err(e) => {
            return admin_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "",
                "",
            )
            .await;
        }
    };
    let span = table
        .year_span()
        .map(|(a, b)| format!("{a}-{b}"))
        .unwrap_or_default();
    let (n, src, by) = (name.clone(), source.clone(), auth.user.username.clone());
    if let Err(e) = state
        .engine
        .store()
        .catalog()
        .save_holiday_file(n, src, by, onego_store::now_millis())
        .await
    {
        return admin_page(
            &state,
            &page,
            StatusCode::CONFLICT,
            &ApiError::from(e).message,
            "",
            "",
        )
        .await;
    }
    // Every server reloads the stored files (this one at once, the others within a second).
    let _ = state.engine.reload_config().await;
    admin_page(
        &state,
        &page,
        StatusCode::OK,
        "",
        &format!(
            "{} {span}",
            page.tr("节假日表已生效，覆盖年份", "Holiday table in force, covering")
        ),
        "",
    )
    .await
}
