//! Snapshots (insta) of every page as each role sees it, of the OpenAPI document and of Open311's JSON
//! and XML. A change to what people or clients see shows up as a reviewed diff in `snapshots/`
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test` then read the diff). The parts that change
//! from run to run — times, dates, numbers made from today's date, CSRF tokens, ids of uploads and
//! keys — are replaced by placeholders first.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::App;

/// The volatile parts of an answer, with what replaces them.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        // CSRF tokens and keys: random per session.
        (r#"name="csrf" value="[^"]+""#, r#"name="csrf" value="[csrf]""#),
        (r#""csrf":\s*"[^"]+""#, r#""csrf": "[csrf]""#),
        (r"\b[0-9a-f]{32,}\b", "[hex]"),
        // Numbers made from today's date: cases (region + date + sequence) and requests (R + …).
        (r"R\d{20}", "[request-number]"),
        (r"\b\d{20}\b", "[case-number]"),
        // Instants and dates in every format pages and the API use.
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
            "[instant]",
        ),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "[time]"),
        (r"\d{4}年\d{1,2}月\d{1,2}日", "[date]"),
        (r"\d{4}-\d{2}-\d{2}", "[date]"),
        (r"\d{4}/\d{1,2}/\d{1,2}", "[date]"),
        // The dashboard's months (its chart data): this month's key and label.
        (r#""key": "\d{6}""#, r#""key": "[month]""#),
        (r#""label": "\d{4}-\d{2}""#, r#""label": "[month]""#),
        (r"\b\d{4}-\d{2}\b", "[month]"),
        // Epoch milliseconds in JSON.
        (r"\b1[7-9]\d{11}\b", "[millis]"),
        // Clock readings depend on the hour the test runs (office hours or not).
        (r#"class="clock[^"]*"[^>]*>[^<]*<"#, r#"class="clock">[clock]<"#),
        (
            r"(剩余|已用|超期|remaining|used|overdue by)\s*[0-9.]+\s*(个?工作日|小时|天|分钟|wd|h|d|min)",
            "$1 [span]",
        ),
    ]
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    for (from, to) in filters() {
        s.add_filter(from, to);
    }
    s
}

/// Names a snapshot after the page and the reader: `page__dispatcher__hotline_dispatch`.
fn name(kind: &str, who: &str, path: &str) -> String {
    let p: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{kind}__{who}__{}", p.trim_matches('_'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_as_each_role_sees_it() {
    let app = App::new("snapshots");
    // One application accepted at the window and one request, so the case, notice and request pages
    // have something to show.
    let zhangsan = app.login("zhangsan").await;
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&zhangsan),
            json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"], "form": {"mall": "万达"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case = case["id"].as_i64().expect("id");
    let clerk = app.login("window1").await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{case}/commands"),
            Some(&clerk),
            json!({"command": "accept", "opinion": "材料齐全"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let operator = app.login("operator1").await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": "中华路路口流动摊贩占道经营，影响通行",
                   "lat": 35.23, "lon": 115.42, "name": "王秀英", "phone": "13905309999"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let number = ticket["ticket"]["number"].as_str().expect("number").to_owned();
    let ticket = ticket["ticket"]["id"].as_i64().expect("id");

    let licence = onego_test_support::commands::issue_licence_to_zhangsan(&app.state.engine)
        .await
        .id;
    let public = [
        "/".to_owned(),
        "/login".into(),
        "/items/SCJG-001".into(),
        "/bundles/QYKB".into(),
        "/request".into(),
        format!("/track?number={number}"),
    ];
    let by_role: Vec<(&str, Vec<String>)> = vec![
        (
            "zhangsan",
            vec![
                "/cases".into(),
                format!("/cases/{case}"),
                format!("/cases/{case}/notice/acceptance"),
                "/apply/item/SP-001".into(),
                "/apply/bundle/XSECS".into(),
                "/tokens".into(),
                "/me/notifications".into(),
                "/certificates".into(),
                format!("/certificates/{licence}"),
            ],
        ),
        ("window1", vec!["/window".into(), format!("/cases/{case}")]),
        ("fire1", vec!["/inbox".into(), format!("/cases/{case}")]),
        ("fire-chief", vec!["/dashboard".into()]),
        ("leader", vec!["/dashboard".into(), "/cases".into()]),
        (
            "admin",
            vec![
                "/admin".into(),
                "/admin/items/SCJG-001".into(),
                "/admin/bundles/QYKB".into(),
                "/tokens".into(),
                "/admin/outbox".into(),
                "/admin/templates".into(),
                "/admin/templates/ticket_received/email/en".into(),
                "/admin/templates/accepted/sms/zh".into(),
            ],
        ),
        (
            "operator1",
            vec!["/hotline/intake".into(), "/hotline/tickets".into()],
        ),
        (
            "dispatcher",
            vec![
                "/hotline/dispatch".into(),
                "/hotline/visits".into(),
                "/hotline/supervision".into(),
                "/hotline/tickets".into(),
                format!("/tickets/{ticket}"),
                "/inbox".into(),
            ],
        ),
        ("urban1", vec!["/inbox".into(), "/hotline/tickets".into()]),
        ("grid1", vec!["/grid/report".into(), "/inbox".into()]),
    ];
    let settings = settings();
    let _guard = settings.bind_to_scope();
    for path in &public {
        for (lang, cookie) in [("zh", None), ("en", Some("lang=en")), ("elder", Some("elder=1"))] {
            let (status, body) = app.page(path, cookie).await;
            assert_eq!(status, StatusCode::OK, "{path} ({lang})");
            let shown = path.replace(&number, "NUMBER");
            insta::assert_snapshot!(name("page", &format!("public_{lang}"), &shown), body);
        }
    }
    for (who, paths) in by_role {
        let cookie = app.page_login(who).await;
        for path in paths {
            let (status, body) = app.page(&path, Some(&cookie)).await;
            assert_eq!(status, StatusCode::OK, "{who} {path}: {body}");
            let path = path
                .replace(&format!("/certificates/{licence}"), "/certificates/CERTIFICATE")
                .replace(&format!("/{case}"), "/CASE")
                .replace(&format!("/{ticket}"), "/TICKET");
            insta::assert_snapshot!(name("page", who, &path), body);
        }
        // English too, for the first page of each role.
        let english = format!("{cookie}; lang=en");
        let (status, body) = app.page("/inbox", Some(&english)).await;
        if status == StatusCode::OK {
            insta::assert_snapshot!(name("page_en", who, "/inbox"), body);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document() {
    let app = App::new("snapshot-openapi");
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("openapi", doc);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_answers_in_json_and_xml() {
    let app = App::new("snapshot-open311");
    let operator = app.login("operator1").await;
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": "中华路路口流动摊贩占道经营",
                   "lat": 35.23, "lon": 115.42, "name": "王秀英", "phone": "13905309999"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["ticket"]["number"].as_str().expect("number").to_owned();
    let settings = settings();
    let _guard = settings.bind_to_scope();
    for resource in [
        "discovery".to_owned(),
        "services".into(),
        "services/HB01".into(),
        "requests".into(),
        format!("requests/{number}"),
        "requests/R00000000000000000000".into(),
    ] {
        for format in ["json", "xml"] {
            let path = format!("/open311/v2/{resource}.{format}");
            let (status, body) = app.page(&path, None).await;
            let shown = resource.replace(&number, "NUMBER");
            insta::assert_snapshot!(name("open311", format, &shown), format!("{status}\n{body}"));
        }
    }
}
