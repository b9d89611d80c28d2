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
    // Never as 00:00 of the next day (other times on the page — a case submitted just after midnight —
    // may read 00:00).
    let day = due.split_whitespace().next().unwrap_or_default();
    let next_day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.format("%Y-%m-%d").to_string());
    if let Some(next) = next_day {
        assert!(
            !page.contains(&format!("{next} 00:00")),
            "never 00:00 of the next day"
        );
    } else {
        panic!("the due reads as a date and 24:00: {due}");
    }
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
    // Every missing required material is marked at its own upload, all at once.
    assert!(body.contains("处需要更正"), "{body}");
    assert!(
        body.contains("请上传必要材料：食品经营许可申请书") && body.contains(r#"id="file_M-APP-FOOD-error""#),
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
    assert!(body.contains("Upload the required material"), "{body}");
    let (_, list) = app.get("/api/v1/cases", Some(&app.login("zhangsan").await)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_addresses_get_a_page_that_leads_back_and_static_files_come_compressed() {
    let app = App::new("edges");
    let (status, body) = get(&app, "/no/such/page", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("没有这个页面") && body.contains("href=\"/\""),
        "{body}"
    );
    let (status, body) = get(&app, "/no/such/page", Some("lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("There is no such page"), "{body}");
    let (status, _) = get(&app, "/favicon.ico", None).await;
    assert_eq!(status, StatusCode::OK);
    // The charting library, gzipped when the browser accepts it, and the same bytes once unpacked.
    let path = "/static/vendor/echarts-5.6.0.common.min.js";
    let (_, plain, _) = send(&app, Request::get(path).body(Body::empty()).expect("request")).await;
    let req = Request::get(path)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .body(Body::empty())
        .expect("request");
    let (status, gz, headers) = app.raw(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    assert!(
        headers
            .get(header::CACHE_CONTROL)
            .expect("cache")
            .to_str()
            .expect("text")
            .contains("immutable")
    );
    assert!(
        gz.len() * 2 < plain.len(),
        "{} gzipped from {}",
        gz.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut libflate::gzip::Decoder::new(&gz[..]).expect("gzip"),
        &mut unpacked,
    )
    .expect("unpack");
    assert_eq!(unpacked, plain.into_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_tracks_the_stages_and_says_what_comes_next() {
    let app = App::new("tracker");
    let zhangsan = app.login("zhangsan").await;
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            serde_json::json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"], "form": {"mall": "万达"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().expect("id");
    let cookie = login(&app, "zhangsan").await;
    let (_, page) = get(&app, &format!("/cases/{id}"), Some(&cookie)).await;
    assert!(page.contains("class=\"stepper\""), "a stepper");
    assert!(page.contains("<li class=\"step-current\" aria-current=\"step\"><span class=\"dot\"></span><span class=\"name\">受理</span>"), "{page}");
    assert!(page.contains("等待窗口审核材料并受理"), "what comes next");
    assert!(
        !page.contains("完整办理日志"),
        "the applicant sees the milestones only"
    );
    // The window accepts; the page says so and what comes next, and staff can open the full journal.
    let clerk = login(&app, "window1").await;
    let csrf = app.csrf_of(&clerk).await;
    let (status, _, headers) = app
        .form(&format!("/cases/{id}/act"), Some(&clerk), &format!("csrf={csrf}&command=accept&received=M-APP-MALL&received=M-LICENCE&received=M-FLOORPLAN&opinion=ok"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers
        .get(header::LOCATION)
        .expect("redirect")
        .to_str()
        .expect("text")
        .to_owned();
    assert!(to.ends_with("?done=accept"), "{to}");
    let (_, page) = get(&app, &to, Some(&clerk)).await;
    assert!(page.contains("已受理。") && page.contains("正在审查"), "{page}");
    assert!(page.contains("完整办理日志"), "staff can open the full journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_cases_has_a_count_a_search_and_an_export_in_the_readers_scope() {
    let app = App::new("lists");
    let zhangsan = app.login("zhangsan").await;
    for _ in 0..2 {
        let (status, body) = app
            .post(
                "/api/v1/cases",
                Some(&zhangsan),
                serde_json::json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"], "form": {"mall": "万达"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let cookie = login(&app, "zhangsan").await;
    let (status, page) = get(&app, "/cases", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("共 2 件"), "a count: {page}");
    let (_, page) = get(&app, "/cases?q=%E4%B8%8D%E5%AD%98%E5%9C%A8", Some(&cookie)).await;
    assert!(page.contains("共 0 件"), "a search that finds nothing says so");
    let (status, csv) = get(&app, "/cases.csv", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with('\u{feff}'), "Excel reads it as UTF-8");
    assert_eq!(csv.lines().count(), 3, "a header and two rows: {csv}");
    assert!(csv.contains("办件编号") && csv.contains("待受理"), "{csv}");
    // Another applicant exports nothing of 张三's.
    let lisi = login(&app, "lisi").await;
    let (_, csv) = get(&app, "/cases.csv", Some(&lisi)).await;
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
    let (status, _) = get(&app, "/cases.csv", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "strangers log in first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_sees_a_month_of_rest_and_make_up_days_and_previews_a_process() {
    let app = App::new("calendar-month");
    let admin = login(&app, "admin").await;
    let (status, page) = get(&app, "/admin/calendar?month=2026-10", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2026年10月"), "{page}");
    assert!(
        page.contains("class=\"holiday\"") && page.contains("国庆节"),
        "the National Day rest days"
    );
    assert!(
        page.contains("class=\"makeup\""),
        "a weekend day worked for the holiday"
    );
    let (status, _) = get(&app, "/admin/calendar", Some(&login(&app, "zhangsan").await)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "for administrators");
    // Checking a definition shows its diagram before anything is stored.
    let csrf = app.csrf_of(&admin).await;
    let toml = "code = \"preview-flow\"\nversion = 1\nname = \"预览\"\nstart = \"r\"\n[[node]]\nid = \"r\"\ntype = \"task\"\nname = \"初审\"\ndepartment = \"market\"\nlimit = \"2wd\"\nactions = [\"approve\", \"refuse\"]\nnext = \"e\"\n[[node]]\nid = \"e\"\ntype = \"end\"\noutcome = \"approved\"\n";
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("source", toml)
        .append_pair("check_only", "1")
        .finish();
    let (status, page, _) = app.form("/admin/processes", Some(&admin), &body).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("流程图预览") && page.contains("初审") && page.contains("2个工作日"),
        "{page}"
    );
    let (_, admin_page) = get(&app, "/admin", Some(&admin)).await;
    assert!(!admin_page.contains("preview-flow"), "nothing stored by a check");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_list_searches_counts_and_exports_without_the_callers_details() {
    let app = App::new("ticket-lists");
    let operator = app.login("operator1").await;
    for content in ["中华路流动摊贩占道经营", "和平路夜间施工噪音扰民"] {
        let (status, body) = app
            .post(
                "/api/v1/tickets",
                Some(&operator),
                serde_json::json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": content,
                       "lat": 35.23, "lon": 115.42, "name": "王秀英", "phone": "13905309999"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let dispatcher = login(&app, "dispatcher").await;
    let (_, page) = get(&app, "/hotline/tickets", Some(&dispatcher)).await;
    assert!(page.contains("共 2 件"), "{page}");
    let (_, page) = get(&app, "/hotline/tickets?q=%E5%99%AA%E9%9F%B3", Some(&dispatcher)).await;
    assert!(
        page.contains("共 1 件") && page.contains("噪音扰民"),
        "a search by words: {page}"
    );
    let (_, page) = get(&app, "/hotline/tickets", Some(&format!("{dispatcher}; lang=en"))).await;
    assert!(
        page.contains("Waiting for dispatch"),
        "statuses in the reader's language"
    );
    let (status, csv) = get(&app, "/hotline/tickets.csv", Some(&dispatcher)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        !csv.contains("王秀英") && !csv.contains("13905309999"),
        "no caller's name or phone: {csv}"
    );
}
