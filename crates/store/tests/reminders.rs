//! 云提醒 on both databases, by onego's own timers: a licence's holder is reminded 90, 30 and 7 days
//! before it ends, each once (thresholds passed meanwhile collapse into one), with the way to renew; a
//! business licence's holder is reminded of the annual report every year; a decided result not
//! collected is reminded of once, three working days on, and not at all once delivered.

use chrono::NaiveDate;
use onego_domain::case::{Command, DeliveryMethod, SubjectRef};
use onego_domain::certificate::CertificateEvent;
use onego_domain::org::{Actor, Role};
use onego_domain::values::{ApplicantId, Uscc};
use onego_store::engine::Engine;
use onego_test_support::commands::{approve, submission};
use onego_test_support::{ENTERPRISE_ID, applicant, applicant_id, at, code, databases, engine_on, staff};

const FOOD_LICENCE: &str = "11100000000013338W009";
const BUSINESS_LICENCE: &str = "11100000000013338W011";

async fn issue(engine: &Engine, type_code: &str, holder: ApplicantId, until: Option<NaiveDate>) -> i64 {
    let issue = engine
        .issue_of_type(type_code, holder, "持证人", serde_json::json!({}), until)
        .expect("type");
    engine
        .issue_certificate(&Actor::system(), issue, at("2026-03-02T08:00:00"))
        .await
        .expect("issued")
        .state
        .id
}

async fn user_id(engine: &Engine, username: &str) -> i64 {
    engine
        .store()
        .users()
        .by_username(username)
        .await
        .expect("read")
        .expect("user")
        .0
        .id
}

/// The kinds of a user's notifications, oldest first.
async fn notices(engine: &Engine, user: i64) -> Vec<(String, String)> {
    let mut n: Vec<(String, String)> = engine
        .store()
        .inbox()
        .notifications(user, None, 100)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| (n.kind, n.text))
        .collect();
    n.reverse();
    n
}

