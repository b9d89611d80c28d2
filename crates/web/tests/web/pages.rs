//! The HTML pages render for every role through the router (template errors fail here, before any
//! browser test), and page forms refuse a missing CSRF token.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::support::App;

fn router(name: &str) -> (App, ()) {
    (App::new(name), ())
}

async fn send(app: &App, req: Request<Body>) -> (StatusCode, String, axum::http::HeaderMap) {
    let (s, b, h) = app.raw(req).await;
    (s, String::from_utf8_lossy(&b).into_owned(), h)
}

async fn login(app: &App, username: &str) -> String {
    app.page_login(username).await
}

async fn get(app: &App, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    app.page(path, cookie).await
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
