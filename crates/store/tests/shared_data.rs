//! Data instead of papers, on both databases: certificates attached as materials (免提交) with every
//! use logged in the same commit as the case; each bad certificate refused with nothing stored; the
//! certificate of an approved item issued in the decision's own commit (and the decision not stored
//! when it cannot be issued); 秒批 decided at submission, with the rule and the data it read journaled.

use std::sync::Arc;

use chrono::NaiveDate;
use onego_domain::case::{
    CaseOutcome, CaseStatus, Command, ProvidedMaterial, SubjectRef, Submission, UsedCertificate,
};
use onego_domain::certificate::{Certificate, CertificateCommand, CertificateStatus};
use onego_domain::org::{Actor, Role};
use onego_domain::policy::CaseScope;
use onego_domain::values::{ApplicantId, ResidentId};
use onego_store::case::CaseFilter;
use onego_store::engine::{Engine, EngineConfig, EngineError};
use onego_test_support::commands::submission;
use onego_test_support::{applicant, applicant_id, at, code, databases, engine_on, staff};

const RESIDENT_ID: &str = "11100000000019713D001";
const SOCIAL_INSURANCE: &str = "11100000000013360P001";
const HOUSING_FUND: &str = "11100000000013365S001";

/// A certificate of a catalog type, issued by its department to `holder`.
async fn hold(
    engine: &Engine,
    type_code: &str,
    holder: ApplicantId,
    data: serde_json::Value,
    valid_until: Option<NaiveDate>,
) -> Arc<Certificate> {
    let issue = engine
        .issue_of_type(type_code, holder, "张三", data, valid_until)
        .expect("a demo type");
    engine
        .issue_certificate(&Actor::system(), issue, at("2026-03-02T08:00:00"))
        .await
        .expect("issued")
        .state
}

fn by_certificate(code_: &str, id: i64) -> ProvidedMaterial {
    ProvidedMaterial {
        code: code(code_),
        at: at("2026-03-02T09:00:00"),
        file: None,
        certificate: Some(UsedCertificate {
            id,
            identifier: String::new(),
            type_name: String::new(),
        }),
    }
}

/// 张三 applies online for an item with these materials.
fn apply(item: &str, materials: Vec<ProvidedMaterial>, form: serde_json::Value) -> Submission {
    let mut s = submission(SubjectRef::Item { code: code(item) }, &[], form);
    s.materials = materials;
    s
}

async fn cases(engine: &Engine) -> i64 {
    engine
        .store()
        .cases()
        .count(CaseFilter::new(CaseScope::All, 1000))
        .await
        .expect("count")
}

async fn uses(engine: &Engine, id: i64) -> u64 {
    engine
        .certificate(&Actor::system(), id)
        .await
        .expect("certificate")
        .value
        .uses
}

