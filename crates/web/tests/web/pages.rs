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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_acceptance_notice_states_the_real_materials_and_times_and_the_same_due_as_the_case_page() {
    let app = App::new("notice");
    let zhangsan = app.login("zhangsan").await;
    // 食品经营许可 online with its required materials; the floor plan (容缺后补) is left out.
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            serde_json::json!({"item": "SCJG-002", "materials": ["M-APP-FOOD", "M-LICENCE", "M-FOOD-RULES"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().expect("id");
    let clerk = app.login("window1").await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&clerk),
            serde_json::json!({"command": "accept", "deferred": ["M-FLOORPLAN"], "opinion": "容缺受理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = login(&app, "zhangsan").await;
    let (status, notice) = get(&app, &format!("/cases/{id}/notice/acceptance"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !notice.contains("申请材料齐全"),
        "a 容缺 material is outstanding: {notice}"
    );
    assert!(
        notice.contains("容缺") && notice.contains("经营场所平面布局图"),
        "{notice}"
    );
    // One rule for a due instant: the notice and the case page show the same text.
    let due = notice
        .split("<strong>")
        .nth(1)
        .and_then(|s| s.split("</strong>").next())
        .expect("the due time in bold")
        .to_owned();
    assert!(
        due.ends_with("24:00"),
        "a limit in working days ends at 24:00 of its last day: {due}"
    );
    let (_, page) = get(&app, &format!("/cases/{id}"), Some(&cookie)).await;
    assert!(page.contains(&due), "the case page shows {due} too");
    assert!(!page.contains("00:00"), "never 00:00 of the next day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_application_without_its_required_materials_is_refused_on_the_page_in_the_readers_language()
{
    let app = App::new("apply-missing");
    let cookie = login(&app, "zhangsan").await;
    let csrf = app.csrf_of(&cookie).await;
    let (status, body) = app
        .multipart(
            "/apply/item/SCJG-002",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("shop_name", "老张面馆"),
                ("address", "中华路1号"),
                ("floor_area", "60"),
            ],
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("以下必要材料尚未上传") && body.contains("食品经营许可申请书"),
        "{body}"
    );
    let (status, body) = app
        .multipart(
            "/apply/item/SCJG-002",
            Some(&format!("{cookie}; lang=en")),
            &[
                ("csrf", &csrf),
                ("shop_name", "老张面馆"),
                ("address", "中华路1号"),
                ("floor_area", "60"),
            ],
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("these required materials are not uploaded"),
        "{body}"
    );
    let (_, list) = app.get("/api/v1/cases", Some(&app.login("zhangsan").await)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing stored");
}
