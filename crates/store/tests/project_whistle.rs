//! A project's problem sent on as an enterprise whistle (企业吹哨，部门报到), on both databases: the
//! stewards or the enterprise name the departments; the request opens in the enterprise's name,
//! dispatched at once to them, in the project's own commit, and the problem keeps its number; an unknown
//! department, nobody named, a number sent by the caller or a second whistle change nothing.

use onego_domain::org::Role;
use onego_domain::project::{Member, ProjectCommand};
use onego_domain::ticket::TicketStatus;
use onego_store::engine::EngineError;
use onego_test_support::commands::project_of_acme;
use onego_test_support::{at, code, databases, engine_on, staff};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_problem_whistles_the_named_departments_in_the_projects_commit() {
    for db in databases("project-whistle") {
        let b = db.backend;
        let engine = engine_on(&db);
        let steward = staff(Role::Approver, Some("approval"));
        let id = project_of_acme(&engine).await;
        let raise = ProjectCommand::RaiseProblem {
            title: "施工临时用电迟迟未接入，影响开工".into(),
            owner: Member {
                name: "赵工".into(),
                phone: None,
                department: Some(code("approval")),
                duty: String::new(),
            },
            deadline: chrono::NaiveDate::from_ymd_opt(2026, 3, 20).expect("date"),
        };
        engine
            .run_project(&steward, id, &raise, at("2026-03-02T10:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let whistle = |departments: &[&str], ticket: Option<&str>| ProjectCommand::WhistleProblem {
            problem: 1,
            departments: departments.iter().map(|d| code(d)).collect(),
            ticket: ticket.map(str::to_owned),
        };
        let version = engine.project(&steward, id).await.expect("project").value.version;
        for (cmd, who) in [
            (whistle(&["nowhere"], None), steward.clone()),
            (whistle(&[], None), steward.clone()),
            (whistle(&["urban"], None), staff(Role::Approver, Some("market"))),
        ] {
            let r = engine
                .run_project(&who, id, &cmd, at("2026-03-02T11:00:00"))
                .await;
            assert!(
                matches!(
                    r,
                    Err(EngineError::Invalid(_) | EngineError::Denied(_) | EngineError::NotFound(_))
                ),
                "{b}: {r:?}"
            );
        }
        assert_eq!(
            engine.project(&steward, id).await.expect("project").value.version,
            version,
            "{b}"
        );
        // The number is onego's: one the caller sends is replaced by the one reserved.
        let out = engine
            .run_project(
                &steward,
                id,
                &whistle(&["urban", "power"], Some("R-forged")),
                at("2026-03-02T11:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let w = out.state.problems[0].whistle.clone().expect("whistled");
        assert!(
            w.ticket.starts_with('R') && w.ticket != "R-forged",
            "{b}: {}",
            w.ticket
        );
        let ticket_id = engine
            .store()
            .tickets()
            .id_by_number(&w.ticket)
            .await
            .expect("read")
            .expect("the request exists");
        let t = engine
            .ticket(&staff(Role::Dispatcher, Some("hotline")), ticket_id)
            .await
            .expect("ticket");
        assert_eq!(t.value.status, TicketStatus::Dispatched, "{b}");
        assert_eq!(t.value.lead.as_ref().map(|c| c.as_str()), Some("urban"), "{b}");
        assert!(t.value.content.contains("施工临时用电"), "{b}");
        assert_eq!(
            t.value.requester.name.as_deref(),
            Some("菏泽蓝天餐饮有限公司"),
            "{b}"
        );
        // Once is enough.
        let r = engine
            .run_project(
                &steward,
                id,
                &whistle(&["urban"], None),
                at("2026-03-02T12:00:00"),
            )
            .await;
        assert!(matches!(r, Err(EngineError::NotAllowedNow(_))), "{b}: {r:?}");
    }
}
