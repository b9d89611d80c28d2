//! onego's HTTP layer: the JSON API under `/api/v1` (described by OpenAPI), sessions and API tokens,
//! `/healthz` and Prometheus `/metrics`. It knows HTTP, not SQL: every read and write goes through
//! the engine and the store's functions.

pub mod api;
pub mod auth;
pub mod edge;
pub mod error;
pub mod held_files;
pub mod metrics;
pub mod open311;
pub mod privacy;
pub mod ui;
pub mod views;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use onego_store::engine::Engine;
use utoipa::OpenApi;

use crate::error::ApiError;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub metrics: Arc<metrics::Metrics>,
    pub templates: Arc<ui::Templates>,
    pub started: Instant,
    /// Started with `--demo`: every page says so.
    pub demo: bool,
    /// Cookies always carry `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
    /// A reverse proxy in front is trusted: the client's address comes from `X-Forwarded-For` and the
    /// scheme from `X-Forwarded-Proto`.
    pub trust_proxy: bool,
    /// The address people reach onego at (`https://zwfw.example.gov.cn`), printed in QR codes and
    /// documents; without it, the address the request came to.
    pub public_url: Option<String>,
}

impl AppState {
    pub fn new(engine: Arc<Engine>) -> Self {
        // The templates are compiled into the binary and checked by the tests; a broken one is a build bug.
        let templates =
            ui::Templates::new().unwrap_or_else(|e| panic!("a page template does not compile: {e:#}"));
        // Made now rather than at the first log-in with an unknown name, which would take twice as long.
        let _ = onego_store::users::dummy_hash();
        AppState {
            engine,
            metrics: Arc::new(metrics::Metrics::default()),
            templates: Arc::new(templates),
            started: Instant::now(),
            demo: false,
            secure_cookies: false,
            trust_proxy: false,
            public_url: None,
        }
    }

    /// The public address to print (QR codes, documents): the configured one, or the scheme and host
    /// the request came to.
    pub fn public_base(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
            })
            .unwrap_or("localhost");
        let scheme = if self.secure_cookies { "https" } else { "http" };
        format!("{scheme}://{host}")
    }
}

