//! The HTML pages: server-rendered templates (minijinja) with htmx, Chinese by default with an English
//! switch, an elder-friendly mode on every page, and vendored front-end files (no download at build or
//! run time).

pub mod admin;
pub mod agency;
pub mod apply;
pub mod archive;
pub mod case_files;
pub mod cases;
pub mod catalog_edit;
pub mod certificates;
pub mod commands;
pub mod dashboard;
mod diagram;
pub mod form;
pub mod grid;
pub mod hotline;
pub mod inbox;
pub mod message_templates;
pub mod notifications;
pub mod outbox;
pub mod portal;
pub mod projects;
pub mod public;
pub mod reform;
pub mod review;
pub mod session;
pub mod tokens;
pub mod view;
pub mod window;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Environment, Value, context};
use onego_domain::labels::Label;
use onego_domain::org::Role;

use crate::AppState;
use crate::auth::{Auth, authenticate_on, cookie};
use crate::error::ApiError;

pub use diagram::svg as process_svg;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("guide.html", include_str!("../../templates/guide.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("apply.html", include_str!("../../templates/apply.html")),
    ("cases.html", include_str!("../../templates/cases.html")),
    ("case.html", include_str!("../../templates/case.html")),
    ("window.html", include_str!("../../templates/window.html")),
    ("inbox.html", include_str!("../../templates/inbox.html")),
    ("dashboard.html", include_str!("../../templates/dashboard.html")),
    ("admin.html", include_str!("../../templates/admin.html")),
    ("admin_item.html", include_str!("../../templates/admin_item.html")),
    (
        "admin_bundle.html",
        include_str!("../../templates/admin_bundle.html"),
    ),
    ("notice.html", include_str!("../../templates/notice.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "hotline_intake.html",
        include_str!("../../templates/hotline_intake.html"),
    ),
    (
        "hotline_board.html",
        include_str!("../../templates/hotline_board.html"),
    ),
    ("ticket.html", include_str!("../../templates/ticket.html")),
    (
        "grid_report.html",
        include_str!("../../templates/grid_report.html"),
    ),
    ("request.html", include_str!("../../templates/request.html")),
    ("track.html", include_str!("../../templates/track.html")),
    ("tokens.html", include_str!("../../templates/tokens.html")),
    (
        "certificate_verify.html",
        include_str!("../../templates/certificate_verify.html"),
    ),
    (
        "certificates.html",
        include_str!("../../templates/certificates.html"),
    ),
    ("archive.html", include_str!("../../templates/archive.html")),
    ("projects.html", include_str!("../../templates/projects.html")),
    ("agreements.html", include_str!("../../templates/agreements.html")),
    ("reform.html", include_str!("../../templates/reform.html")),
    ("agreement.html", include_str!("../../templates/agreement.html")),
    ("agent.html", include_str!("../../templates/agent.html")),
    ("project.html", include_str!("../../templates/project.html")),
    (
        "project_board.html",
        include_str!("../../templates/project_board.html"),
    ),
    (
        "project_flow.html",
        include_str!("../../templates/project_flow.html"),
    ),
    (
        "archive_record.html",
        include_str!("../../templates/archive_record.html"),
    ),
    (
        "certificate.html",
        include_str!("../../templates/certificate.html"),
    ),
    (
        "notifications.html",
        include_str!("../../templates/notifications.html"),
    ),
    (
        "admin_outbox.html",
        include_str!("../../templates/admin_outbox.html"),
    ),
    (
        "admin_message.html",
        include_str!("../../templates/admin_message.html"),
    ),
    (
        "admin_templates.html",
        include_str!("../../templates/admin_templates.html"),
    ),
    (
        "admin_template.html",
        include_str!("../../templates/admin_template.html"),
    ),
    (
        "admin_calendar.html",
        include_str!("../../templates/admin_calendar.html"),
    ),
];

/// The compiled templates, shared by every request.
pub struct Templates {
    env: Environment<'static>,
}

/// `t("中文", "English")`: the text in the page's language.
fn t(state: &minijinja::State<'_, '_>, zh: String, en: String) -> String {
    match state
        .lookup("lang")
        .as_ref()
        .and_then(|v| v.as_str().map(str::to_owned))
    {
        Some(l) if l == "en" => en,
        _ => zh,
    }
}

/// `{{ field_error("phone") }}`: the mistake in the field `phone` (from the view's `errors`), shown
/// beside it; nothing when the field is fine.
fn field_error(state: &minijinja::State<'_, '_>, name: String) -> Value {
    match field_message(state, &name) {
        Some(text) => Value::from_safe_string(format!(
            r#"<p class="field-error" id="{}-error">{}</p>"#,
            minijinja::HtmlEscape(&name),
            minijinja::HtmlEscape(&text)
        )),
        None => Value::from(""),
    }
}

/// `<input … {{ invalid("phone") }}>`: marks a field with a mistake for assistive technology and
/// points at its message.
fn invalid(state: &minijinja::State<'_, '_>, name: String) -> Value {
    match field_message(state, &name) {
        Some(_) => Value::from_safe_string(format!(
            r#"aria-invalid="true" aria-describedby="{}-error""#,
            minijinja::HtmlEscape(&name)
        )),
        None => Value::from(""),
    }
}

fn field_message(state: &minijinja::State<'_, '_>, name: &str) -> Option<String> {
    let errors = state.lookup("errors")?;
    let m = errors.get_attr(name).ok()?;
    m.as_str().map(str::to_owned).filter(|s| !s.is_empty())
}

impl Templates {
    pub fn new() -> Result<Templates, minijinja::Error> {
        let mut env = Environment::new();
        // In debug and test builds a template that prints or reads into a variable its view does not
        // have fails loudly (an error page, a failing test) instead of rendering empty; `{% if x %}` on
        // a missing value stays allowed. Release builds stay lenient: a person never sees a template error.
        if cfg!(debug_assertions) {
            env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        }
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        env.add_function("t", t);
        env.add_function("field_error", field_error);
        env.add_function("invalid", invalid);
        // A limit written as 20wd, split for a number field and a unit choice.
        env.add_function("limit_n", |v: String| -> String {
            v.chars().take_while(char::is_ascii_digit).collect()
        });
        env.add_function("limit_unit", |v: String| -> String {
            v.chars().skip_while(char::is_ascii_digit).collect()
        });
        Ok(Templates { env })
    }
}

/// The page's language: the one the domain's labels know.
pub use onego_domain::labels::Lang;

/// Everything a page needs about the request: who (if anyone), language, elder mode, the path.
pub struct Page {
    pub auth: Option<Auth>,
    pub lang: Lang,
    pub elder: bool,
    pub path: String,
    /// A form was sent (POST): losing the session then must not lose what was typed.
    pub posted: bool,
    /// The browser sent a session cookie that no longer opens a session: it expired or was ended.
    pub expired: bool,
    /// The page a form was sent from (same site only), where the user returns after logging in again.
    pub from: Option<String>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = match cookie(&parts.headers, "lang") {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        let elder = cookie(&parts.headers, "elder") == Some("1");
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let auth = match authenticate_on(parts, state, onego_domain::policy::Surface::Pages).await {
            Ok(a) => a,
            Err(e) => return Err(e.into_response()),
        };
        let expired = auth.is_none() && cookie(&parts.headers, crate::auth::SESSION_COOKIE).is_some();
        let from = parts
            .headers
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| axum::http::Uri::try_from(r).ok())
            .filter(|u| {
                u.authority().is_none()
                    || u.authority()
                        == parts
                            .headers
                            .get(header::HOST)
                            .and_then(|h| h.to_str().ok())
                            .and_then(|h| h.parse().ok())
                            .as_ref()
            })
            .and_then(|u| u.path_and_query().map(|p| p.as_str().to_owned()))
            .filter(|p| crate::edge::local_path(p).is_some());
        Ok(Page {
            auth,
            lang,
            elder,
            path,
            posted: parts.method == axum::http::Method::POST,
            expired,
            from,
        })
    }
}

impl Page {
    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }

    pub fn tr(&self, zh: &str, en: &str) -> String {
        if self.en() { en.to_owned() } else { zh.to_owned() }
    }

    /// The logged-in user, or a redirect to the login page that comes back here.
    #[allow(clippy::result_large_err)]
    pub fn require(&self) -> Result<&Auth, Response> {
        self.auth.as_ref().ok_or_else(|| {
            // A form sent without a session returns, after logging in, to the page it was filled on,
            // where the browser puts back what was typed (static/forms.js keeps it for this tab only).
            let (back, resume) = match (&self.from, self.posted) {
                (Some(from), true) => (from.as_str(), true),
                _ => (self.path.as_str(), false),
            };
            let next = form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>();
            let mut to = format!("/login?next={next}");
            if self.expired {
                to.push_str("&expired=1");
            }
            if resume {
                to.push_str("&resume=1");
            }
            // 303: the browser follows with a GET whatever the method was.
            Redirect::to(&to).into_response()
        })
    }

    /// The logged-in user with one of `roles`, or a 403 page.
    #[allow(clippy::result_large_err)]
    pub fn require_role(&self, state: &AppState, roles: &[Role]) -> Result<&Auth, Response> {
        let auth = self.require()?;
        if roles.contains(&auth.user.role) {
            Ok(auth)
        } else {
            Err(error_page(
                state,
                self,
                StatusCode::FORBIDDEN,
                &self.tr("您的账号无权访问此页面。", "Your account may not open this page."),
            ))
        }
    }

    /// Checks the form's CSRF field against the session.
    #[allow(clippy::result_large_err)]
    pub fn check_csrf(&self, state: &AppState, sent: Option<&str>) -> Result<(), Response> {
        match &self.auth {
            Some(a) if !a.csrf.is_empty() && sent == Some(a.csrf.as_str()) => Ok(()),
            _ => Err(error_page(
                state,
                self,
                StatusCode::FORBIDDEN,
                &self.tr(
                    "表单已过期，请返回刷新页面后重试。",
                    "The form has expired; go back, reload the page and try again.",
                ),
            )),
        }
    }
}

