//! 云会商 and 云勘验 on both databases: a reviewing department convenes a joint review (the invited
//! departments are told), records the minutes, and an invited department's opinion completes its open
//! countersign task in the same commit; a department records inspection evidence (photos, a video, when
//! and where, checklist, conclusion) on its own task; bad input and the wrong department are refused and
//! nothing changes; the statistics count the inspection time and the days from the meeting to the
//! decision.

use onego_domain::case::{CheckItem, Command, Evidence, EvidenceKind, MeetingOpinion, SubjectRef};
use onego_domain::org::Role;
use onego_domain::process::TaskAction;
use onego_domain::values::{ApplicantId, FileRef, Uscc};
use onego_store::engine::{Engine, EngineError};
use onego_store::stats::{GroupBy, StatsQuery};
use onego_test_support::commands::{accept, approve, submission};
use onego_test_support::{ENTERPRISE_ID, at, code, databases, engine_on, staff};

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
const MP4: &[u8] = &[
    0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0,
];

async fn journal_len(engine: &Engine, id: i64) -> usize {
    engine.store().cases().journal(id).await.expect("journal").len()
}

/// A construction permit (ZJ-002) of the test enterprise, accepted and pre-reviewed: its countersign
/// (fire and housing) is open.
async fn permit_in_countersign(engine: &Engine) -> i64 {
    let mut s = submission(
        SubjectRef::Item { code: code("ZJ-002") },
        &["M-APP-CONST", "M-LAND", "M-PLANNING", "M-CONTRACT-C", "M-SAFETY"],
        serde_json::json!({}),
    );
    s.channel = onego_domain::case::Channel::Window;
    s.applicant.id = ApplicantId::Organisation {
        uscc: Uscc::parse(ENTERPRISE_ID).expect("uscc"),
    };
    s.applicant.name = "菏泽蓝天餐饮有限公司".into();
    s.applicant.user_id = None;
    let clerk = staff(Role::Clerk, None);
    let id = engine
        .open_case(&clerk, s, Some(accept()), at("2026-03-02T09:00:00"))
        .await
        .expect("open")
        .state
        .id;
    let case = engine.case(&clerk, id).await.expect("case").value.clone();
    let pre = case.open_tasks().next().expect("pre-review").id;
    engine
        .run_case(
            &staff(Role::Approver, Some("housing")),
            id,
            &approve(pre),
            at("2026-03-02T10:00:00"),
        )
        .await
        .expect("pre-review");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joint_review_and_a_remote_inspection_feed_the_countersign_and_the_statistics() {
    for db in databases("review") {
        let b = db.backend;
        let engine = engine_on(&db);
        let id = permit_in_countersign(&engine).await;
        let housing = staff(Role::Approver, Some("housing"));
        let fire = staff(Role::Approver, Some("fire"));
        let convene = |link: &str, departments: &[&str]| Command::ConveneMeeting {
            topic: "施工许可联合审查：消防设计与施工图".into(),
            departments: departments.iter().map(|d| code(d)).collect(),
            at: at("2026-03-03T14:30:00"),
            link: Some(link.into()),
        };
        // Refused, with nothing recorded: a script for a link, nobody invited, a department not reviewing.
        let before = journal_len(&engine, id).await;
        for (who, cmd) in [
            (&housing, convene("javascript:alert(1)", &["fire"])),
            (&housing, convene("https://meet.example.gov.cn/88", &[])),
            (
                &staff(Role::Approver, Some("market")),
                convene("https://meet.example.gov.cn/88", &["fire"]),
            ),
        ] {
            let r = engine.run_case(who, id, &cmd, at("2026-03-02T11:00:00")).await;
            assert!(
                matches!(
                    r,
                    Err(EngineError::Invalid(_) | EngineError::Denied(_) | EngineError::NotFound(_))
                ),
                "{b}: {r:?}"
            );
        }
        assert_eq!(journal_len(&engine, id).await, before, "{b}");
        engine
            .run_case(
                &housing,
                id,
                &convene("https://meet.example.gov.cn/88", &["fire", "nature"]),
                at("2026-03-02T11:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let notes = engine
            .store()
            .inbox()
            .notifications(0, Some("fire".into()), 20)
            .await
            .expect("notes");
        assert!(
            notes
                .iter()
                .any(|n| n.kind == "meeting_convened" && n.text.contains("施工许可联合审查")),
            "{b}"
        );

        // Only the convener records the minutes; an uninvited department's opinion is refused.
        let opinion = |d: &str, agree: bool, text: &str| MeetingOpinion {
            department: code(d),
            agree,
            opinion: text.into(),
        };
        let record = |opinions: Vec<MeetingOpinion>| Command::RecordMeeting {
            meeting: 1,
            minutes: "会议审查了消防设计和施工图，消防部门同意，规划部门无异议。".into(),
            opinions,
        };
        let r = engine
            .run_case(
                &fire,
                id,
                &record(vec![opinion("fire", true, "同意")]),
                at("2026-03-03T16:00:00"),
            )
            .await;
        assert!(r.is_err(), "{b}: {r:?}");
        let r = engine
            .run_case(
                &housing,
                id,
                &record(vec![opinion("tax", true, "同意")]),
                at("2026-03-03T16:00:00"),
            )
            .await;
        assert!(matches!(r, Err(EngineError::Invalid(_))), "{b}: {r:?}");
        let out = engine
            .run_case(
                &housing,
                id,
                &record(vec![
                    opinion("fire", true, "消防设计符合规范，同意"),
                    opinion("nature", true, "与规划许可一致"),
                ]),
                at("2026-03-03T16:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        // Fire's countersign task is done by its opinion at the meeting; housing's is still open.
        let case = &out.state;
        let fire_task = case
            .tasks
            .iter()
            .find(|t| t.department.as_str() == "fire")
            .expect("fire's task");
        assert!(
            !fire_task.is_open(),
            "{b}: fire's countersign task completed at the meeting"
        );
        let housing_task = case
            .open_tasks()
            .find(|t| t.department.as_str() == "housing")
            .expect("housing's countersign task")
            .id;
        assert!(
            out.entries.iter().any(|e| matches!(&e.event, onego_domain::case::Event::TaskCompleted { action: TaskAction::Approve, opinion, .. } if opinion.contains("云会商第1次"))),
            "{b}"
        );

        // 云勘验: the evidence must be the inspector's own uploads, taken after the task opened, at a place.
        let files = engine
            .store()
            .uploads()
            .store_all(
                housing.user_id,
                vec![
                    ("inspection".into(), "site.png".into(), "image/png", PNG.to_vec()),
                    ("inspection".into(), "walk.mp4".into(), "video/mp4", MP4.to_vec()),
                ],
                at("2026-03-04T09:00:00").as_millis(),
                onego_store::uploads::DAILY_QUOTA_BYTES,
            )
            .await
            .expect("uploads");
        let evidence = |taken: &str, lat: f64| -> Vec<Evidence> {
            files
                .iter()
                .zip([EvidenceKind::Photo, EvidenceKind::Video])
                .map(|(f, kind)| Evidence {
                    file: FileRef::new(*f),
                    kind,
                    captured_at: at(taken),
                    lat,
                    lon: 115.472,
                })
                .collect()
        };
        let inspect = |evidence: Vec<Evidence>| Command::RecordInspection {
            task: housing_task,
            evidence,
            checklist: vec![
                CheckItem {
                    item: "施工现场围挡".into(),
                    passed: true,
                },
                CheckItem {
                    item: "消防通道畅通".into(),
                    passed: true,
                },
            ],
            conclusion: "现场条件符合施工许可要求".into(),
        };
        let before = journal_len(&engine, id).await;
        for (who, cmd) in [
            (&housing, inspect(evidence("2026-03-09T10:00:00", 35.251))),
            (&housing, inspect(evidence("2026-03-04T08:30:00", 135.0))),
            (&housing, inspect(vec![])),
            (&fire, inspect(evidence("2026-03-04T08:30:00", 35.251))),
        ] {
            let r = engine.run_case(who, id, &cmd, at("2026-03-04T10:00:00")).await;
            assert!(r.is_err(), "{b}: {r:?}");
        }
        assert_eq!(journal_len(&engine, id).await, before, "{b}");
        let out = engine
            .run_case(
                &housing,
                id,
                &inspect(evidence("2026-03-04T08:30:00", 35.251)),
                at("2026-03-04T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let inspection = &out.state.inspections[0];
        assert!(inspection.passed && inspection.evidence.len() == 2, "{b}");
        // The files are the case's now: readable by whoever reads the case.
        let info = engine
            .store()
            .uploads()
            .info(files[1])
            .await
            .expect("info")
            .expect("upload");
        assert_eq!(info.aggregate_id, Some(id), "{b}");
        assert_eq!(info.content_type, "video/mp4", "{b}");

        // Housing signs and decides; the statistics count both.
        engine
            .run_case(&housing, id, &approve(housing_task), at("2026-03-04T11:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let decide = engine
            .case(&housing, id)
            .await
            .expect("case")
            .value
            .open_tasks()
            .next()
            .expect("decide")
            .id;
        let out = engine
            .run_case(&housing, id, &approve(decide), at("2026-03-05T09:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(out.state.decided_at.is_some(), "{b}");
        let rows = engine
            .store()
            .stats()
            .query(StatsQuery {
                group_by: GroupBy::Item,
                from_day: None,
                to_day: None,
                department: None,
                item: Some("ZJ-002".into()),
            })
            .await
            .expect("stats");
        let row = rows.iter().find(|r| r.key == "ZJ-002").expect("ZJ-002 row");
        assert_eq!((row.inspected, row.met), (1, 1), "{b}");
        // The countersign opened 2026-03-02 10:00 (after the pre-review); inspected 03-04 10:00.
        assert_eq!(row.avg_inspection_hours, Some(48.0), "{b}");
        assert_eq!(row.avg_meeting_to_decision_days, Some(2.0), "{b}");
    }
}
