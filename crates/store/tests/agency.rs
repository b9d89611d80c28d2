//! 帮办代办 on both databases, on the engine's one path: the agency centre records a signed agreement
//! (and nobody else; nothing stored on a refusal); within its scope and dates the agent submits and
//! supplies for the enterprise, each step journalled "by agent X for enterprise Y" under the agreement;
//! outside the scope, for another enterprise, after revocation or expiry the agent is refused with the
//! reason and nothing changes; the expiry timer reminds before the last day and ends it after.

use onego_domain::agency::{AgreementCommand, AgreementStatus, NewAgreement};
use onego_domain::case::{Command, MissingMaterial, SubjectRef};
use onego_domain::org::{Actor, Role};
use onego_domain::project::Investor;
use onego_domain::values::{ApplicantId, Uscc};
use onego_store::engine::{Engine, EngineError};
use onego_test_support::commands::{accept, submission};
use onego_test_support::{ENTERPRISE_ID, at, code, databases, engine_on, staff};

fn enterprise_id() -> ApplicantId {
    ApplicantId::Organisation {
        uscc: Uscc::parse(ENTERPRISE_ID).expect("uscc"),
    }
}

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

fn terms(items: &[&str], until: &str) -> NewAgreement {
    NewAgreement {
        enterprise: Investor {
            id: enterprise_id(),
            name: "菏泽蓝天餐饮有限公司".into(),
        },
        projects: vec![],
        items: items.iter().map(|i| code(i)).collect(),
        valid_from: chrono::NaiveDate::parse_from_str("2026-03-01", "%Y-%m-%d").expect("date"),
        valid_until: chrono::NaiveDate::parse_from_str(until, "%Y-%m-%d").expect("date"),
        file: None,
    }
}

/// The agent as their account carries them at `when`.
async fn agent(engine: &Engine, when: &str) -> Actor {
    let (user, _) = engine
        .store()
        .users()
        .by_username("agent1")
        .await
        .expect("read")
        .expect("the test agent");
    let mut a = user.actor();
    a.mandates = engine
        .mandates_of(user.id, Role::Agent, at(when))
        .await
        .expect("mandates");
    a
}

/// The agent applies for the enterprise for `item`.
async fn apply_as(
    engine: &Engine,
    who: &Actor,
    item: &str,
    for_id: ApplicantId,
    when: &str,
) -> Result<i64, EngineError> {
    let spec = onego_domain::case::Registry::item(
        &*engine.catalog(),
        &code(item),
        engine.calendar().local_date(at(when)),
    )
    .expect("item")
    .clone();
    let materials: Vec<String> = spec.materials.iter().map(|m| m.code.to_string()).collect();
    let materials: Vec<&str> = materials.iter().map(String::as_str).collect();
    let mut s = submission(
        SubjectRef::Item { code: code(item) },
        &materials,
        serde_json::json!({}),
    );
    s.applicant.id = for_id;
    s.applicant.name = "菏泽蓝天餐饮有限公司".into();
    s.applicant.mobile = None;
    s.applicant.user_id = None;
    engine.open_case(who, s, None, at(when)).await.map(|o| o.state.id)
}

fn code_of(e: &EngineError) -> String {
    match e {
        EngineError::Denied(m) | EngineError::Invalid(m) | EngineError::NotAllowedNow(m) => m.code.to_owned(),
        other => format!("{other:?}"),
    }
}

