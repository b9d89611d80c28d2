//! The JSON API, driven through the router as a client would drive it (on a temporary SQLite store
//! with the demo catalog).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::support::App;

fn app(name: &str) -> App {
    App::new(name)
}

fn mall_materials() -> Value {
    json!(["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_is_searchable_and_each_item_has_a_guide_with_its_steps() {
    let app = app("catalog");
    let (status, body) = app.get("/api/v1/catalog?q=%E9%A3%9F%E5%93%81", None).await; // 食品
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert!(
        names.contains(&"食品经营许可") && names.contains(&"食品小作坊登记"),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.contains("食品")), "{names:?}");
    let (_, all) = app.get("/api/v1/catalog", None).await;
    assert!(all["items"].as_array().expect("items").len() >= 25);
    assert_eq!(all["bundles"].as_array().expect("bundles").len(), 3);

    let (status, guide) = app.get("/api/v1/catalog/items/SP-001", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(guide["department_name"], "行政审批服务局");
    assert_eq!(guide["item"]["promised_limit"], "8wd");
    assert_eq!(guide["steps"].as_array().expect("steps").len(), 7);
    let (status, bundle) = app.get("/api/v1/catalog/bundles/QYKB", None).await;
    assert_eq!(status, StatusCode::OK);
    let merged = bundle["materials"].as_array().expect("materials");
    let licence = merged
        .iter()
        .find(|m| m["spec"]["code"] == "M-LICENCE")
        .expect("营业执照 merged once");
    assert_eq!(
        licence["needed_by"].as_array().expect("list").len(),
        3,
        "营业执照 is needed by three members, asked once"
    );
    let (status, err) = app.get("/api/v1/catalog/items/NOPE-1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_application_runs_through_window_and_departments_and_the_applicant_sees_every_step() {
    let app = app("flow");
    let applicant = app.login("zhangsan").await;
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&applicant),
            json!({"item": "SP-001", "materials": mall_materials(), "form": {"mall": "万达"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().expect("id");
    assert_eq!(case["status"], "submitted");
    assert!(case["number"].as_str().expect("number").starts_with("371700"));

    let clerk = app.login("window1").await;
    let (status, case) = app
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&clerk),
            json!({"command": "accept", "opinion": "材料齐全"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "in_review");
    assert_eq!(case["clock"]["limit"], "8wd");
    assert_eq!(case["clock"]["state"], "running");

    for who in ["market1", "fire1", "housing1", "approval1"] {
        let s = app.login(who).await;
        let (status, inbox) = app.get("/api/v1/inbox", Some(&s)).await;
        assert_eq!(status, StatusCode::OK);
        let item = inbox
            .as_array()
            .expect("inbox")
            .iter()
            .find(|i| i["case_id"] == id)
            .expect("my task")
            .clone();
        assert_eq!(item["colour"], "green");
        let (status, case) = app
            .post(
                &format!("/api/v1/cases/{id}/commands"),
                Some(&s),
                json!({"command": "act", "task": item["task_id"], "action": "approve", "opinion": "同意"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{who}: {case}");
    }
    let (status, case) = app.get(&format!("/api/v1/cases/{id}"), Some(&applicant)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["status"], "decided");
    assert_eq!(case["outcome"], "approved");
    let actions: Vec<&str> = case["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "task_completed").count(),
        4,
        "{actions:?}"
    );
    assert!(
        case["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let (_, check) = app
        .get(&format!("/api/v1/cases/{id}/verify"), Some(&applicant))
        .await;
    assert_eq!(check["intact"], true);

    // The decision document: readable and downloadable by the applicant (电子送达), no one else's.
    let cookie = app.page_login("zhangsan").await;
    let (status, doc) = app
        .page(&format!("/cases/{id}/notice/decision"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc.contains("准予许可决定书") && doc.contains("决定<strong>准予许可</strong>"),
        "{doc}"
    );
    assert!(
        !doc.contains("行政复议"),
        "remedies are stated only for a refusal"
    );
    let req = axum::http::Request::get(format!("/cases/{id}/notice/decision?download=1"))
        .header(axum::http::header::COOKIE, &cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let (status, _, headers) = app.raw(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .is_ok_and(|v| v.starts_with("attachment; filename=\"decision-")),
        "{headers:?}"
    );
    let (_, page) = app.page(&format!("/cases/{id}"), Some(&cookie)).await;
    assert!(page.contains("下载电子决定书"));
    let other = app.page_login("lisi").await;
    let (status, _) = app
        .page(&format!("/cases/{id}/notice/decision"), Some(&other))
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );
    let number = case["number"].as_str().expect("number");
    let (status, by_number) = app
        .get(&format!("/api/v1/cases/{number}"), Some(&applicant))
        .await;
    assert_eq!((status, by_number["id"].as_i64()), (StatusCode::OK, Some(id)));

    let (status, mine) = app.get("/api/v1/cases", Some(&applicant)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine.as_array().expect("list").len(), 1);
    let leader = app.login("leader").await;
    let (status, stats) = app.get("/api/v1/statistics?group_by=item", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let row = &stats["rows"][0];
    assert_eq!(
        (row["key"].as_str(), row["decided"].as_i64()),
        (Some("SP-001"), Some(1))
    );
    assert_eq!(row["label"], "大型商业场所开业并联审批");
    let (_, viewed) = app.get(&format!("/api/v1/cases/{id}"), Some(&leader)).await;
    assert!(
        viewed["applicant_id"].as_str().expect("id").contains("********"),
        "a leader sees the ID masked"
    );
    assert!(viewed["state"].get("applicant").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_registers_and_accepts_at_the_window_in_one_step_and_validates_the_applicant() {
    let app = app("window");
    let clerk = app.login("window1").await;
    let (status, err) = app
        .post("/api/v1/cases", Some(&clerk), json!({"item": "SP-002", "applicant": {"id": "110105194912310021", "name": "张三"}, "materials": ["M-APP-PROJECT", "M-LICENCE"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("check character"),
        "{err}"
    );
    assert!(
        err["message_zh"].as_str().expect("message_zh").contains("校验码"),
        "{err}"
    );
    // One ID, one name: 张三丰's ID number under another name is refused, and nothing is stored.
    let (status, err) = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"item": "SP-002", "applicant": {"id": "11010519491231002X", "name": "李四"},
                   "materials": ["M-APP-PROJECT", "M-LICENCE"], "accept": {"opinion": "当场受理"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["reason"], "id_bound_to_another_name", "{err}");
    assert!(
        !err["message_zh"].as_str().expect("zh").contains("张三丰"),
        "the bound name is masked: {err}"
    );
    let (_, listed) = app.get("/api/v1/cases", Some(&clerk)).await;
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(0),
        "nothing stored: {listed}"
    );
    let (status, case) = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"item": "SP-002", "applicant": {"id": "11010519491231002X", "name": "张三丰", "mobile": "13812345678"},
                   "materials": ["M-APP-PROJECT", "M-LICENCE"], "accept": {"opinion": "当场受理"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["status"], "in_review");
    assert_eq!(case["channel"], "window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_json_errors_and_change_nothing() {
    let app = app("errors");
    let applicant = app.login("zhangsan").await;
    let (_, case) = app
        .post(
            "/api/v1/cases",
            Some(&applicant),
            json!({"item": "SP-001", "materials": mall_materials()}),
        )
        .await;
    let id = case["id"].as_i64().expect("id");
    let url = format!("/api/v1/cases/{id}/commands");

    // Malformed JSON.
    let req = Request::post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &applicant.cookie)
        .header("x-csrf-token", &applicant.csrf)
        .body(Body::from("{\"command\": "))
        .expect("request");
    let (status, body, _) = app.send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad_request");
    // A command that does not exist.
    let (status, body) = app
        .post(&url, Some(&applicant), json!({"command": "approve_everything"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // An illegal transition: rating before delivery.
    let (status, body) = app
        .post(&url, Some(&applicant), json!({"command": "rate", "level": 5}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Not the applicant's to do.
    let (status, body) = app
        .post(&url, Some(&applicant), json!({"command": "accept"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Unknown case, invalid codes, unknown item.
    assert_eq!(
        app.get("/api/v1/cases/999999", Some(&applicant)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/cases/37170020260101999999", Some(&applicant))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/cases/abc", Some(&applicant)).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = app
        .post("/api/v1/cases", Some(&applicant), json!({"item": "bad code!"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .post("/api/v1/cases", Some(&applicant), json!({"item": "NOPE-1"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post(
            "/api/v1/cases",
            Some(&applicant),
            json!({"item": "SP-001", "colour": "red"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {body}"
    );
    // Oversize body.
    let big = json!({"item": "SP-001", "form": {"x": "汉".repeat(400_000)}});
    let (status, body) = app.post("/api/v1/cases", Some(&applicant), big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Nothing changed: still one case with its two journal entries.
    let (_, list) = app.get("/api/v1/cases", Some(&applicant)).await;
    assert_eq!(list.as_array().expect("list").len(), 1);
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), Some(&applicant)).await;
    assert_eq!(case["timeline"].as_array().expect("timeline").len(), 1);
    assert_eq!(case["status"], "submitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_csrf_and_access_are_enforced() {
    let app = app("auth");
    assert_eq!(app.get("/api/v1/cases", None).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .post(
            "/api/v1/session",
            None,
            json!({"username": "zhangsan", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "the username or password is wrong");
    let applicant = app.login("zhangsan").await;
    // A state change without the CSRF token is refused.
    let req = Request::post("/api/v1/cases")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &applicant.cookie)
        .body(Body::from(json!({"item": "SP-001"}).to_string()))
        .expect("request");
    let (status, body, _) = app.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, case) = app
        .post(
            "/api/v1/cases",
            Some(&applicant),
            json!({"item": "SP-001", "materials": mall_materials()}),
        )
        .await;
    let id = case["id"].as_i64().expect("id");
    let clerk = app.login("window1").await;
    app.post(
        &format!("/api/v1/cases/{id}/commands"),
        Some(&clerk),
        json!({"command": "accept"}),
    )
    .await;
    // A department without a task in the case neither sees it nor acts on it.
    let tax = app.login("tax1").await;
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}"), Some(&tax)).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&tax),
            json!({"command": "act", "task": 1, "action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A department acting on another department's task.
    let fire = app.login("fire1").await;
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), Some(&fire)).await;
    let market_task = case["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["department"] == "market")
        .expect("task")["id"]
        .clone();
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&fire),
            json!({"command": "act", "task": market_task, "action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().expect("message").contains("market"));
    // Statistics are not for applicants; the admin reads no cases.
    assert_eq!(
        app.get("/api/v1/statistics", Some(&applicant)).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = app.login("admin").await;
    assert_eq!(
        app.get("/api/v1/cases", Some(&admin)).await.0,
        StatusCode::FORBIDDEN
    );
    // API tokens work without cookies or CSRF.
    let (status, token) = app
        .post("/api/v1/tokens", Some(&applicant), json!({"name": "脚本"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let req = Request::get("/api/v1/me")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", token["token"].as_str().expect("token")),
        )
        .body(Body::empty())
        .expect("request");
    let (status, me, _) = app.send(req).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("zhangsan"))
    );
    let req = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, "Bearer nope")
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_route_and_health_and_metrics_answer() {
    let app = app("meta");
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}/commands",
        "/api/v1/inbox",
        "/api/v1/statistics",
        "/api/v1/session",
        "/api/v1/catalog/items/{code}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is described");
    }
    let (status, page) = app.get("/api/v1/docs", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.as_str()
            .expect("html")
            .contains("/api/v1/cases/{id}/commands")
    );
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("ok\n")));
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("text");
    assert!(
        text.contains("onego_http_requests_total{class=\"2xx\"}")
            && text.contains("onego_store_commits_total")
    );
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_round_the_loop_through_the_api_and_contact_details_are_masked_for_others() {
    let app = app("tickets");
    let operator = app.login("operator1").await;
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG01", "content": "中华路路口流动摊贩占道经营",
                   "lat": 35.23, "lon": 115.42, "name": "王女士", "phone": "13905301234"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["ticket"]["number"].as_str().expect("number").to_owned();
    assert_eq!(
        body["requester"]["phone"], "13905301234",
        "the operator sees the caller"
    );
    assert_eq!(
        body["actions"],
        json!([]),
        "an operator registers; the centre dispatches"
    );

    let (status, body) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "phone", "kind": "complaint", "category": "CG03", "content": "井盖坏了很危险"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a required question unanswered: {body}"
    );
    assert!(
        body["message"].as_str().unwrap_or("").contains("facility"),
        "{body}"
    );
    let (status, _) = app
        .post(
            "/api/v1/tickets",
            Some(&operator),
            json!({"channel": "fax", "kind": "complaint", "category": "CG01", "content": "占道经营"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let dispatcher = app.login("dispatcher").await;
    let (status, s) = app
        .post(
            "/api/v1/tickets/suggest",
            Some(&dispatcher),
            json!({"text": "路口有摊贩占道经营"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        s[0]["department"], "urban",
        "the category's own words route a fresh city: {s}"
    );
    let path = format!("/api/v1/tickets/{number}/commands");
    let (status, body) = app
        .post(
            &path,
            Some(&dispatcher),
            json!({"command": "dispatch", "lead": "urban"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["status"], "dispatched");
    assert_eq!(body["clocks"][0]["limit"], "2h", "the category's 2110 profile");

    let market = app.login("market1").await;
    let (status, _) = app.get(&format!("/api/v1/tickets/{number}"), Some(&market)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a department with no part in it cannot see it"
    );
    let (status, _) = app.post(&path, Some(&market), json!({"command": "sign"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let urban = app.login("urban1").await;
    let (_, inbox) = app.get("/api/v1/inbox", Some(&urban)).await;
    assert!(
        inbox.to_string().contains(&number),
        "the request is in the department's inbox: {inbox}"
    );
    for cmd in [
        json!({"command": "sign"}),
        json!({"command": "reply", "answer": "已劝离摊贩并加强巡查"}),
    ] {
        let (status, body) = app.post(&path, Some(&urban), cmd).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app
        .post(
            &path,
            Some(&dispatcher),
            json!({"command": "return_visit", "solved": true, "satisfaction": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["status"], "closed");

    let leader = app.login("leader").await;
    let (_, body) = app.get(&format!("/api/v1/tickets/{number}"), Some(&leader)).await;
    assert_eq!(
        body["requester"]["phone"], "139****1234",
        "a leader sees the matter, not the caller"
    );
    assert_eq!(body["requester"]["masked"], true);
    let (status, rates) = app.get("/api/v1/tickets/rates", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK, "{rates}");
    let urban_rates = rates
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["department"] == "urban")
        .expect("urban");
    assert_eq!(urban_rates["tickets"], 1);
    assert_eq!(urban_rates["satisfaction_rate"], 1.0);
    let (status, _) = app.get("/api/v1/tickets/rates", Some(&market)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "approvers do not read rates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_caps_its_page_and_the_openapi_document_lists_every_answer() {
    let app = app("contract");
    let leader = app.login("leader").await;
    let fire = app.login("fire1").await;
    for (who, path) in [
        (&leader, "/api/v1/cases?limit=1000000"),
        (&leader, "/api/v1/cases?limit=0"),
        (&leader, "/api/v1/cases?limit=201"),
        (&leader, "/api/v1/cases?offset=-1"),
        (&leader, "/api/v1/tickets?limit=1000"),
        (&fire, "/api/v1/inbox?limit=501"),
        (&leader, "/api/v1/cases?limit=abc"),
    ] {
        let (status, body) = app.get(path, Some(who)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["code"], "bad_request", "{path}");
    }
    let (status, _) = app.get("/api/v1/cases?limit=200", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .send_json("DELETE", "/api/v1/tokens/abc", Some(&leader), json!({}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request")),
        "path errors are JSON too: {body}"
    );
    let (status, body) = app.get("/api/v1/tokens/7", Some(&leader)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")),
        "{body}"
    );
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("400"), "{method} {path} documents 400");
            if op.get("requestBody").is_some() {
                for code in ["413", "415", "422"] {
                    assert!(responses.contains_key(code), "{method} {path} documents {code}");
                }
            }
        }
    }
    let limit = doc["paths"]["/api/v1/cases"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit")
        .clone();
    assert_eq!(
        (
            limit["schema"]["minimum"].as_i64(),
            limit["schema"]["maximum"].as_i64()
        ),
        (Some(1), Some(200)),
        "{limit}"
    );
    let categories = &doc["paths"]["/api/v1/tickets/categories"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(
        categories["$ref"], "#/components/schemas/CategoriesView",
        "documented as the object it is"
    );
    let (_, answer) = app.get("/api/v1/tickets/categories", None).await;
    assert!(answer["categories"].is_array() && answer["sla"].is_array());
    assert!(
        doc["components"]["schemas"]["TicketClockView"].is_object(),
        "two clock views, two names"
    );
}
