//! Prometheus text exposition of onego's counters.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;

use crate::AppState;

/// Latency buckets in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 6],
    buckets: [AtomicU64; 10],
    sum_us: AtomicU64,
    count: AtomicU64,
    commands: Mutex<BTreeMap<&'static str, u64>>,
    pub timers_fired: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: StatusCode, took: Duration) {
        let class = (status.as_u16() / 100) as usize;
        if let Some(c) = self.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_us.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_command(&self, name: &'static str) {
        let mut m = self.commands.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(name).or_default() += 1;
    }

    /// The text exposition; `delivery` is the outbox's figures when they could be read.
    pub fn render(&self, state: &AppState, delivery: Option<&onego_store::outbox::Figures>) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP onego_http_requests_total HTTP requests by status class."
        );
        let _ = writeln!(out, "# TYPE onego_http_requests_total counter");
        for (class, c) in self.by_class.iter().enumerate().skip(1) {
            let _ = writeln!(
                out,
                "onego_http_requests_total{{class=\"{class}xx\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP onego_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(out, "# TYPE onego_http_request_duration_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "onego_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "onego_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "onego_http_request_duration_seconds_sum {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "onego_http_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP onego_commands_total Case commands carried out, by command."
        );
        let _ = writeln!(out, "# TYPE onego_commands_total counter");
        for (name, n) in self.commands.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "onego_commands_total{{command=\"{name}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP onego_timers_fired_total Timers that marked a clock.");
        let _ = writeln!(out, "# TYPE onego_timers_fired_total counter");
        let _ = writeln!(
            out,
            "onego_timers_fired_total {}",
            self.timers_fired.load(Ordering::Relaxed)
        );
        let m = state.engine.store().metrics();
        for (name, help, v) in [
            ("onego_store_commits_total", "Group commits.", &m.commits),
            (
                "onego_store_writes_total",
                "Case writes committed.",
                &m.committed_writes,
            ),
            (
                "onego_store_conflicts_total",
                "Case writes refused for a version conflict (then retried).",
                &m.conflicts,
            ),
            ("onego_store_reads_total", "Read operations.", &m.reads),
            (
                "onego_store_wal_resets_total",
                "SQLite: checkpoints the writer finished so the write-ahead log could start over.",
                &m.wal_resets,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP onego_store_wal_frames SQLite: frames in the write-ahead log at the last checkpoint.\n\
             # TYPE onego_store_wal_frames gauge\nonego_store_wal_frames {}",
            m.wal_frames.load(Ordering::Relaxed)
        );
        if let Some(f) = delivery {
            let _ = writeln!(
                out,
                "# HELP onego_outbox_messages Messages in the outbox by state (e-mail and SMS).\n\
                 # TYPE onego_outbox_messages gauge\n\
                 onego_outbox_messages{{status=\"pending\"}} {}\n\
                 onego_outbox_messages{{status=\"sent\"}} {}\n\
                 onego_outbox_messages{{status=\"failed\"}} {}\n\
                 # HELP onego_outbox_retries_total Attempts that failed and were recorded (each is retried until given up).\n\
                 # TYPE onego_outbox_retries_total counter\n\
                 onego_outbox_retries_total {}\n\
                 # HELP onego_outbox_oldest_pending_seconds Age of the oldest message waiting to be sent.\n\
                 # TYPE onego_outbox_oldest_pending_seconds gauge\n\
                 onego_outbox_oldest_pending_seconds {}",
                f.pending,
                f.sent,
                f.failed,
                f.retried,
                f.oldest_pending_ms as f64 / 1000.0
            );
        }
        let _ = writeln!(
            out,
            "# HELP onego_uptime_seconds Seconds since start.\n# TYPE onego_uptime_seconds gauge"
        );
        let _ = writeln!(out, "onego_uptime_seconds {}", state.started.elapsed().as_secs());
        out
    }
}
