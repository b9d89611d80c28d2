//! Major projects on both databases, on the engine's one path: a steward records a project and its plan
//! comes from the type's path; the enterprise applies for a procedure only in a started stage and the case
//! links to the project in the case's own commit; a stage starts out of order only on a 容缺 reason; a plan
//! edit needs its reason; a procedure's decision is recorded on the project in the decision's commit, and
//! the last one completes the stage; an unrelated enterprise sees nothing; nothing changes on a refusal.

use onego_domain::case::{CaseStatus, Command, SubjectRef};
use onego_domain::org::{Actor, Role};
use onego_domain::project::{Investor, KeyLevel, NewProject, ProjectCommand, ProjectType, Site, Stage};
use onego_domain::values::{ApplicantId, Uscc};
use onego_store::engine::{Engine, EngineError};
use onego_test_support::commands::{approve, submission};
use onego_test_support::{ENTERPRISE_ID, at, code, databases, engine_on, staff};

fn enterprise_id() -> ApplicantId {
    ApplicantId::Organisation {
        uscc: Uscc::parse(ENTERPRISE_ID).expect("uscc"),
    }
}

/// 菏泽蓝天餐饮有限公司 (the test enterprise) as the engine sees its account.
fn enterprise() -> Actor {
    Actor {
        user_id: 300,
        username: "acme".into(),
        name: "菏泽蓝天餐饮有限公司".into(),
        role: Role::Applicant,
        department: None,
        applicant: Some(enterprise_id()),
        mandates: Vec::new(),
    }
}

fn new_project(code_: &str) -> NewProject {
    NewProject {
        code: code_.into(),
        name: "蓝天中央厨房建设项目".into(),
        investor: Investor {
            id: enterprise_id(),
            name: "菏泽蓝天餐饮有限公司".into(),
        },
        site: Site {
            address: "菏泽高新区长江东路南侧".into(),
            lat: Some(35.25),
            lon: Some(115.47),
            grid: None,
        },
        kind: ProjectType::Social,
        investment: 12_000,
        land_parcel: "2026-G-017".into(),
        key_level: KeyLevel::City,
    }
}

