//! 改革成效台账 through the router: the leader reads the city's reduction per item, per department and in
//! all, figured from the catalog and process in force against the figures entered for before the reform;
//! a supervisor reads their department's; an approver is refused; the export has the same rows.

use axum::http::StatusCode;

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reform_ledger_compares_each_item_with_its_figures_before_the_reform() {
    let app = App::new("reform");
    let leader = app.login("leader").await;
    let (status, body) = app.get("/api/v1/reform", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 10, "every demo item with a baseline: {body}");
    // 食品经营许可: 5 steps and 11 materials before; today its process and materials, 20 → 5 days.
    let food = items.iter().find(|i| i["code"] == "SCJG-002").expect("SCJG-002");
    assert_eq!(food["before"]["steps"], 5);
    assert_eq!(food["before"]["materials"], 11);
    assert_eq!(food["now"]["materials"], 5);
    assert_eq!(food["now"]["promised_days"], 5.0);
    assert_eq!(food["reduction"]["promised_days"], 75.0);
    assert_eq!(food["reduction"]["materials"], 54.5);
    assert!(
        food["basis"].as_str().unwrap_or("").contains("办事指南"),
        "{food}"
    );
    // The city total is the sum of the items, last.
    let totals = body["totals"].as_array().expect("totals");
    let city = totals.last().expect("city");
    assert!(city["department"].is_null());
    assert_eq!(city["items"], 10);
    let sum =
        |side: &str, key: &str| -> i64 { items.iter().map(|i| i[side][key].as_i64().unwrap_or(0)).sum() };
    assert_eq!(city["before"]["steps"].as_i64(), Some(sum("before", "steps")));
    assert_eq!(city["now"]["materials"].as_i64(), Some(sum("now", "materials")));
    assert!(
        city["reduction"]["promised_days"].as_f64().unwrap_or(0.0) > 50.0,
        "{city}"
    );
    // A supervisor reads their department's only; an approver is refused.
    let (status, fire) = app
        .get("/api/v1/reform", Some(&app.login("fire-chief").await))
        .await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = fire["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["code"].as_str())
        .collect();
    assert_eq!(codes, ["XF-001"]);
    let rows = fire["totals"].as_array().expect("totals");
    assert_eq!(rows.len(), 1, "their department's row, no city total: {fire}");
    assert_eq!(rows[0]["department"], "fire");
    let (status, _) = app.get("/api/v1/reform", Some(&app.login("market1").await)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The export: a header, the ten items, the departments and the city.
    let cookie = app.page_login("leader").await;
    let (status, text) = app.page("/reform.csv", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("食品经营许可") && text.contains("全市合计"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 10 + (totals.len()), "{text}");
    // Administrators enter an item's figures; a leader may not, and bad figures change nothing.
    let entry = serde_json::json!({"steps": 3, "materials": 4, "promised_days": 3.0, "legal_days": 3.0, "visits": 2,
                                   "basis": "2019年版跨区域涉税事项办事指南"});
    let (status, _) = app
        .send_json(
            "PUT",
            "/api/v1/reform/baselines/SW-002",
            Some(&leader),
            entry.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;
    let mut bad = entry.clone();
    bad["basis"] = serde_json::json!(" ");
    let (status, body) = app
        .send_json("PUT", "/api/v1/reform/baselines/SW-002", Some(&admin), bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .send_json(
            "PUT",
            "/api/v1/reform/baselines/XX-999",
            Some(&admin),
            entry.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, same) = app.get("/api/v1/reform", Some(&leader)).await;
    assert_eq!(same["items"].as_array().map(Vec::len), Some(10));
    let (status, body) = app
        .send_json("PUT", "/api/v1/reform/baselines/SW-002", Some(&admin), entry)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(11));
}