/// Largest upload request (several material files).
pub const UPLOAD_LIMIT: usize = 40 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "onego API", description = "onego (一次办好): catalog, cases (办件), inbox, statistics. \
        Log in with POST /api/v1/session (cookie; send X-CSRF-Token on changes) or use a bearer token \
        from POST /api/v1/tokens. Errors are JSON {code, message}."),
    paths(
        api::catalog_list, api::item_guide, api::bundle_guide,
        api::login, api::logout, api::whoami, api::contact::get_contact, api::contact::put_contact,
        api::tokens::create_token, api::tokens::list_tokens, api::tokens::revoke_token,
        api::create_case, api::list_cases, api::get_case, api::act, api::verify,
        api::inbox, api::notifications, api::statistics,
        api::tickets::create_ticket, api::tickets::list_tickets, api::tickets::get_ticket, api::tickets::act_on_ticket,
        api::tickets::suggest, api::tickets::rates, api::tickets::categories,
        api::certificates::verify, api::certificates::mine, api::certificates::get_one, api::certificates::command,
        api::certificates::import_shared_data, api::certificates::pdf, api::cases::decision_letter_pdf,
        api::projects::create, api::projects::list, api::projects::get_one, api::projects::command,
        api::agreements::create, api::agreements::list, api::agreements::get_one, api::agreements::command,
        api::reform::ledger, api::reform::put_baseline,
    ),
    tags(
        (name = "catalog", description = "服务事项与一件事"),
        (name = "session", description = "登录、令牌"),
        (name = "cases", description = "办件、待办、通知"),
        (name = "statistics", description = "统计"),
        (name = "certificates", description = "电子证照：公开核验、我的证照、用证与暂停、注销"),
        (name = "projects", description = "重大项目：项目登记、审批计划、分阶段推进"),
        (name = "agreements", description = "帮办代办：代办协议的登记、终止与续签"),
        (name = "tickets", description = "12345诉求、网格事件、企业吹哨：受理、派单、办理、回访、督办、比率"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as served: the operations utoipa describes, plus what every operation may
/// answer besides its own results, added here in one place so no operation forgets one:
/// 400 (malformed or out-of-range input) everywhere; 413, 415 and 422 wherever a body is sent; 404
/// wherever a path names something; 401 and 403 wherever a caller must be known; 429 at log-in.
pub fn openapi_document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let error = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let public = |path: &str, method: &str| {
        path.starts_with("/api/v1/catalog")
            || path == "/api/v1/tickets/categories"
            || (path == "/api/v1/session" && method == "delete")
    };
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                let has_body = op.get("requestBody").is_some();
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                    continue;
                };
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description));
                };
                add(
                    "400",
                    "The query, path or body is malformed or out of range; the message says which.",
                );
                if has_body {
                    add("413", "The body is larger than allowed.");
                    add(
                        "415",
                        "The body is not JSON (send Content-Type: application/json).",
                    );
                    add(
                        "422",
                        "The body is JSON but does not fit this request; the message says what to change.",
                    );
                }
                if path.contains('{') {
                    add("404", "There is no such thing, or none the caller may see.");
                }
                if path == "/api/v1/session" && method == "post" {
                    add("401", "The username or password is wrong.");
                    add(
                        "429",
                        "Too many failed log-ins; Retry-After says when to try again.",
                    );
                } else if !public(path, method) {
                    add("401", "Log in first, or send a valid token.");
                    add("403", "The caller may not do this (role, scope, or CSRF token).");
                }
            }
        }
    }
    if let Some(components) = doc.get_mut("components").and_then(|c| c.as_object_mut()) {
        components.insert(
            "securitySchemes".into(),
            serde_json::json!({
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token from POST /api/v1/tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "onego_session",
                    "description": "the session cookie from POST /api/v1/session; send X-CSRF-Token on changes"}
            }),
        );
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "security".into(),
            serde_json::json!([{"bearer": []}, {"session": []}, {}]),
        );
    }
    doc
}

async fn openapi_json() -> impl IntoResponse {
    axum::Json(openapi_document())
}