/// The navigation a role sees.
fn nav(state: &AppState, page: &Page) -> Vec<Value> {
    let tr = |zh: &str, en: &str| page.tr(zh, en);
    let mut items = vec![context! { href => "/", label => tr("办事大厅", "Services") }];
    if let Some(a) = &page.auth {
        match a.user.role {
            Role::Applicant => {
                items.push(context! { href => "/cases", label => tr("我的办件", "My cases") });
                items.push(context! { href => "/certificates", label => tr("我的证照", "My certificates") });
                items.push(context! { href => "/archive", label => tr("我的档案", "My records") });
                if matches!(
                    a.user.applicant,
                    Some(onego_domain::values::ApplicantId::Organisation { .. })
                ) {
                    items.push(context! { href => "/projects", label => tr("我的项目", "My projects") });
                }
            }
            Role::Clerk => {
                items.push(context! { href => "/window", label => tr("综合窗口", "Window desk") });
                items.push(context! { href => "/cases", label => tr("办件查询", "Cases") });
            }
            Role::Approver | Role::Supervisor => {
                items.push(context! { href => "/inbox", label => tr("待办工作台", "Inbox") });
                items.push(context! { href => "/cases", label => tr("本部门办件", "Department cases") });
                items.push(context! { href => "/archive", label => tr("档案查询", "Archive") });
                items.push(context! { href => "/projects", label => tr("重大项目", "Projects") });
            }
            Role::Leader => {
                items.push(context! { href => "/dashboard", label => tr("领导驾驶舱", "Dashboard") });
                items.push(context! { href => "/projects", label => tr("重大项目", "Projects") });
                items.push(context! { href => "/cases", label => tr("办件查询", "Cases") });
            }
            Role::Admin => {
                items.push(context! { href => "/admin", label => tr("系统管理", "Administration") })
            }
            Role::Operator => {
                items.push(context! { href => "/hotline/intake", label => tr("诉求受理", "Intake") });
                items.push(context! { href => "/hotline/tickets", label => tr("诉求查询", "Requests") });
            }
            Role::Dispatcher => {
                items.push(context! { href => "/hotline/dispatch", label => tr("派单台", "Dispatch") });
                items.push(context! { href => "/hotline/visits", label => tr("回访", "Return visits") });
                items.push(context! { href => "/hotline/supervision", label => tr("督办", "Supervision") });
                items.push(context! { href => "/hotline/tickets", label => tr("诉求查询", "Requests") });
            }
            Role::GridMember => {
                items.push(context! { href => "/grid/report", label => tr("事件上报", "Report") });
                items.push(context! { href => "/inbox", label => tr("网格待办", "Inbox") });
            }
            Role::Agent => {
                items.push(context! { href => "/agent", label => tr("代办工作台", "Agent desk") });
                items.push(context! { href => "/cases", label => tr("代办的办件", "Cases I carry") });
                items.push(context! { href => "/projects", label => tr("代办的项目", "Projects I carry") });
                items.push(context! { href => "/agreements", label => tr("代办协议", "Agreements") });
            }
            Role::System => {}
        }
        // The agency centre (stewards) records agreements; an enterprise reads its own and its agent's steps.
        let enterprise = a.user.role == Role::Applicant
            && matches!(
                a.user.applicant,
                Some(onego_domain::values::ApplicantId::Organisation { .. })
            );
        if enterprise || state.engine.is_agency_centre(&a.actor) {
            items.push(context! { href => "/agreements", label => tr("帮办代办", "Agency") });
        }
        if matches!(a.user.role, Role::Approver | Role::Supervisor) {
            items.push(context! { href => "/hotline/tickets", label => tr("本部门诉求", "Requests") });
        }
        if matches!(a.user.role, Role::Leader) {
            items.push(context! { href => "/hotline/supervision", label => tr("督办", "Supervision") });
        }
        if matches!(a.user.role, Role::Supervisor) {
            items.push(context! { href => "/dashboard", label => tr("部门统计", "Statistics") });
        }
        if matches!(a.user.role, Role::Leader | Role::Supervisor | Role::Admin) {
            items.push(context! { href => "/reform", label => tr("改革成效", "Reform ledger") });
        }
    }
    items
}