async fn case_count(engine: &Engine) -> i64 {
    let all = onego_store::case::CaseFilter::new(onego_domain::policy::CaseScope::All, 1000);
    engine.store().cases().count(all).await.expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_acts_for_the_enterprise_only_within_an_agreement_in_force() {
    for db in databases("agency") {
        let b = db.backend;
        let engine = engine_on(&db);
        let centre = staff(Role::Approver, Some("approval"));
        // Only the agency centre records agreements; a wrong agent, an empty scope, an unknown item and
        // dates in the past are refused, and nothing is stored.
        let refusals = [
            (
                staff(Role::Approver, Some("market")),
                "agent1",
                terms(&["SW-001"], "2026-12-31"),
                "agreement_by_centre",
            ),
            (
                centre.clone(),
                "zhangsan",
                terms(&["SW-001"], "2026-12-31"),
                "agreement_agent_unknown",
            ),
            (
                centre.clone(),
                "agent1",
                terms(&[], "2026-12-31"),
                "agreement_scope_empty",
            ),
            (
                centre.clone(),
                "agent1",
                terms(&["XX-999"], "2026-12-31"),
                "agreement_item_unknown",
            ),
            (
                centre.clone(),
                "agent1",
                terms(&["SW-001"], "2026-02-01"),
                "agreement_dates",
            ),
        ];
        for (who, agent_name, t, expected) in refusals {
            let r = engine
                .sign_agreement(&who, agent_name, t, at("2026-03-02T09:00:00"))
                .await;
            let e = r.err().unwrap_or_else(|| panic!("{b}: {expected} was accepted"));
            assert_eq!(code_of(&e), expected, "{b}");
        }
        assert!(engine.agreements(&centre).await.expect("list").is_empty(), "{b}");

        let signed = engine
            .sign_agreement(
                &centre,
                "agent1",
                terms(&["SW-001"], "2026-04-30"),
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        assert!(signed.number.starts_with("DB-"), "{b}: {}", signed.number);
        let agent_now = agent(&engine, "2026-03-02T10:00:00").await;
        assert_eq!(agent_now.mandates.len(), 1, "{b}");
        assert!(agent_now.mandates[0].in_force, "{b}");
        // The enterprise and the agent see it; another department does not.
        assert!(engine.agreement(&enterprise(), signed.id).await.is_ok(), "{b}");
        assert!(engine.agreement(&agent_now, signed.id).await.is_ok(), "{b}");
        assert!(
            engine
                .agreement(&staff(Role::Approver, Some("fire")), signed.id)
                .await
                .is_err(),
            "{b}"
        );

        // Within scope: the agent submits in the enterprise's name; the journal says for whom and under
        // which agreement.
        let before = case_count(&engine).await;
        let id = apply_as(
            &engine,
            &agent_now,
            "SW-001",
            enterprise_id(),
            "2026-03-02T10:00:00",
        )
        .await
        .unwrap_or_else(|e| panic!("{b}: {e}"));
        let journal = engine.store().cases().journal(id).await.expect("journal");
        assert_eq!(journal[0].actor_role, "agent", "{b}");
        let data: serde_json::Value = serde_json::from_str(&journal[0].data).expect("json");
        assert_eq!(data["on_behalf_of"]["number"], signed.number.as_str(), "{b}");
        assert_eq!(data["on_behalf_of"]["enterprise"], "菏泽蓝天餐饮有限公司", "{b}");
        assert!(
            engine
                .store()
                .cases()
                .verify_chain(id)
                .await
                .expect("chain")
                .intact,
            "{b}"
        );
        assert!(engine.case(&agent_now, id).await.is_ok(), "{b}");
        assert_eq!(case_count(&engine).await, before + 1, "{b}");
        // The enterprise reads every step its agent took.
        let steps = engine.agent_steps(&enterprise()).await.expect("steps");
        assert!(
            steps
                .iter()
                .any(|s| s.aggregate_id == id && s.agreement == signed.number),
            "{b}"
        );

        // Outside the scope, and for an enterprise without an agreement: refused, with why, nothing stored.
        let r = apply_as(
            &engine,
            &agent_now,
            "SCJG-002",
            enterprise_id(),
            "2026-03-02T10:05:00",
        )
        .await;
        assert_eq!(
            code_of(&r.expect_err("outside scope")),
            "agent_outside_scope",
            "{b}"
        );
        let other = ApplicantId::Organisation {
            uscc: Uscc::parse("91370000163044211A").expect("uscc"),
        };
        let r = apply_as(&engine, &agent_now, "SW-001", other, "2026-03-02T10:06:00").await;
        assert_eq!(
            code_of(&r.expect_err("no agreement")),
            "agent_no_agreement",
            "{b}"
        );
        assert_eq!(case_count(&engine).await, before + 1, "{b}");

        // 补正: the window asks, the agent supplies for the enterprise; the agent may not rate.
        let clerk = staff(Role::Clerk, None);
        let first = code("M-APP-INVOICE");
        engine
            .run_case(
                &clerk,
                id,
                &Command::RequestSupplement {
                    missing: vec![MissingMaterial {
                        code: first.clone(),
                        name: "申请表".into(),
                        reason: "缺少签章".into(),
                    }],
                    note: String::new(),
                },
                at("2026-03-02T11:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        engine
            .run_case(
                &agent_now,
                id,
                &Command::SupplyMaterials {
                    materials: vec![first.clone()],
                    files: Default::default(),
                },
                at("2026-03-02T14:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let rate = Command::Rate {
            level: 5,
            comment: String::new(),
        };
        let r = engine
            .run_case(&agent_now, id, &rate, at("2026-03-02T14:05:00"))
            .await;
        assert!(matches!(r, Err(EngineError::Denied(_))), "{b}: {r:?}");
        engine
            .run_case(&clerk, id, &accept(), at("2026-03-02T15:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));

        // Only the enterprise or the centre revokes, with a reason; after it the agent is refused.
        let revoke = AgreementCommand::Revoke {
            reason: "企业自行办理".into(),
        };
        let r = engine
            .run_agreement(&agent_now, signed.id, &revoke, at("2026-03-03T09:00:00"))
            .await;
        assert!(matches!(r, Err(EngineError::Denied(_))), "{b}: {r:?}");
        let r = engine
            .run_agreement(
                &enterprise(),
                signed.id,
                &AgreementCommand::Revoke { reason: " ".into() },
                at("2026-03-03T09:00:00"),
            )
            .await;
        assert!(matches!(r, Err(EngineError::Invalid(_))), "{b}: {r:?}");
        engine
            .run_agreement(&enterprise(), signed.id, &revoke, at("2026-03-03T09:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let agent_after = agent(&engine, "2026-03-03T10:00:00").await;
        let r = apply_as(
            &engine,
            &agent_after,
            "SW-001",
            enterprise_id(),
            "2026-03-03T10:00:00",
        )
        .await;
        assert_eq!(
            code_of(&r.expect_err("revoked")),
            "agent_agreement_not_in_force",
            "{b}"
        );
        assert!(
            engine.case(&agent_after, id).await.is_err(),
            "{b}: no longer theirs to read"
        );
        assert_eq!(case_count(&engine).await, before + 1, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_is_reminded_before_its_last_day_and_ends_after_it() {
    for db in databases("agency-expiry") {
        let b = db.backend;
        let engine = engine_on(&db);
        let centre = staff(Role::Approver, Some("approval"));
        let signed = engine
            .sign_agreement(
                &centre,
                "agent1",
                terms(&["SW-001"], "2026-04-30"),
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        // Nothing before the reminder day (30 days before the last); the reminder once; the end after it.
        engine
            .fire_due_timers(at("2026-03-30T08:00:00"))
            .await
            .expect("timers");
        let a = engine
            .agreement(&centre, signed.id)
            .await
            .expect("read")
            .value
            .clone();
        assert!(!a.reminded, "{b}");
        engine
            .fire_due_timers(at("2026-03-31T09:00:00"))
            .await
            .expect("timers");
        let a = engine
            .agreement(&centre, signed.id)
            .await
            .expect("read")
            .value
            .clone();
        assert!(a.reminded && a.status == AgreementStatus::Signed, "{b}");
        let user = engine
            .store()
            .users()
            .by_username("agent1")
            .await
            .expect("read")
            .expect("agent")
            .0;
        let notes = engine
            .store()
            .inbox()
            .notifications(user.id, None, 50)
            .await
            .expect("notes");
        assert!(
            notes.iter().any(|n| n.kind == "agreement_expiring"),
            "{b}: {notes:?}"
        );
        engine
            .fire_due_timers(at("2026-05-01T09:00:00"))
            .await
            .expect("timers");
        let a = engine
            .agreement(&centre, signed.id)
            .await
            .expect("read")
            .value
            .clone();
        assert_eq!(a.status, AgreementStatus::Expired, "{b}");
        let agent_after = agent(&engine, "2026-05-01T10:00:00").await;
        assert!(!agent_after.mandates[0].in_force, "{b}");
        let r = apply_as(
            &engine,
            &agent_after,
            "SW-001",
            enterprise_id(),
            "2026-05-01T10:00:00",
        )
        .await;
        assert_eq!(
            code_of(&r.expect_err("expired")),
            "agent_agreement_not_in_force",
            "{b}"
        );
        // The timeline keeps every step.
        let journal = engine
            .timeline::<onego_domain::agency::Agreement>(&centre, signed.id)
            .await
            .expect("journal");
        let actions: Vec<&str> = journal.iter().map(|j| j.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "agreement_signed",
                "agreement_expiry_reminded",
                "agreement_expired"
            ],
            "{b}"
        );
    }
}
