//! Temporary databases: a SQLite file, and a fresh schema on the test PostgreSQL
//! (`ONEGO_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`). Without a reachable
//! PostgreSQL the PostgreSQL half says it skipped; with `ONEGO_REQUIRE_DATABASE` set (CI) that is a
//! failure instead. Each is removed when dropped.

/// A temporary database, removed when dropped.
pub struct TestDb {
    pub url: String,
    /// "sqlite" or "postgres", for messages.
    pub backend: &'static str,
    pg: Option<(String, String)>,
}

fn pg_base() -> String {
    std::env::var("ONEGO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDb {
    /// A fresh SQLite file in the temporary directory.
    pub fn sqlite(name: &str) -> TestDb {
        let path = std::env::temp_dir()
            .join(format!("onego-{name}-{}.sqlite", std::process::id()))
            .to_string_lossy()
            .into_owned();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        TestDb {
            url: path,
            backend: "sqlite",
            pg: None,
        }
    }

    /// A fresh schema on the test PostgreSQL; `None` (with a note) when it cannot be reached, unless
    /// `ONEGO_REQUIRE_DATABASE` says it must be.
    pub fn postgres(name: &str) -> Option<TestDb> {
        let base = pg_base();
        let schema = format!("t_{}_{}", name.replace('-', "_"), std::process::id());
        let (b, s) = (base.clone(), schema.clone());
        // The synchronous client must not run on a test's async runtime thread.
        let created = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&b, postgres::NoTls)?;
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE; CREATE SCHEMA {s}"))
        })
        .join()
        .expect("setup thread");
        match created {
            Ok(()) => {
                let sep = if base.contains('?') { '&' } else { '?' };
                Some(TestDb {
                    url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
                    backend: "postgres",
                    pg: Some((base, schema)),
                })
            }
            Err(e) if std::env::var("ONEGO_REQUIRE_DATABASE").is_ok() => {
                panic!("PostgreSQL at {base} is required (ONEGO_REQUIRE_DATABASE) but cannot be reached: {e}")
            }
            Err(e) => {
                eprintln!("skipped: PostgreSQL half of {name} ({base} unreachable: {e})");
                None
            }
        }
    }
}

/// A fresh SQLite database and, when reachable, a fresh PostgreSQL schema: run a test on each.
pub fn databases(name: &str) -> Vec<TestDb> {
    let mut out = vec![TestDb::sqlite(name)];
    out.extend(TestDb::postgres(name));
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.pg.clone() {
            Some((base, schema)) => {
                let _ = std::thread::spawn(move || {
                    if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
                        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                    }
                })
                .join();
            }
            None => {
                for suffix in ["", "-wal", "-shm", ".lock"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.url));
                }
            }
        }
    }
}