/// A readable page of the API, rendered from the OpenAPI document on the server (no scripts).
async fn docs_page() -> Html<String> {
    let doc = openapi_document();
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>onego API</title>\
         <link rel=\"stylesheet\" href=\"/static/docs.css\"></head><body><h1>onego API</h1>",
    );
    if let Some(d) = doc.pointer("/info/description").and_then(|v| v.as_str()) {
        html.push_str(&format!("<p>{}</p>", esc(d)));
    }
    html.push_str("<p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a></p>");
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let summary = op.get("summary").and_then(|v| v.as_str()).unwrap_or("");
                let description = op.get("description").and_then(|v| v.as_str()).unwrap_or("");
                let responses: Vec<&String> = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().collect())
                    .unwrap_or_default();
                html.push_str(&format!(
                    "<div class=\"op\"><span class=\"m\">{}</span> <code>{}</code><p>{} {}</p><p>Responses: {}</p></div>",
                    esc(method),
                    esc(path),
                    esc(summary),
                    esc(description),
                    responses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    html.push_str("</body></html>");
    Html(html)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.engine.store().ping().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    // A database that cannot be read leaves the delivery figures out rather than failing the scrape.
    let delivery = state
        .engine
        .store()
        .outbox()
        .figures(onego_store::now_millis())
        .await
        .ok();
    let body = state.metrics.render(&state, delivery.as_ref());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe(response.status(), started.elapsed());
    response
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method; see /api/v1/docs",
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such API route; see /api/v1/docs")
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/catalog", get(api::catalog_list))
        .route("/catalog/items/{code}", get(api::item_guide))
        .route("/catalog/bundles/{code}", get(api::bundle_guide))
        .route("/session", post(api::login).delete(api::logout))
        .route("/me", get(api::whoami))
        .route(
            "/me/contact",
            get(api::contact::get_contact).put(api::contact::put_contact),
        )
        .route(
            "/tokens",
            post(api::tokens::create_token).get(api::tokens::list_tokens),
        )
        .route("/tokens/{id}", axum::routing::delete(api::tokens::revoke_token))
        .route("/cases", post(api::create_case).get(api::list_cases))
        .route(
            "/cases/{id}/decision-letter",
            get(api::cases::decision_letter_pdf),
        )
        .route("/cases/{id}", get(api::get_case))
        .route("/cases/{id}/commands", post(api::act))
        .route("/cases/{id}/verify", get(api::verify))
        .route("/certificates", get(api::certificates::mine))
        .route(
            "/certificates/verify/{identifier}",
            get(api::certificates::verify),
        )
        .route("/certificates/{id}", get(api::certificates::get_one))
        .route("/certificates/{id}/pdf", get(api::certificates::pdf))
        .route("/certificates/{id}/commands", post(api::certificates::command))
        .route("/shared-data", post(api::certificates::import_shared_data))
        .route("/projects", post(api::projects::create).get(api::projects::list))
        .route("/projects/{id}", get(api::projects::get_one))
        .route("/projects/{id}/commands", post(api::projects::command))
        .route(
            "/agreements",
            post(api::agreements::create).get(api::agreements::list),
        )
        .route("/agreements/{id}", get(api::agreements::get_one))
        .route("/agreements/{id}/commands", post(api::agreements::command))
        .route("/reform", get(api::reform::ledger))
        .route(
            "/reform/baselines/{code}",
            axum::routing::put(api::reform::put_baseline),
        )
        .route("/inbox", get(api::inbox))
        .route("/notifications", get(api::notifications))
        .route("/statistics", get(api::statistics))
        .route(
            "/tickets",
            post(api::tickets::create_ticket).get(api::tickets::list_tickets),
        )
        .route("/tickets/suggest", post(api::tickets::suggest))
        .route("/tickets/rates", get(api::tickets::rates))
        .route("/tickets/categories", get(api::tickets::categories))
        .route("/tickets/{id}", get(api::tickets::get_ticket))
        .route("/tickets/{id}/commands", post(api::tickets::act_on_ticket))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let uploads = Router::new()
        .route(
            "/apply/{kind}/{code}",
            get(ui::apply::apply_page).post(ui::apply::apply_submit),
        )
        .route("/cases/{id}/supply", post(ui::case_files::case_supply))
        .route("/cases/{id}/inspection", post(ui::review::inspection))
        .route("/agreements", post(ui::agency::create))
        .route(
            "/grid/report",
            get(ui::grid::grid_report_page).post(ui::grid::grid_report_submit),
        )
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    let pages = Router::new()
        .route("/", get(ui::portal::home))
        .route("/items/{code}", get(ui::portal::item_guide))
        .route("/bundles/{code}", get(ui::portal::bundle_guide))
        .route("/prefs", get(ui::session::prefs))
        .route(
            "/login",
            get(ui::session::login_page).post(ui::session::login_submit),
        )
        .route("/logout", post(ui::session::logout))
        .route("/cases", get(ui::cases::cases_list))
        .route("/cases.csv", get(ui::cases::cases_csv))
        .route("/cases/{id}", get(ui::cases::case_view))
        .route("/cases/{id}/act", post(ui::cases::case_act))
        .route("/cases/{id}/notice/{kind}", get(ui::cases::notice))
        .route("/uploads/{id}", get(ui::case_files::upload))
        .route("/window", get(ui::window::window))
        .route("/window/register", post(ui::window::window_register))
        .route("/inbox", get(ui::inbox::inbox))
        .route("/dashboard", get(ui::dashboard::dashboard))
        .route("/admin", get(ui::admin::admin))
        .route("/admin/processes", post(ui::admin::admin_process))
        .route("/admin/users", post(ui::admin::admin_user))
        .route("/admin/departments", post(ui::admin::admin_department))
        .route("/admin/holidays", post(ui::admin::admin_holidays))
        .route("/admin/calendar", get(ui::admin::admin_calendar))
        .route("/admin/outbox", get(ui::outbox::outbox))
        .route("/admin/outbox/{id}", get(ui::outbox::message))
        .route("/admin/outbox/{id}/resend", post(ui::outbox::resend))
        .route("/admin/templates", get(ui::message_templates::templates))
        .route(
            "/admin/templates/{kind}/{channel}/{lang}",
            get(ui::message_templates::template).post(ui::message_templates::save),
        )
        .route("/admin/items", post(ui::catalog_edit::admin_item_save))
        .route("/admin/items/{code}", get(ui::catalog_edit::admin_item_edit))
        .route("/admin/bundles", post(ui::catalog_edit::admin_bundle_save))
        .route("/admin/bundles/{code}", get(ui::catalog_edit::admin_bundle_edit))
        .route(
            "/hotline/intake",
            get(ui::hotline::intake_page).post(ui::hotline::intake_submit),
        )
        .route("/hotline/dispatch", get(ui::hotline::dispatch_board))
        .route("/hotline/visits", get(ui::hotline::visits_board))
        .route("/hotline/supervision", get(ui::hotline::supervision_board))
        .route("/hotline/tickets", get(ui::hotline::ticket_list))
        .route("/hotline/tickets.csv", get(ui::hotline::ticket_csv))
        .route("/tickets/{id}", get(ui::hotline::ticket_page))
        .route("/tickets/{id}/act", post(ui::hotline::ticket_act))
        .route("/tickets/{id}/photos/{upload}", get(ui::grid::ticket_photo))
        .route(
            "/request",
            get(ui::public::request_page).post(ui::public::request_submit),
        )
        .route("/track", get(ui::public::track_page))
        .route("/verify/{identifier}", get(ui::certificates::verify))
        .route("/certificates", get(ui::certificates::mine))
        .route("/certificates/{id}", get(ui::certificates::one))
        .route("/certificates/{id}/act", post(ui::certificates::act))
        .route("/certificates/{id}/pdf", get(ui::certificates::pdf))
        .route("/archive", get(ui::archive::archive))
        .route("/projects", get(ui::projects::list).post(ui::projects::create))
        .route("/projects/board", get(ui::projects::board))
        .route("/projects/{id}", get(ui::projects::one))
        .route("/projects/{id}/act", post(ui::projects::act))
        .route("/projects/{id}/flow", get(ui::projects::flow))
        .route("/agreements", get(ui::agency::list))
        .route("/agreements/{id}", get(ui::agency::one))
        .route("/agreements/{id}/act", post(ui::agency::act))
        .route("/agent", get(ui::agency::desk))
        .route("/reform", get(ui::reform::page).post(ui::reform::enter))
        .route("/reform.csv", get(ui::reform::csv))
        .route("/archive/{id}", get(ui::archive::record))
        .route("/archive/{id}/consult", post(ui::archive::consult))
        .route("/cases/{id}/decision.pdf", get(ui::archive::decision_pdf))
        .route(
            "/me/notifications",
            get(ui::notifications::notifications).post(ui::notifications::save),
        )
        .route("/tokens", get(ui::tokens::tokens).post(ui::tokens::create))
        .route("/tokens/{id}/revoke", post(ui::tokens::revoke))
        .route("/static/{*path}", get(ui::static_file))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    // Open311 GeoReport v2: `{resource}.{format}` paths are parsed by the handlers.
    let open311 = Router::new()
        .route("/open311/v2/{*path}", get(open311::get).post(open311::post))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    Router::new()
        .merge(uploads)
        .merge(open311)
        .merge(pages)
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/favicon.ico", get(ui::favicon))
        .fallback(ui::not_found_page)
        .route("/metrics", get(metrics_text))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            edge::reject_bad_text,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(middleware::from_fn(edge::security_headers))
        .with_state(state)
}