/// Renders a template with the common context (language, elder mode, user, CSRF token, navigation).
pub fn render(state: &AppState, page: &Page, name: &str, status: StatusCode, ctx: Value) -> Response {
    let user = page.auth.as_ref().map(|a| {
        context! {
            name => a.user.name.clone(),
            username => a.user.username.clone(),
            role => a.user.role.as_str(),
            role_label => a.user.role.label(page.lang),
            department => a.user.department.as_ref().map(ToString::to_string),
        }
    });
    let common = context! {
        lang => if page.en() { "en" } else { "zh" },
        elder => page.elder,
        path => page.path.clone(),
        user => user,
        csrf => page.auth.as_ref().map(|a| a.csrf.clone()).unwrap_or_default(),
        nav => nav(state, page),
        demo => state.demo,
    };
    let merged = context! { ..ctx, ..common };
    match state
        .templates
        .env
        .get_template(name)
        .and_then(|t| t.render(merged))
    {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(format!("<p>page error: {}</p>", html_escape(&e.to_string()))),
            )
                .into_response()
        }
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn error_page(state: &AppState, page: &Page, status: StatusCode, message: &str) -> Response {
    render(
        state,
        page,
        "error.html",
        status,
        context! { status => status.as_u16(), message => message },
    )
}

/// An API error shown as a page.
pub fn api_error_page(state: &AppState, page: &Page, e: ApiError) -> Response {
    error_page(state, page, e.status, &e.text(page.lang))
}

