//! Major projects through the router: a steward records one (every mistake at its field, others
//! refused), the enterprise sees and steers its own and nobody unrelated sees it, stages start in order
//! or on a 容缺 reason, the enterprise applies for a procedure from the project page, and the public
//! flowchart behind the QR code shows the path without logging in.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::App;

fn project(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "蓝天中央厨房建设项目", "investor_id": onego_test_support::ENTERPRISE_ID,
           "investor_name": "菏泽蓝天餐饮有限公司", "address": "菏泽高新区长江东路南侧", "kind": "social",
           "investment": 12000, "land_parcel": "2026-G-017", "key_level": "city"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steward_records_a_project_the_enterprise_steers_it_and_the_flowchart_is_public() {
    let app = App::new("projects");
    let steward = app.login("approval1").await;
    // Every mistake at its field, at once; nothing stored.
    let (status, body) = app
        .post(
            "/api/v1/projects",
            Some(&steward),
            json!({"code": "2026-1", "name": "", "investor_id": onego_test_support::PERSON_ID, "investor_name": "张三",
                   "address": "x", "kind": "hotel", "investment": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in ["code", "name", "investor_id", "kind", "investment"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Only stewards and the enterprise itself record projects.
    let (status, _) = app
        .post(
            "/api/v1/projects",
            Some(&app.login("market1").await),
            project("2026-371700-47-01-000001"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = app
        .post(
            "/api/v1/projects",
            Some(&steward),
            project("2026-371700-47-01-000123"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["procedures"].as_array().map(Vec::len), Some(6));
    assert_eq!(created["target_days"], 45);
    assert!(created["grid"].is_null(), "no coordinates, no grid");

    // The enterprise sees it; an unrelated applicant does not.
    let acme = app.login("acme").await;
    let (_, mine) = app.get("/api/v1/projects", Some(&acme)).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    let lisi = app.login("lisi").await;
    let (status, _) = app.get(&format!("/api/v1/projects/{id}"), Some(&lisi)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, none) = app.get("/api/v1/projects", Some(&lisi)).await;
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    // Stage two before stage one: refused on the page with what to do; with stage one started, the
    // page offers the application of its procedures.
    let cookie = app.page_login("acme").await;
    let csrf = app.csrf_of(&cookie).await;
    let (status, page, _) = app
        .form(
            &format!("/projects/{id}/act"),
            Some(&cookie),
            &format!("csrf={csrf}&action=start_stage&stage=engineering_permit&shortfall_reason="),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("容缺理由"), "{page}");
    let (status, _, headers) = app
        .form(
            &format!("/projects/{id}/act"),
            Some(&cookie),
            &format!("csrf={csrf}&action=start_stage&stage=land_planning"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], format!("/projects/{id}?done=start_stage"));
    let (status, page) = app
        .page(&format!("/projects/{id}?done=start_stage"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("阶段已启动") && page.contains(&format!("/apply/item/SP-002?project={id}")),
        "{page}"
    );
    let (status, form) = app
        .page(&format!("/apply/item/SP-002?project={id}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(&format!(r#"name="project" value="{id}""#)) && form.contains("为重大项目申请"),
        "{form}"
    );

    // A plan edit needs its reason.
    let (status, body) = app
        .post(
            &format!("/api/v1/projects/{id}/commands"),
            Some(&steward),
            json!({"command": "drop_procedure", "item": "ZRZY-001", "reason": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "reason");

    // The ledger from the page: a wrong mobile is refused at its field; the team, an assignment and a
    // problem are kept; the public flowchart shows the responsible person masked.
    let staff = app.page_login("approval1").await;
    let csrf = app.csrf_of(&staff).await;
    let act = |body: String| {
        let (app, staff) = (&app, staff.clone());
        async move {
            app.form(&format!("/projects/{id}/act"), Some(&staff), &body)
                .await
        }
    };
    let (status, page, _) = act(format!(
        "csrf={csrf}&action=set_team&leader=%E5%88%98%E5%BB%BA%E5%9B%BD&leader_phone=12345"
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains(r#"id="leader_phone-error""#), "{page}");
    let (status, _, _) = act(format!("csrf={csrf}&action=set_team&leader=%E5%88%98%E5%BB%BA%E5%9B%BD&leader_phone=13905301001&steward=%E5%AD%99%E6%99%93%E6%A2%85&steward_phone=13905301002&contacts=")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = act(format!("csrf={csrf}&action=assign&item=SP-002&person=%E7%8E%8B%E7%A3%8A&person_phone=13905301005&planned_end=2026-03-20")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page, _) = act(format!(
        "csrf={csrf}&action=problem&title=&owner=x&deadline=2099-01-01"
    ))
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a problem needs its words: {page}"
    );
    let (_, page) = app.page(&format!("/projects/{id}"), Some(&staff)).await;
    assert!(
        page.contains("包保领导") && page.contains("13905301001") && page.contains("王磊"),
        "{page}"
    );

    // The flowchart behind the QR code: no log-in, the path with each procedure's status and place.
    let (status, flow) = app.page(&format!("/projects/{id}/flow"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        flow.contains("蓝天中央厨房建设项目") && flow.contains("企业投资项目备案") && flow.contains("<svg"),
        "{flow}"
    );
    assert!(!flow.contains(onego_test_support::PERSON_ID));
    assert!(
        flow.contains("王*") && !flow.contains("王磊") && !flow.contains("13905301005"),
        "masked: {flow}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_with_coordinates_lies_in_a_grid() {
    let app = App::new("project-grid");
    let steward = app.login("approval1").await;
    let mut sited = project("2026-371700-47-01-000124");
    sited["lat"] = json!(35.232);
    sited["lon"] = json!(115.422);
    let (status, body) = app.post("/api/v1/projects", Some(&steward), sited).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["grid"].as_str().is_some_and(|g| !g.is_empty()), "{body}");
    // A coordinate out of range is refused at its field; nothing stored.
    let mut wrong = project("2026-371700-47-01-000125");
    wrong["lat"] = json!(135.0);
    wrong["lon"] = json!(115.422);
    let (status, body) = app.post("/api/v1/projects", Some(&steward), wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = app.get("/api/v1/projects", Some(&steward)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}
