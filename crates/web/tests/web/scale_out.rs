//! Two onego servers on one PostgreSQL database, as a province runs them behind a load balancer: every
//! answer and every decision reflects what the other server committed, and timers fired by either one
//! never undo the other's work.

use std::sync::Arc;

use axum::http::StatusCode;
use onego_calendar::Timestamp;
use serde_json::json;

use crate::support::{App, TestDb};

fn in_days(days: i64) -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis() + days * 86_400_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_alternate_commands_and_timers_on_cases_and_requests() {
    let Some(db) = TestDb::postgres("two-servers") else {
        return;
    };
    let db = Arc::new(db);
    let (a, b) = (App::on(db.clone()), App::on(db));
    let servers = [&a, &b];

    // A case: submitted on A, each later step on the other server than the one before.
    let applicant = a.login("zhangsan").await;
    let (status, case) = a
        .post(
            "/api/v1/cases",
            Some(&applicant),
            json!({"item": "SP-001", "materials": ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().expect("id");
    let clerk = b.login("window1").await;
    let (status, on_b) = b.get(&format!("/api/v1/cases/{id}"), Some(&clerk)).await;
    assert_eq!(
        (status, on_b["status"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );
    let (status, accepted) = b
        .post(
            &format!("/api/v1/cases/{id}/commands"),
            Some(&clerk),
            json!({"command": "accept", "opinion": "材料齐全"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (_, on_a) = a.get(&format!("/api/v1/cases/{id}"), Some(&applicant)).await;
    assert_eq!(
        on_a["status"], "in_review",
        "server A shows what server B committed"
    );
    for (n, who) in ["market1", "fire1", "housing1", "approval1"]
        .into_iter()
        .enumerate()
    {
        let (reader, writer) = (servers[n % 2], servers[(n + 1) % 2]);
        let s = reader.login(who).await;
        let (_, inbox) = reader.get("/api/v1/inbox", Some(&s)).await;
        let task = inbox
            .as_array()
            .expect("inbox")
            .iter()
            .find(|i| i["case_id"] == id)
            .unwrap_or_else(|| panic!("{who} sees the task: {inbox}"))["task_id"]
            .clone();
        let (status, out) = writer
            .post(
                &format!("/api/v1/cases/{id}/commands"),
                Some(&s),
                json!({"command": "act", "task": task, "action": "approve", "opinion": "同意"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{who} on the other server: {out}");
    }
    for server in servers {
        let (_, seen) = server.get(&format!("/api/v1/cases/{id}"), Some(&applicant)).await;
        assert_eq!(
            (seen["status"].as_str(), seen["outcome"].as_str()),
            (Some("decided"), Some("approved"))
        );
        let (_, check) = server
            .get(&format!("/api/v1/cases/{id}/verify"), Some(&applicant))
            .await;
        assert_eq!(check["intact"], true);
    }

    // Requests: taken in on A, dispatched on B, their timers fired by A (which saw them only as
    // received) and then by B.
    let operator = a.login("operator1").await;
    let dispatcher = b.login("dispatcher").await;
    let mut tickets = Vec::new();
    for n in 0..3 {
        let (status, t) = a
            .post(
                "/api/v1/tickets",
                Some(&operator),
                json!({"channel": "phone", "kind": "complaint", "category": "CG01",
                       "content": format!("中华路第{n}个路口流动摊贩占道经营"), "lat": 35.23, "lon": 115.42}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        tickets.push(t["ticket"]["id"].as_i64().expect("id"));
    }
    for &t in &tickets {
        let (status, out) = b
            .post(
                &format!("/api/v1/tickets/{t}/commands"),
                Some(&dispatcher),
                json!({"command": "dispatch", "lead": "urban"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        let (_, on_a) = a.get(&format!("/api/v1/tickets/{t}"), Some(&operator)).await;
        assert_eq!(on_a["ticket"]["status"], "dispatched", "A sees B's dispatch");
    }
    // Two days on, every response clock is overdue: A fires the warnings, B the overdue marks.
    let fired_a = a
        .state
        .engine
        .fire_due_timers(in_days(2))
        .await
        .expect("timers on A");
    let fired_b = b
        .state
        .engine
        .fire_due_timers(in_days(2))
        .await
        .expect("timers on B");
    assert!(
        fired_a + fired_b >= 6,
        "warning and overdue for each request: {fired_a} + {fired_b}"
    );
    for &t in &tickets {
        let (_, seen) = a.get(&format!("/api/v1/tickets/{t}"), Some(&operator)).await;
        let alarms = seen["ticket"]["alarms"].as_array().expect("alarms").len();
        assert!(alarms >= 2, "the warning and the overdue are on record: {seen}");
        assert!(
            !seen["ticket"]["supervision"].is_null(),
            "overdue raised supervision"
        );
        // The urban department signs on A after all that, and B sees it handled.
        let urban = a.login("urban1").await;
        let (status, out) = a
            .post(
                &format!("/api/v1/tickets/{t}/commands"),
                Some(&urban),
                json!({"command": "sign"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        let (_, on_b) = b.get(&format!("/api/v1/tickets/{t}"), Some(&dispatcher)).await;
        assert_eq!(on_b["ticket"]["status"], "handling");
    }
    // The solve clocks still have their timers: nothing fired on a stale basis deleted them.
    let ids = tickets.clone();
    let left = a
        .state
        .engine
        .store()
        .raw_read(move |c| {
            let mut n = 0;
            for id in &ids {
                n += c
                    .query_one(
                        "SELECT COUNT(*) FROM timers WHERE aggregate_id = $1 AND target = 'ticket:solve'",
                        &[onego_store::Value::Int(*id)],
                    )?
                    .map(|r| r.int(0))
                    .transpose()?
                    .unwrap_or(0);
            }
            Ok(n)
        })
        .await
        .expect("timers");
    assert_eq!(left, 6, "each request keeps its solve warning and overdue timers");
}