fn refused(r: Result<impl std::fmt::Debug, EngineError>, words: &str, b: &str) {
    match r {
        Err(EngineError::Invalid(m)) => {
            assert!(m.zh.contains(words), "{b}: wanted “{words}”: {}", m.zh);
            assert_eq!(m.field.as_deref(), Some("materials"), "{b}");
        }
        other => panic!(
            "{b}: expected a refusal naming “{words}”, got {other:?}",
            other = other.map(|_| ()).map_err(|e| e.to_string())
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_replace_materials_each_use_is_logged_with_the_case_and_bad_ones_change_nothing() {
    for db in databases("shared-materials") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let id_card = hold(&engine, RESIDENT_ID, applicant_id(), serde_json::json!({}), None).await;

        // 个体工商户设立登记: the operator's ID comes from the certificate, not an upload.
        let out = engine
            .open_case(
                &applicant(),
                apply(
                    "SCJG-003",
                    vec![
                        by_certificate("M-ID-OPERATOR", id_card.id),
                        ProvidedMaterial {
                            certificate: None,
                            ..by_certificate("M-APP-IND", 0)
                        },
                    ],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let case = out.state;
        let attached = case
            .materials
            .iter()
            .find(|m| m.code == code("M-ID-OPERATOR"))
            .and_then(|m| m.certificate.clone())
            .expect("attached");
        assert_eq!(attached.identifier, id_card.content.identifier, "{b}");
        assert_eq!(attached.type_name, "居民身份证", "{b}");
        // The use is on the certificate's journal, in the same commit, naming the case.
        assert_eq!(uses(&engine, id_card.id).await, 1, "{b}");
        let journal = engine.store().cases().journal(id_card.id).await.expect("journal");
        let used = journal.iter().find(|j| j.action == "use").expect("a use entry");
        assert!(
            used.opinion
                .as_deref()
                .unwrap_or("")
                .contains(case.number.as_str()),
            "{b}: {:?}",
            used.opinion
        );
        assert!(
            engine
                .store()
                .cases()
                .verify_chain(id_card.id)
                .await
                .expect("chain")
                .intact
        );

        // Each bad certificate is refused with a message, and nothing is stored.
        let before = cases(&engine).await;
        let revoked = hold(&engine, RESIDENT_ID, applicant_id(), serde_json::json!({}), None).await;
        engine
            .run_certificate(
                &staff(Role::Supervisor, Some("police")),
                revoked.id,
                &CertificateCommand::Revoke {
                    reason: "证件遗失后补领".into(),
                },
                at("2026-03-02T08:30:00"),
            )
            .await
            .expect("revoked");
        let expired = hold(
            &engine,
            RESIDENT_ID,
            applicant_id(),
            serde_json::json!({}),
            NaiveDate::from_ymd_opt(2026, 3, 1),
        )
        .await;
        let someone_else = ApplicantId::Person {
            id_number: ResidentId::with_check("37170219900101123").expect("id"),
        };
        let theirs = hold(&engine, RESIDENT_ID, someone_else, serde_json::json!({}), None).await;
        let record = hold(
            &engine,
            SOCIAL_INSURANCE,
            applicant_id(),
            serde_json::json!({"参保状态": "正常", "累计缴费月数": "36"}),
            None,
        )
        .await;
        let try_with = |material: &'static str, id: i64| {
            let engine = &engine;
            async move {
                engine
                    .open_case(
                        &applicant(),
                        apply(
                            "SCJG-003",
                            vec![by_certificate(material, id)],
                            serde_json::json!({}),
                        ),
                        None,
                        at("2026-03-02T09:30:00"),
                    )
                    .await
            }
        };
        refused(try_with("M-ID-OPERATOR", revoked.id).await, "已注销", &b);
        refused(try_with("M-ID-OPERATOR", expired.id).await, "已过有效期", &b);
        refused(try_with("M-ID-OPERATOR", theirs.id).await, "没有找到申请人", &b);
        refused(try_with("M-ID-OPERATOR", 987_654).await, "没有找到申请人", &b);
        refused(
            try_with("M-ID-OPERATOR", record.id).await,
            "须由居民身份证提供",
            &b,
        );
        refused(try_with("M-APP-IND", id_card.id).await, "不能用电子证照代替", &b);
        // An altered certificate: its content no longer matches its seal.
        let forged = hold(&engine, RESIDENT_ID, applicant_id(), serde_json::json!({}), None).await;
        let forged_id = forged.id;
        engine
            .store()
            .raw_write(move |c| {
                c.execute(
                    "UPDATE certificates SET state = REPLACE(state, '\"holder_name\":\"张三\"', '\"holder_name\":\"李四\"') WHERE id = $1",
                    &[forged_id.into()],
                )
            })
            .await
            .expect("tamper");
        let reread = onego_test_support::engine_on(&db);
        let r = reread
            .open_case(
                &applicant(),
                apply(
                    "SCJG-003",
                    vec![by_certificate("M-ID-OPERATOR", forged_id)],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:30:00"),
            )
            .await;
        refused(r, "签章校验不通过", &b);
        // At the window, a clerk attaches the applicant's certificate only with their consent.
        let clerk = staff(Role::Clerk, None);
        let mut at_window = apply(
            "SCJG-003",
            vec![by_certificate("M-ID-OPERATOR", id_card.id)],
            serde_json::json!({}),
        );
        at_window.channel = onego_domain::case::Channel::Window;
        refused(
            engine
                .open_case(&clerk, at_window.clone(), None, at("2026-03-02T09:40:00"))
                .await,
            "须经其本人同意",
            &b,
        );
        assert_eq!(cases(&engine).await, before, "{b}: a refusal stores no case");
        for c in [&revoked, &expired, &theirs, &record, &id_card] {
            let expected = u64::from(c.id == id_card.id);
            assert_eq!(uses(&engine, c.id).await, expected, "{b}: a refusal logs no use");
        }
        at_window.holder_consent = true;
        engine
            .open_case(&clerk, at_window, None, at("2026-03-02T09:40:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(uses(&engine, id_card.id).await, 2, "{b}");
        let journal = engine.store().cases().journal(id_card.id).await.expect("journal");
        let last = journal.last().expect("entry");
        assert_eq!(
            (last.action.as_str(), last.actor_role.as_str()),
            ("use", "clerk"),
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_licence_is_issued_in_the_decisions_own_commit_and_not_without_it() {
    for db in databases("issue-on-decision") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let form = serde_json::json!({
            "registered_capital": 50000, "business_scope_standard": true, "address": "牡丹区中华路9号",
        });
        let case = engine
            .open_case(
                &applicant(),
                submission(
                    SubjectRef::Item {
                        code: code("SCJG-003"),
                    },
                    &["M-APP-IND", "M-ID-OPERATOR"],
                    form.clone(),
                ),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .expect("opened")
            .state;
        // Without the key secret no certificate can be sealed, so the decision is not stored either.
        let keyless = Engine::new(
            engine.store().clone(),
            onego_calendar::WorkingCalendar::default(),
            EngineConfig::default(),
        )
        .expect("engine");
        let clerk = staff(Role::Clerk, None);
        // The premises' proof may follow (容缺后补).
        let accept = Command::Accept {
            received: vec![],
            deferred: vec![code("M-PREMISES")],
            opinion: "材料齐全，住所证明容缺后补".into(),
        };
        let r = keyless
            .run_case(&clerk, case.id, &accept, at("2026-03-02T10:00:00"))
            .await;
        assert!(matches!(r, Err(EngineError::Configuration(_))), "{b}: {r:?}");
        let still = engine.case(&Actor::system(), case.id).await.expect("case");
        assert_eq!(
            still.value.status,
            CaseStatus::Submitted,
            "{b}: nothing of the decision stored"
        );
        assert!(
            engine
                .my_certificates(&applicant())
                .await
                .expect("mine")
                .is_empty(),
            "{b}"
        );

        // Accepted, the 秒批 rule approves at once, and the licence is issued in the same commit.
        let out = engine
            .run_case(&clerk, case.id, &accept, at("2026-03-02T10:00:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(out.state.outcome, Some(CaseOutcome::Approved), "{b}");
        let mine = engine.my_certificates(&applicant()).await.expect("mine");
        let licence = mine
            .iter()
            .find(|c| c.case_id == Some(case.id))
            .unwrap_or_else(|| panic!("{b}: no certificate for the case"));
        assert_eq!(licence.content.type_name, "营业执照", "{b}");
        assert_eq!(licence.content.data["住所"], "牡丹区中华路9号", "{b}");
        assert_eq!(licence.content.data["注册资本"], "50000", "{b}");
        assert_eq!(licence.status, CertificateStatus::Valid, "{b}");
        licence.seal_holds().unwrap_or_else(|e| panic!("{b}: {e}"));
        let verified = engine
            .verify_certificate(&licence.content.identifier)
            .await
            .expect("verified");
        assert_eq!(verified.verdict, onego_store::engine::Verdict::Genuine, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approval_decides_at_submission_from_shared_data_and_a_failing_rule_goes_to_a_person() {
    for db in databases("auto-approval") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let id_card = hold(&engine, RESIDENT_ID, applicant_id(), serde_json::json!({}), None).await;
        let insured = hold(
            &engine,
            SOCIAL_INSURANCE,
            applicant_id(),
            serde_json::json!({"参保状态": "正常", "累计缴费月数": "36"}),
            None,
        )
        .await;

        // 就业创业证: both materials from data, the rule passes, the card is issued — no clerk.
        let started = std::time::Instant::now();
        let out = engine
            .open_case(
                &applicant(),
                apply(
                    "RS-005",
                    vec![
                        by_certificate("M-ID-SELF", id_card.id),
                        by_certificate("M-SI-RECORD", insured.id),
                    ],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let took = started.elapsed();
        assert!(took.as_millis() < 1000, "{b}: 秒批 took {took:?}");
        let case = out.state;
        assert_eq!(case.status, CaseStatus::Decided, "{b}");
        assert_eq!(case.outcome, Some(CaseOutcome::Approved), "{b}");
        // The journal shows onego's acceptance, the rule and the data it read.
        let auto = out
            .entries
            .iter()
            .find_map(|e| match &e.event {
                onego_domain::case::Event::AutoDecided {
                    rule, passed, read, ..
                } => Some((rule.clone(), *passed, read.clone())),
                _ => None,
            })
            .expect("the rule was checked");
        assert!(auto.1, "{b}");
        assert!(auto.0.contains("si_status"), "{b}");
        assert_eq!(auto.2["si_status"], "正常", "{b}");
        assert_eq!(auto.2["si_months"], 36.0, "{b}");
        assert!(
            out.entries.iter().any(|e| e.actor.role == Role::System
                && matches!(e.event, onego_domain::case::Event::Accepted { .. })),
            "{b}: onego accepted it"
        );
        let card = engine
            .my_certificates(&applicant())
            .await
            .expect("mine")
            .into_iter()
            .find(|c| c.case_id == Some(case.id))
            .unwrap_or_else(|| panic!("{b}: the card is issued at once"));
        assert_eq!(card.content.type_name, "就业创业证", "{b}");
        assert_eq!(uses(&engine, insured.id).await, 1, "{b}");

        // A record that fails the rule: accepted by onego, then a person reviews, with the reason.
        let lapsed = hold(
            &engine,
            HOUSING_FUND,
            applicant_id(),
            serde_json::json!({"缴存状态": "封存", "连续缴存月数": "2"}),
            None,
        )
        .await;
        let out = engine
            .open_case(
                &applicant(),
                apply(
                    "GJJ-003",
                    vec![
                        by_certificate("M-ID-SELF", id_card.id),
                        by_certificate("M-HPF-RECORD", lapsed.id),
                    ],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:10:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(out.state.status, CaseStatus::InReview, "{b}");
        assert!(
            out.state.open_tasks().any(|t| t.node == "review"),
            "{b}: an officer reviews"
        );
        let failed = out.entries.iter().any(|e| {
            matches!(&e.event, onego_domain::case::Event::AutoDecided { passed: false, read, .. }
                if read["hpf_status"] == "封存")
        });
        assert!(failed, "{b}: the failing rule and its data are journaled");

        // Without every material from data, a person accepts as before.
        let out = engine
            .open_case(
                &applicant(),
                submission(
                    SubjectRef::Item { code: code("RS-005") },
                    &["M-ID-SELF", "M-SI-RECORD"],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:20:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(out.state.status, CaseStatus::Submitted, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_replaces_the_old_certificate_in_the_same_commit() {
    for db in databases("renewal") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let old = hold(&engine, RESIDENT_ID, applicant_id(), serde_json::json!({}), None).await;
        // 居民身份证换领 is the renewal of the resident ID card.
        let case = engine
            .open_case(
                &applicant(),
                submission(
                    SubjectRef::Item { code: code("GA-003") },
                    &["M-HOUSEHOLD", "M-PHOTO"],
                    serde_json::json!({}),
                ),
                None,
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        let accepted = engine
            .run_case(
                &staff(Role::Clerk, None),
                case.id,
                &Command::Accept {
                    received: vec![],
                    deferred: vec![],
                    opinion: "材料齐全".into(),
                },
                at("2026-03-02T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"))
            .state;
        let task = accepted.open_tasks().next().expect("a task").id;
        engine
            .run_case(
                &staff(Role::Approver, Some("police")),
                case.id,
                &onego_test_support::commands::approve(task),
                at("2026-03-03T10:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let mine = engine.my_certificates(&applicant()).await.expect("mine");
        let new = mine
            .iter()
            .find(|c| c.case_id == Some(case.id))
            .expect("the new card");
        assert_eq!(new.status, CertificateStatus::Valid, "{b}");
        let replaced = mine.iter().find(|c| c.id == old.id).expect("the old card");
        assert_eq!(
            replaced.status,
            CertificateStatus::Revoked,
            "{b}: the old card is revoked with the renewal"
        );
        let journal = engine.store().cases().journal(old.id).await.expect("journal");
        assert!(
            journal
                .last()
                .and_then(|j| j.opinion.clone())
                .is_some_and(|o| o.contains("已换发新证")),
            "{b}"
        );
    }
}