/// A QR code of `url` as inline SVG.
pub fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(140, 140)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

// --- Static files -----------------------------------------------------------------------------------

const STATIC: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "docs.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/docs.css"),
    ),
    ("favicon.svg", "image/svg+xml", FAVICON),
    (
        "forms.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/forms.js"),
    ),
    (
        "vendor/htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "vendor/echarts-5.6.0.common.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/echarts-5.6.0.common.min.js"),
    ),
];

/// Each static file gzipped once, at its first request (text compresses to a fraction: the charting
/// library from 664 KB to about 220 KB).
fn gzipped(index: usize) -> Option<&'static [u8]> {
    static GZ: std::sync::OnceLock<Vec<Option<Vec<u8>>>> = std::sync::OnceLock::new();
    let all = GZ.get_or_init(|| {
        STATIC
            .iter()
            .map(|(_, mime, bytes)| {
                if !(mime.starts_with("text/") || mime.starts_with("image/svg")) || bytes.len() < 1024 {
                    return None;
                }
                let mut enc = libflate::gzip::Encoder::new(Vec::new()).ok()?;
                std::io::Write::write_all(&mut enc, bytes).ok()?;
                enc.finish().into_result().ok()
            })
            .collect()
    });
    all.get(index).and_then(|g| g.as_deref())
}

pub async fn static_file(
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some((index, (name, mime, bytes))) =
        STATIC.iter().enumerate().find(|(_, (name, _, _))| *name == path)
    else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    // Vendored files carry their version in the name and never change: cache them for a year.
    let cache = if name.starts_with("vendor/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    match gzipped(index).filter(|_| accepts_gzip) {
        Some(gz) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, cache),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "Accept-Encoding"),
            ],
            gz,
        )
            .into_response(),
        None => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, cache),
                (header::VARY, "Accept-Encoding"),
            ],
            *bytes,
        )
            .into_response(),
    }
}

/// Any address onego does not know: a page that says so and leads back, in the reader's language
/// (the API answers its own JSON 404).
pub async fn not_found_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    page: Page,
) -> Response {
    error_page(
        &state,
        &page,
        StatusCode::NOT_FOUND,
        &page.tr(
            "没有这个页面。请检查地址，或从首页查找要办的事项。",
            "There is no such page. Check the address, or start from the home page.",
        ),
    )
}

/// The favicon browsers ask for at the root.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

const FAVICON: &[u8] = include_bytes!("../../static/favicon.svg");

#[cfg(test)]
mod tests {
    #[test]
    fn a_template_that_prints_a_variable_its_view_lacks_fails_in_test_builds() {
        let t = super::Templates::new().expect("templates");
        assert!(t.env.render_str("{{ missing }}", minijinja::context! {}).is_err());
        assert!(
            t.env
                .render_str(
                    "{{ view.missing }}",
                    minijinja::context! { view => minijinja::context! {} }
                )
                .is_err()
        );
        // Asking whether it is there stays allowed.
        assert_eq!(
            t.env
                .render_str("{% if missing %}x{% else %}y{% endif %}", minijinja::context! {})
                .expect("renders"),
            "y"
        );
    }
}
