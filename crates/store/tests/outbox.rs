//! The outbox on both databases: messages queued in the command's transaction, only for the channels
//! the server delivers through and the people who chose them; claimed once under a lease; retried,
//! given up and resent, every attempt recorded.

use onego_domain::org::Role;
use onego_store::outbox::{Channel, Outcome, Status};
use onego_test_support::commands::{dispatch, phone_intake};
use onego_test_support::{at, databases, engine_on, mobile_of, staff};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_queued_with_their_command_claimed_once_retried_given_up_and_resent() {
    for db in databases("outbox") {
        let engine = engine_on(&db);
        let b = db.backend;
        let outbox = engine.store().outbox();
        let operator = staff(Role::Operator, None);
        let centre = staff(Role::Dispatcher, Some("hotline"));
        let t0 = at("2026-03-02T09:00:00").as_millis();

        // No channel configured: nothing beyond the in-app notice is queued.
        outbox.set_channels(false, false).await.expect("channels");
        engine
            .open_ticket(
                &operator,
                phone_intake("CG01", "中华路路口有流动摊贩占道经营", 35.23, 115.42),
                &[],
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(outbox.list(None, 10).await.expect("list").is_empty(), "{b}");

        // SMS on: the consenting caller is told the number; the department's staff learn of the dispatch.
        outbox.set_channels(false, true).await.expect("channels");
        let out = engine
            .open_ticket(
                &operator,
                phone_intake("CG01", "人民路有流动摊贩占道经营", 35.23, 115.42),
                &[],
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        engine
            .run_ticket(
                &centre,
                out.state.id,
                &dispatch("urban"),
                at("2026-03-02T09:10:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let queued = outbox.list(Some(Status::Pending), 10).await.expect("list");
        let mut seen: Vec<(&str, &str)> = queued
            .iter()
            .map(|m| (m.kind.as_str(), m.recipient.as_str()))
            .collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            [
                ("ticket_dispatched", mobile_of("urban1")),
                ("ticket_received", "13912345678")
            ],
            "{b}"
        );
        assert!(
            queued
                .iter()
                .all(|m| m.channel == Channel::Sms && m.aggregate_id == Some(out.state.id))
        );
        let received = queued
            .iter()
            .find(|m| m.kind == "ticket_received")
            .expect("received");
        assert!(
            received
                .params
                .contains(&("number".to_owned(), out.state.number.clone())),
            "{b}"
        );

        // Claimed once: a second worker finds nothing while the lease holds; e-mail claims none.
        let now = t0 + 3_600_000;
        assert!(
            outbox
                .claim("w1", vec![Channel::Email], now, 60_000, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let claimed = outbox
            .claim("w1", vec![Channel::Sms], now, 60_000, 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 2, "{b}");
        assert!(
            outbox
                .claim("w2", vec![Channel::Sms], now, 60_000, 10)
                .await
                .expect("claim")
                .is_empty(),
            "{b}"
        );
        // Only the holder records.
        let sent = Outcome::Sent {
            remote_id: Some("r-1".into()),
        };
        assert!(
            !outbox
                .record(claimed[0].id, "w2", now, sent.clone())
                .await
                .expect("record"),
            "{b}"
        );
        assert!(
            outbox
                .record(claimed[0].id, "w1", now, sent)
                .await
                .expect("record")
        );
        let retry = Outcome::Error {
            detail: "gateway down".into(),
            retry_at: Some(now + 30_000),
        };
        assert!(
            outbox
                .record(claimed[1].id, "w1", now, retry)
                .await
                .expect("record")
        );
        let f = outbox.figures(now).await.expect("figures");
        assert_eq!((f.sent, f.pending, f.failed, f.retried), (1, 1, 0, 1), "{b}");

        // Not before its backoff; then it fails for good and an administrator resends it.
        assert!(
            outbox
                .claim("w1", vec![Channel::Sms], now + 10_000, 60_000, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let again = outbox
            .claim("w1", vec![Channel::Sms], now + 31_000, 60_000, 10)
            .await
            .expect("claim");
        assert_eq!(
            again.iter().map(|m| m.id).collect::<Vec<_>>(),
            [claimed[1].id],
            "{b}"
        );
        assert_eq!(again[0].attempts, 1);
        let give_up = Outcome::Error {
            detail: "refused".into(),
            retry_at: None,
        };
        outbox
            .record(claimed[1].id, "w1", now + 31_000, give_up)
            .await
            .expect("record");
        let failed = outbox.list(Some(Status::Failed), 10).await.expect("list");
        assert_eq!(failed.len(), 1, "{b}");
        assert_eq!(failed[0].last_error.as_deref(), Some("refused"));
        assert!(outbox.resend(claimed[1].id, now + 60_000).await.expect("resend"));
        assert!(
            !outbox.resend(claimed[0].id, now + 60_000).await.expect("resend"),
            "{b}: a sent one is not resent"
        );
        let attempts = outbox.attempts(claimed[1].id).await.expect("attempts");
        assert_eq!(
            attempts.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
            ["error", "error"],
            "{b}"
        );
        assert_eq!(
            outbox.attempts(claimed[0].id).await.expect("attempts")[0]
                .remote_id
                .as_deref(),
            Some("r-1")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summons_reaches_staff_by_sms_whatever_their_choice_while_ordinary_notices_follow_it() {
    for db in databases("outbox-duty") {
        let engine = engine_on(&db);
        let b = db.backend;
        let outbox = engine.store().outbox();
        outbox.set_channels(true, true).await.expect("channels");
        let users = engine.store().users().list().await.expect("users");
        let urban1 = users.iter().find(|u| u.username == "urban1").expect("urban1");
        // urban1 wants e-mail only: no SMS.
        outbox
            .set_contact(
                urban1.id,
                onego_store::outbox::Contact {
                    email: Some("urban1@example.gov.cn".into()),
                    mobile: Some(mobile_of("urban1").into()),
                    by_email: true,
                    by_sms: false,
                    lang: onego_domain::labels::Lang::En,
                },
            )
            .await
            .expect("contact");
        let contact = outbox.contact(urban1.id).await.expect("read").expect("found");
        assert!(contact.by_email && !contact.by_sms, "{b}");
        assert_eq!(contact.lang, onego_domain::labels::Lang::En, "{b}");
        let operator = staff(Role::Operator, None);
        let centre = staff(Role::Dispatcher, Some("hotline"));
        let to_urban1 = |kind: &'static str, ms: &[onego_store::outbox::Message]| {
            let mut c: Vec<Channel> = ms
                .iter()
                .filter(|m| m.kind == kind && m.user_id == Some(urban1.id))
                .map(|m| m.channel)
                .collect();
            c.sort();
            c
        };

        // An ordinary dispatch: e-mail only, as urban1 chose.
        let out = engine
            .open_ticket(
                &operator,
                phone_intake("CG01", "人民路有流动摊贩占道经营", 35.23, 115.42),
                &[],
                at("2026-03-02T09:00:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        engine
            .run_ticket(
                &centre,
                out.state.id,
                &dispatch("urban"),
                at("2026-03-02T09:10:00"),
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let queued = outbox.list(None, 100).await.expect("list");
        assert_eq!(to_urban1("ticket_dispatched", &queued), [Channel::Email], "{b}");
        // Each in the reader's language: urban1 reads English, the caller (no account) Chinese.
        for m in &queued {
            let expected = if m.user_id == Some(urban1.id) { "en" } else { "zh" };
            assert_eq!(m.lang, expected, "{b}: {} to {}", m.kind, m.recipient);
        }

        // A summons: SMS as well, because it is urgent duty.
        let mut whistle = phone_intake("CG01", "企业门前道路被占用，货车无法进出", 35.23, 115.42);
        whistle.summoned = vec![onego_domain::values::Code::parse("urban").expect("code")];
        whistle.channel = onego_domain::ticket::TicketChannel::Enterprise;
        engine
            .open_ticket(&operator, whistle, &[], at("2026-03-02T09:20:00"))
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let queued = outbox.list(None, 100).await.expect("list");
        assert_eq!(
            to_urban1("ticket_summoned", &queued),
            [Channel::Email, Channel::Sms],
            "{b}"
        );
        assert!(
            queued
                .iter()
                .filter(|m| m.kind == "ticket_summoned")
                .all(|m| m.urgent),
            "{b}: held by no quiet hours"
        );
    }
}