/// The enterprise applies online for a procedure of the project.
async fn apply(
    engine: &Engine,
    project: i64,
    item: &str,
    materials: &[&str],
    when: &str,
) -> Result<i64, EngineError> {
    let mut s = submission(
        SubjectRef::Item { code: code(item) },
        materials,
        serde_json::json!({}),
    );
    s.applicant.id = enterprise_id();
    s.applicant.name = "菏泽蓝天餐饮有限公司".into();
    s.applicant.user_id = Some(300);
    s.project = Some(project);
    engine
        .open_case(&enterprise(), s, None, at(when))
        .await
        .map(|o| o.state.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_runs_its_plan_stage_by_stage_with_its_procedures_as_cases() {
    for db in databases("projects") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let steward = staff(Role::Approver, Some("approval"));
        // Only a steward or the enterprise itself records a project.
        let r = engine
            .open_project(
                &staff(Role::Approver, Some("market")),
                new_project("2026-371700-47-01-000001"),
                at("2026-03-02T09:00:00"),
            )
            .await;
        assert!(matches!(r, Err(EngineError::Denied(_))), "{b}: {r:?}");
        let project = engine
            .open_project(
                &steward,
                new_project("2026-371700-47-01-000123"),
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        let plan: Vec<&str> = project.procedures.iter().map(|p| p.item.as_str()).collect();
        assert_eq!(
            plan,
            ["SP-002", "ZRZY-001", "ZRZY-002", "XF-002", "ZJ-002", "ZJ-004"],
            "{b}"
        );
        assert_eq!(project.target_days, 45, "{b}");
        // The same code twice: refused.
        let again = engine
            .open_project(
                &enterprise(),
                new_project("2026-371700-47-01-000123"),
                at("2026-03-02T09:05:00"),
            )
            .await;
        assert!(matches!(again, Err(EngineError::Invalid(_))), "{b}: {again:?}");
        // An unrelated enterprise (or person) sees nothing of it.
        let lisi = onego_test_support::applicant();
        assert!(
            matches!(
                engine.project(&lisi, project.id).await,
                Err(EngineError::NotFound(_))
            ),
            "{b}"
        );
        assert!(engine.projects(&lisi).await.expect("list").is_empty(), "{b}");
        assert_eq!(
            engine.projects(&enterprise()).await.expect("list").len(),
            1,
            "{b}"
        );
        assert_eq!(
            engine
                .projects(&staff(Role::Approver, Some("fire")))
                .await
                .expect("list")
                .len(),
            1,
            "{b}: fire has a procedure"
        );

        // Applying before the stage started: refused, nothing stored.
        let r = apply(
            &engine,
            project.id,
            "SP-002",
            &["M-APP-PROJECT", "M-LICENCE"],
            "2026-03-02T10:00:00",
        )
        .await;
        assert!(
            matches!(&r, Err(EngineError::NotAllowedNow(m)) if m.zh.contains("尚未开始")),
            "{b}: {r:?}"
        );
        // Stage two before stage one is complete: only on a 容缺 reason.
        let early = ProjectCommand::StartStage {
            stage: Stage::EngineeringPermit,
            shortfall_reason: None,
        };
        let r = engine
            .run_project(&steward, project.id, &early, at("2026-03-02T10:00:00"))
            .await;
        assert!(
            matches!(&r, Err(EngineError::NotAllowedNow(m)) if m.zh.contains("容缺")),
            "{b}: {r:?}"
        );
        let start = ProjectCommand::StartStage {
            stage: Stage::LandPlanning,
            shortfall_reason: None,
        };
        engine
            .run_project(&enterprise(), project.id, &start, at("2026-03-02T10:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));

        // The enterprise applies for 项目备案: the case links to the project in its own commit.
        let case = apply(
            &engine,
            project.id,
            "SP-002",
            &["M-APP-PROJECT", "M-LICENCE"],
            "2026-03-02T10:30:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let p = engine.project(&steward, project.id).await.expect("project");
        assert_eq!(p.value.procedures[0].case_id, Some(case), "{b}");
        // Twice for the same procedure: refused.
        let r = apply(
            &engine,
            project.id,
            "SP-002",
            &["M-APP-PROJECT", "M-LICENCE"],
            "2026-03-02T10:40:00",
        )
        .await;
        assert!(matches!(r, Err(EngineError::NotAllowedNow(_))), "{b}: {r:?}");

        // A plan edit needs its reason; with it the steward drops 建设用地规划许可 (land sold with its plan).
        let drop = |reason: &str| ProjectCommand::DropProcedure {
            item: code("ZRZY-001"),
            reason: reason.into(),
        };
        let r = engine
            .run_project(&steward, project.id, &drop(" "), at("2026-03-02T11:00:00"))
            .await;
        assert!(matches!(r, Err(EngineError::Invalid(_))), "{b}: {r:?}");
        let r = engine
            .run_project(
                &enterprise(),
                project.id,
                &drop("出让时已附规划条件"),
                at("2026-03-02T11:00:00"),
            )
            .await;
        assert!(
            matches!(r, Err(EngineError::Denied(_))),
            "{b}: only stewards edit the plan"
        );
        engine
            .run_project(
                &steward,
                project.id,
                &drop("出让时已附规划条件"),
                at("2026-03-02T11:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));

        // The case is decided: the decision is on the project, and the stage completes with it.
        let clerk = staff(Role::Clerk, None);
        let accepted = engine
            .run_case(
                &clerk,
                case,
                &Command::Accept {
                    received: vec![],
                    deferred: vec![],
                    opinion: "材料齐全".into(),
                },
                at("2026-03-03T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        let task = accepted.open_tasks().next().expect("a task").id;
        let decided = engine
            .run_case(
                &staff(Role::Approver, Some("approval")),
                case,
                &approve(task),
                at("2026-03-04T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        assert_eq!(decided.status, CaseStatus::Decided, "{b}");
        let p = engine.project(&steward, project.id).await.expect("project");
        assert_eq!(p.value.procedures[0].approved, Some(true), "{b}");
        let land = p.value.stage(Stage::LandPlanning).expect("stage");
        assert!(
            land.completed_at.is_some(),
            "{b}: the stage completes with its last procedure"
        );
        let calendar = engine.calendar();
        assert_eq!(
            p.value
                .stage_days(Stage::LandPlanning, &calendar, at("2026-03-09T09:00:00")),
            Some(2),
            "{b}"
        );
        // Now stage two starts in order, without a reason.
        let next = ProjectCommand::StartStage {
            stage: Stage::EngineeringPermit,
            shortfall_reason: None,
        };
        engine
            .run_project(&steward, project.id, &next, at("2026-03-05T09:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // The journal holds every step, in the hash chain.
        let journal = engine.store().cases().journal(project.id).await.expect("journal");
        let actions: Vec<&str> = journal.iter().map(|j| j.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "created",
                "stage_started",
                "case_linked",
                "procedure_dropped",
                "procedure_decided",
                "stage_completed",
                "stage_started"
            ],
            "{b}"
        );
        assert!(
            engine
                .store()
                .cases()
                .verify_chain(project.id)
                .await
                .expect("chain")
                .intact,
            "{b}"
        );
    }
}

fn member(name: &str, phone: &str, dept: Option<&str>) -> onego_domain::project::Member {
    onego_domain::project::Member {
        name: name.into(),
        phone: Some(onego_domain::values::Mobile::parse(phone).expect("mobile")),
        department: dept.map(code),
        duty: "包保".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_tracks_who_answers_for_what_and_reminds_before_and_after_each_date_once() {
    for db in databases("project-ledger") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let steward = staff(Role::Approver, Some("approval"));
        let id = engine
            .open_project(
                &steward,
                new_project("2026-371700-47-01-000555"),
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state
            .id;
        let run = |who: Actor, cmd: ProjectCommand, when: &'static str| {
            let engine = &engine;
            async move { engine.run_project(&who, id, &cmd, at(when)).await }
        };
        let team = onego_domain::project::Team {
            leader: Some(member("李副区长", "13900000001", None)),
            steward: Some(member("王磊", "13900000002", Some("approval"))),
            contacts: vec![member("赵工", "13900000003", Some("nature"))],
        };
        // Only stewards keep the ledger.
        let r = run(
            enterprise(),
            ProjectCommand::SetTeam { team: team.clone() },
            "2026-03-02T09:10:00",
        )
        .await;
        assert!(matches!(r, Err(EngineError::Denied(_))), "{b}: {r:?}");
        run(
            steward.clone(),
            ProjectCommand::SetTeam { team },
            "2026-03-02T09:10:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Stage one runs from today; its path allows it 15 working days.
        run(
            steward.clone(),
            ProjectCommand::StartStage {
                stage: Stage::LandPlanning,
                shortfall_reason: None,
            },
            "2026-03-02T09:15:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let due = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).expect("date");
        run(
            steward.clone(),
            ProjectCommand::AssignProcedure {
                item: code("SP-002"),
                responsible: member("王磊", "13900000002", Some("approval")),
                planned_end: due,
            },
            "2026-03-02T09:20:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        // A visit cannot be dated in the future; a problem's deadline cannot be past.
        let visit = |on: chrono::NaiveDate| ProjectCommand::RecordVisit {
            on,
            people: "王磊、赵工".into(),
            needs: "用电接入需提前".into(),
            follow_up: "已对接供电公司".into(),
        };
        let r = run(
            steward.clone(),
            visit(chrono::NaiveDate::from_ymd_opt(2026, 3, 9).expect("date")),
            "2026-03-03T15:00:00",
        )
        .await;
        assert!(matches!(r, Err(EngineError::Invalid(_))), "{b}: {r:?}");
        run(
            steward.clone(),
            visit(chrono::NaiveDate::from_ymd_opt(2026, 3, 3).expect("date")),
            "2026-03-03T15:00:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let problem = |deadline: chrono::NaiveDate| ProjectCommand::RaiseProblem {
            title: "施工用电接入".into(),
            owner: member("供电公司联络员", "13900000004", Some("power")),
            deadline,
        };
        let r = run(
            enterprise(),
            problem(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")),
            "2026-03-03T16:00:00",
        )
        .await;
        assert!(matches!(r, Err(EngineError::Invalid(_))), "{b}: {r:?}");
        run(
            enterprise(),
            problem(chrono::NaiveDate::from_ymd_opt(2026, 3, 12).expect("date")),
            "2026-03-03T16:00:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));

        // Onego's timer: reminded the day before, late the day after, each once.
        let actions = || {
            let engine = &engine;
            async move {
                engine
                    .store()
                    .cases()
                    .journal(id)
                    .await
                    .expect("journal")
                    .into_iter()
                    .map(|j| j.action)
                    .filter(|a| a.contains("due_soon") || a.contains("late"))
                    .collect::<Vec<_>>()
            }
        };
        engine
            .fire_due_timers(at("2026-03-09T08:59:00"))
            .await
            .expect("fire");
        assert!(actions().await.is_empty(), "{b}");
        engine
            .fire_due_timers(at("2026-03-09T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-09T12:00:00"))
            .await
            .expect("fire");
        assert_eq!(actions().await, ["procedure_due_soon"], "{b}");
        engine
            .fire_due_timers(at("2026-03-11T00:00:01"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-11T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-13T00:00:01"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-20T00:00:01"))
            .await
            .expect("fire");
        assert_eq!(
            actions().await,
            [
                "procedure_due_soon",
                "procedure_late",
                "problem_due_soon",
                "problem_late"
            ],
            "{b}"
        );
        // The stage's own limit: 15 working days from 2 March end on 23 March.
        engine
            .fire_due_timers(at("2026-03-22T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-24T00:00:01"))
            .await
            .expect("fire");
        assert_eq!(
            actions().await,
            [
                "procedure_due_soon",
                "procedure_late",
                "problem_due_soon",
                "problem_late",
                "stage_due_soon",
                "stage_late"
            ],
            "{b}"
        );
        // The stewards' department is told; lateness reaches its supervisors as well.
        let notes = engine
            .store()
            .inbox()
            .notifications(0, Some("approval".into()), 100)
            .await
            .expect("notes");
        let kinds: Vec<&str> = notes.iter().map(|n| n.kind.as_str()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "project_late").count(),
            3,
            "{b}: {kinds:?}"
        );
        assert!(notes.iter().any(|n| n.text.contains("已超过计划时间")), "{b}");
        let p = engine.project(&steward, id).await.expect("project");
        assert!(p.value.procedures[0].late && p.value.problems[0].late, "{b}");
        // Resolving closes the problem; twice is refused.
        let resolve = ProjectCommand::ResolveProblem {
            problem: 1,
            note: "已接入施工临时用电".into(),
        };
        run(steward.clone(), resolve.clone(), "2026-03-20T10:00:00")
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let r = run(steward.clone(), resolve, "2026-03-20T10:05:00").await;
        assert!(matches!(r, Err(EngineError::NotAllowedNow(_))), "{b}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_review_before_the_land_becomes_formal_in_one_step_when_the_land_certificate_arrives() {
    for db in databases("land-to-works") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let steward = staff(Role::Approver, Some("approval"));
        let id = engine
            .open_project(
                &steward,
                new_project("2026-371700-47-01-000666"),
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state
            .id;
        // The planning permit runs as 预审 while the land is being sold: no stage started, no land.
        let case = apply(
            &engine,
            id,
            "ZRZY-002",
            &["M-APP-ENGPLAN", "M-DESIGN-SCHEME", "M-LAND"],
            "2026-03-02T10:00:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let clerk = staff(Role::Clerk, None);
        let mut state = engine
            .run_case(
                &clerk,
                case,
                &Command::Accept {
                    received: vec![],
                    deferred: vec![],
                    opinion: "预审受理".into(),
                },
                at("2026-03-02T11:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        let mut when = 12;
        loop {
            let next = state.open_tasks().next().cloned();
            let Some(task) = next else { break };
            let role = if task.role.as_deref() == Some("supervisor") {
                Role::Supervisor
            } else {
                Role::Approver
            };
            state = engine
                .run_case(
                    &staff(role, Some("nature")),
                    case,
                    &approve(task.id),
                    at(&format!("2026-03-03T{when}:00:00")),
                )
                .await
                .unwrap_or_else(|e| panic!("{b}: {e}"))
                .state;
            when += 1;
        }
        assert_eq!(state.status, CaseStatus::Decided, "{b}");
        // Approved in 预审: held, and its certificate not yet issued.
        let p = engine.project(&steward, id).await.expect("project");
        let permit = p
            .value
            .procedures
            .iter()
            .find(|q| q.item == code("ZRZY-002"))
            .expect("procedure");
        assert!(permit.provisional && permit.approved == Some(true), "{b}");
        let mine = engine
            .certificates_of_case(&Actor::system(), case)
            .await
            .expect("certificates");
        assert!(mine.is_empty(), "{b}: the permit waits for the land");

        // The land certificate must be the investor's land certificate.
        let someone = onego_test_support::applicant_id();
        let wrong = engine
            .issue_certificate(
                &Actor::system(),
                engine
                    .issue_of_type(
                        "11100000000013345X001",
                        someone,
                        "张三",
                        serde_json::json!({}),
                        None,
                    )
                    .expect("type"),
                at("2026-03-05T09:00:00"),
            )
            .await
            .expect("issued")
            .state;
        let land = |certificate: String| ProjectCommand::AcquireLand { certificate };
        let r = engine
            .run_project(
                &enterprise(),
                id,
                &land(wrong.content.identifier.clone()),
                at("2026-03-05T10:00:00"),
            )
            .await;
        assert!(
            matches!(&r, Err(EngineError::Invalid(m)) if m.field.as_deref() == Some("certificate")),
            "{b}: {r:?}"
        );
        let deed = engine
            .issue_certificate(
                &Actor::system(),
                engine
                    .issue_of_type(
                        "11100000000013345X001",
                        enterprise_id(),
                        "菏泽蓝天餐饮有限公司",
                        serde_json::json!({"坐落": "长江东路南侧"}),
                        None,
                    )
                    .expect("type"),
                at("2026-03-05T09:00:00"),
            )
            .await
            .expect("issued")
            .state;
        // One step: the land recorded, the 预审 formal, the permit issued in the same commit.
        let out = engine
            .run_project(
                &enterprise(),
                id,
                &land(deed.content.identifier.clone()),
                at("2026-03-05T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let actions: Vec<&str> = out.entries.iter().map(|e| e.event.action()).collect();
        // Stage two starts with the land; it completes once 消防设计审查 is decided too.
        assert_eq!(
            actions,
            ["land_acquired", "procedure_formalized", "stage_started"],
            "{b}"
        );
        let certificates = engine
            .certificates_of_case(&Actor::system(), case)
            .await
            .expect("certificates");
        assert_eq!(certificates.len(), 1, "{b}");
        assert_eq!(certificates[0].content.type_name, "建设工程规划许可证", "{b}");
        assert_eq!(certificates[0].holder, enterprise_id(), "{b}");
        let p = engine.project(&steward, id).await.expect("project");
        assert!(
            p.value.land.is_some() && !p.value.procedures.iter().any(|q| q.provisional),
            "{b}"
        );
        // Twice: refused.
        let r = engine
            .run_project(
                &enterprise(),
                id,
                &land(deed.content.identifier.clone()),
                at("2026-03-05T11:00:00"),
            )
            .await;
        assert!(matches!(r, Err(EngineError::NotAllowedNow(_))), "{b}: {r:?}");
    }
}