async fn reminders_of(engine: &Engine, id: i64) -> Vec<CertificateEvent> {
    engine
        .store()
        .cases()
        .journal(id)
        .await
        .expect("journal")
        .into_iter()
        .filter(|j| j.action.starts_with("remind"))
        .map(|j| serde_json::from_str(&j.data).expect("event"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_licence_is_reminded_of_before_it_ends_each_reminder_once() {
    for db in databases("remind-expiry") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let zhangsan = user_id(&engine, "zhangsan").await;
        let until = NaiveDate::from_ymd_opt(2026, 9, 30).expect("date");
        let id = issue(&engine, FOOD_LICENCE, applicant_id(), Some(until)).await;

        // Nothing before the first reminder's day (90 days ahead: 2 July, nine o'clock).
        engine
            .fire_due_timers(at("2026-07-02T08:59:00"))
            .await
            .expect("fire");
        assert!(reminders_of(&engine, id).await.is_empty(), "{b}");
        engine
            .fire_due_timers(at("2026-07-02T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-07-02T09:05:00"))
            .await
            .expect("fire");
        let sent = reminders_of(&engine, id).await;
        assert_eq!(
            sent,
            vec![CertificateEvent::ExpiryReminded { days: 90, until }],
            "{b}: once"
        );
        let inbox = notices(&engine, zhangsan).await;
        let (kind, text) = inbox.last().expect("a notice");
        assert_eq!(kind, "certificate_expiring", "{b}");
        assert!(
            text.contains("食品经营许可证") && text.contains("2026年09月30日"),
            "{b}: {text}"
        );

        // 30 days ahead; then, the timer not run for a while, 7 and fewer collapse into one.
        engine
            .fire_due_timers(at("2026-08-31T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-09-28T10:00:00"))
            .await
            .expect("fire");
        let sent = reminders_of(&engine, id).await;
        assert_eq!(
            sent,
            vec![
                CertificateEvent::ExpiryReminded { days: 90, until },
                CertificateEvent::ExpiryReminded { days: 30, until },
                CertificateEvent::ExpiryReminded { days: 7, until },
            ],
            "{b}"
        );
        // The renewal is offered from the reminder: the notice leads to the certificate, whose
        // type names the item that renews it.
        let cert = engine
            .certificate(&Actor::system(), id)
            .await
            .expect("certificate");
        assert_eq!(
            cert.value.reminders.renewal_item.as_deref(),
            Some("SCJG-002"),
            "{b}"
        );
        // Each reminder reached the holder's notifications.
        let kinds: Vec<String> = notices(&engine, zhangsan)
            .await
            .into_iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "certificate_expiring").count(),
            3,
            "{b}"
        );
        // Then it expires, and nothing more is reminded.
        engine
            .fire_due_timers(at("2026-10-01T00:00:01"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2027-01-01T09:00:00"))
            .await
            .expect("fire");
        assert_eq!(reminders_of(&engine, id).await.len(), 3, "{b}");
        let cert = engine
            .certificate(&Actor::system(), id)
            .await
            .expect("certificate");
        assert_eq!(cert.value.status.as_str(), "expired", "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_licence_is_reminded_of_its_annual_report_every_year() {
    for db in databases("remind-annual") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let acme = user_id(&engine, "acme").await;
        let holder = ApplicantId::Organisation {
            uscc: Uscc::parse(ENTERPRISE_ID).expect("uscc"),
        };
        let id = issue(&engine, BUSINESS_LICENCE, holder, None).await;
        engine
            .fire_due_timers(at("2027-05-31T09:00:00"))
            .await
            .expect("fire");
        assert!(
            reminders_of(&engine, id).await.is_empty(),
            "{b}: not before 1 June"
        );
        engine
            .fire_due_timers(at("2027-06-01T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2027-06-20T09:00:00"))
            .await
            .expect("fire");
        assert_eq!(
            reminders_of(&engine, id).await,
            vec![CertificateEvent::AnnualReportReminded { year: 2027 }],
            "{b}: once a year"
        );
        let inbox = notices(&engine, acme).await;
        let (kind, text) = inbox.last().expect("a notice");
        assert_eq!(kind, "annual_report_due", "{b}");
        assert!(
            text.contains("2026 年度报告") && text.contains("2027 年 6 月 30 日"),
            "{b}: {text}"
        );
        engine
            .fire_due_timers(at("2028-06-01T09:00:00"))
            .await
            .expect("fire");
        assert_eq!(reminders_of(&engine, id).await.len(), 2, "{b}: and the next year");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_waiting_to_be_collected_is_reminded_of_once_and_not_once_delivered() {
    for db in databases("remind-collect") {
        let engine = engine_on(&db);
        let b = db.backend.to_string();
        let zhangsan = user_id(&engine, "zhangsan").await;
        // 户外招牌设置备案 (one review step), decided on Monday 2 March 2026.
        let open = |n: &'static str| {
            let engine = &engine;
            async move {
                let mut s = submission(
                    SubjectRef::Item { code: code("ZJ-001") },
                    &["M-APP-SIGN", "M-SIGN-DESIGN"],
                    serde_json::json!({"n": n}),
                );
                s.applicant.user_id = Some(zhangsan);
                let case = engine
                    .open_case(&applicant(), s, None, at("2026-03-02T09:00:00"))
                    .await
                    .expect("opened")
                    .state;
                let clerk = staff(Role::Clerk, None);
                let accepted = engine
                    .run_case(&clerk, case.id, &accept_later(), at("2026-03-02T09:10:00"))
                    .await
                    .expect("accepted")
                    .state;
                let task = accepted.open_tasks().next().expect("a task").id;
                engine
                    .run_case(
                        &staff(Role::Approver, Some("housing")),
                        case.id,
                        &approve(task),
                        at("2026-03-02T10:00:00"),
                    )
                    .await
                    .expect("approved")
                    .state
            }
        };
        let waiting = open("a").await;
        let delivered = open("b").await;
        assert_eq!(waiting.status.as_str(), "decided", "{b}");
        engine
            .run_case(
                &staff(Role::Clerk, None),
                delivered.id,
                &Command::Deliver {
                    delivery: DeliveryMethod::Electronic,
                },
                at("2026-03-03T09:00:00"),
            )
            .await
            .expect("delivered");
        // Three working days after Monday: Thursday 5 March, nine o'clock.
        engine
            .fire_due_timers(at("2026-03-05T08:59:00"))
            .await
            .expect("fire");
        let count = |cases: &[(String, String)]| cases.iter().filter(|n| n.0 == "result_waiting").count();
        assert_eq!(count(&notices(&engine, zhangsan).await), 0, "{b}");
        engine
            .fire_due_timers(at("2026-03-05T09:00:00"))
            .await
            .expect("fire");
        engine
            .fire_due_timers(at("2026-03-12T09:00:00"))
            .await
            .expect("fire");
        let inbox = notices(&engine, zhangsan).await;
        assert_eq!(
            count(&inbox),
            1,
            "{b}: once, for the one still waiting: {inbox:?}"
        );
        let case = engine.case(&Actor::system(), waiting.id).await.expect("case");
        assert!(case.value.collection_reminded, "{b}");
    }
}

/// Acceptance with every material received.
fn accept_later() -> Command {
    Command::Accept {
        received: vec![code("M-APP-SIGN"), code("M-SIGN-DESIGN"), code("M-PREMISES")],
        deferred: vec![],
        opinion: "材料齐全".into(),
    }
}
