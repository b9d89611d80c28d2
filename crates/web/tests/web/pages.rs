//! The HTML pages render for every role through the router (template errors fail here, before any
//! browser test), and page forms refuse a missing CSRF token.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use onego_calendar::WorkingCalendar;
use onego_domain::org::Role;
use onego_domain::values::{ApplicantId, Code, ResidentId};
use onego_store::engine::{Engine, EngineConfig};
use onego_store::users::{self, NewUser};
use onego_store::{Store, demo};
use tower::ServiceExt;

const PASSWORD: &str = "correct-horse-1";

fn router(name: &str) -> (axum::Router, String) {
    let path = std::env::temp_dir()
        .join(format!("onego-pages-{name}-{}.sqlite", std::process::id()))
        .to_string_lossy()
        .into_owned();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let store = Store::open(&path).expect("store");
    let catalog = demo::catalog().expect("catalog");
    store
        .write_blocking(move |c| demo::save_catalog(c, &catalog))
        .expect("save");
    let hash = users::hash_password(PASSWORD).expect("hash");
    for (username, role, dept) in [
        ("zhangsan", Role::Applicant, None),
        ("window1", Role::Clerk, None),
        ("fire1", Role::Approver, Some("fire")),
        ("fire-chief", Role::Supervisor, Some("fire")),
        ("leader", Role::Leader, None),
        ("admin", Role::Admin, None),
    ] {
        let new = NewUser {
            username: username.into(),
            name: username.into(),
            role,
            department: dept.map(|d| Code::parse(d).expect("code")),
            applicant: (role == Role::Applicant).then(|| ApplicantId::Person {
                id_number: ResidentId::parse("11010519491231002X").expect("id"),
            }),
            mobile: None,
            password: PASSWORD.into(),
        };
        let h = hash.clone();
        store
            .write_blocking(move |c| users::insert(c, &new, &h, 0))
            .expect("user");
    }
    let engine = Engine::new(store, WorkingCalendar::default(), EngineConfig::default()).expect("engine");
    (
        onego_web::router(onego_web::AppState::new(Arc::new(engine))),
        path,
    )
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, String, axum::http::HeaderMap) {
    let res = app.clone().oneshot(req).await.expect("response");
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

async fn login(app: &axum::Router, username: &str) -> String {
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={username}&password={PASSWORD}&next="
        )))
        .expect("request");
    let (status, _, headers) = send(app, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{username} logs in");
    headers
        .get(header::SET_COOKIE)
        .expect("cookie")
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let (s, b, _) = send(app, req.body(Body::empty()).expect("request")).await;
    (s, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_renders_for_its_role_in_chinese_and_english() {
    let (app, _path) = router("render");
    for (path, needle) in [
        ("/", "一件事一次办"),
        ("/items/SCJG-001", "受理条件"),
        ("/bundles/QYKB", "一套材料"),
        ("/login", "密码"),
    ] {
        let (status, body) = get(&app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(needle), "{path} shows {needle}");
        assert!(!body.contains("page error"), "{path}");
    }
    let (_, en) = get(&app, "/items/SCJG-001", Some("lang=en")).await;
    assert!(
        en.contains("Conditions") && en.contains("Promised limit"),
        "English labels"
    );
    let (_, elder) = get(&app, "/", Some("elder=1")).await;
    assert!(elder.contains("class=\"elder\""), "elder mode marks the page");
    for (user, path, needle) in [
        ("zhangsan", "/cases", "我的办件"),
        ("zhangsan", "/apply/bundle/XSECS", "上传材料"),
        ("window1", "/window", "窗口登记申请"),
        ("fire1", "/inbox", "待办工作台"),
        ("fire-chief", "/dashboard", "按部门"),
        ("leader", "/dashboard", "按事项"),
        ("admin", "/admin", "流程定义"),
        ("admin", "/admin/items/SCJG-001", "保存为新版本"),
        ("admin", "/admin/bundles/QYKB", "合并表单字段"),
    ] {
        let cookie = login(&app, user).await;
        let (status, body) = get(&app, path, Some(&cookie)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{user} {path}: {}",
            body.chars().take(300).collect::<String>()
        );
        assert!(body.contains(needle), "{user} {path} shows {needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_send_strangers_to_login_refuse_wrong_roles_and_forms_without_csrf() {
    let (app, _path) = router("guard");
    let (status, _) = get(&app, "/inbox", None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "anonymous users are sent to log in"
    );
    let cookie = login(&app, "zhangsan").await;
    let (status, body) = get(&app, "/admin", Some(&cookie)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("无权访问"));
    let clerk = login(&app, "window1").await;
    let req = Request::post("/window/register")
        .header(header::COOKIE, &clerk)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            "applicant_id=11010519491231002X&applicant_name=x&subject=item:SP-002",
        ))
        .expect("request");
    let (status, body, _) = send(&app, req).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no CSRF field: {}",
        body.chars().take(200).collect::<String>()
    );
    let (status, _) = get(&app, "/static/vendor/htmx-2.0.11.min.js", None).await;
    assert_eq!(status, StatusCode::OK, "htmx is served from the binary");
    let (status, _) = get(&app, "/static/nope.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
