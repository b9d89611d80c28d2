//! The `onego` command line, run as a user runs it.

use std::process::{Command, Output};

fn onego(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onego"))
        .args(args)
        .env_remove("ONEGO_HOLIDAYS")
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn calendar_days_prints_one_tab_separated_line_per_date() {
    let o = onego(&["calendar", "days", "2026-02-13", "2026-02-16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "2026-02-13\tworkday\t\n2026-02-14\tworkday\t春节\n2026-02-15\trest\t春节\n2026-02-16\trest\t春节\n"
    );
}

#[test]
fn calendar_add_prints_the_date_n_working_days_later() {
    let o = onego(&["calendar", "add", "2026-09-18", "20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2026-10-22\n");
    assert!(stderr(&o).is_empty());
}

#[test]
fn calendar_add_beyond_the_table_says_the_result_is_provisional() {
    let o = onego(&["calendar", "add", "2026-12-31", "1"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "2027-01-01\n");
    assert!(stderr(&o).contains("provisional"), "{}", stderr(&o));
}

#[test]
fn calendar_coverage_names_the_years_and_the_source() {
    let o = onego(&["calendar", "coverage"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("years\t2004-2026\n"), "{out}");
    assert!(out.contains("source\tbuilt-in table\n"), "{out}");
}

#[test]
fn a_holiday_file_extends_the_table() {
    let dir = std::env::temp_dir().join(format!("onego-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("2027.toml");
    std::fs::write(
        &file,
        "[[year]]\nyear = 2027\nnotice = \"国务院办公厅关于2027年部分节假日安排的通知\"\n\
         [[year.holiday]]\nname = \"元旦\"\nrest = [\"2027-01-01\", \"2027-01-03\"]\n",
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    let o = onego(&["calendar", "--holidays", &path, "add", "2026-12-31", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2027-01-04\n");
    assert!(!stderr(&o).contains("provisional"));
    let o = onego(&["--holidays", &path, "calendar", "coverage"]);
    assert!(stdout(&o).contains("years\t2004-2027"), "{}", stdout(&o));
    assert!(stdout(&o).contains("2027.toml"), "{}", stdout(&o));
}

#[test]
fn bad_input_gets_a_clear_message_and_a_non_zero_exit() {
    let cases: &[(&[&str], &str)] = &[
        (&["calendar", "add", "2026-13-01", "1"], "YYYY-MM-DD"),
        (&["calendar", "add", "2026-02-13", "-1"], "whole number"),
        (&["calendar", "add", "2026-02-13", "many"], "whole number"),
        (
            &["calendar", "days", "2026-02-16", "2026-02-13"],
            "earlier date first",
        ),
        (
            &["calendar", "days", "2000-01-01", "2026-01-01"],
            "at most ten years",
        ),
        (
            &["calendar", "--holidays", "/nonexistent/h.toml", "coverage"],
            "check the path",
        ),
        (&["calendar", "frobnicate"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let o = onego(args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(o.stdout.is_empty(), "{args:?} printed {}", stdout(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}

fn temp_db(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("onego-cli-{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path.to_string_lossy().into_owned()
}

#[test]
fn migrate_reports_the_schema_version() {
    let db = temp_db("migrate");
    let o = onego(&["migrate", "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("schema at version 14, up to date"),
        "{}",
        stdout(&o)
    );
    let o = onego(&["migrate", "--db", "mysql://nowhere"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("postgres://"), "{}", stderr(&o));
}

#[test]
fn user_add_validates_its_input_and_refuses_a_taken_username() {
    let db = temp_db("users");
    let ok = onego(&[
        "user",
        "add",
        "--db",
        &db,
        "--username",
        "leader2",
        "--name",
        "李局长",
        "--role",
        "leader",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("password: "),
        "a generated password is printed once"
    );
    let again = onego(&[
        "user",
        "add",
        "--db",
        &db,
        "--username",
        "leader2",
        "--name",
        "x",
        "--role",
        "leader",
        "--password",
        "longenough",
    ]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
    let cases: &[(&[&str], &str)] = &[
        (&["--role", "wizard"], "not one of"),
        (&["--role", "approver"], "must name a department"),
        (
            &["--role", "applicant", "--applicant-id", "110105194912310021"],
            "check character",
        ),
        (&["--role", "clerk", "--password", "short"], "at least 8"),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "user",
            "add",
            "--db",
            &db,
            "--username",
            "someone",
            "--name",
            "某人",
        ];
        args.extend_from_slice(extra);
        let o = onego(&args);
        assert!(!o.status.success(), "{extra:?}");
        assert!(stderr(&o).contains(expected), "{extra:?}: {}", stderr(&o));
    }
}

#[test]
fn serve_demo_starts_prints_the_demo_users_and_answers_over_http() {
    use std::io::{BufRead, BufReader, Read, Write};
    let db = temp_db("serve");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onego"))
        .args(["serve", "--demo", "--db", &db, "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut addr = None;
    let mut password = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split('/').next().map(str::to_owned);
        }
        if let Some(p) = line.split("password for all: ").nth(1) {
            password = Some(p.trim_end_matches(')').to_owned());
            break;
        }
    }
    let addr = addr.expect("the server prints its address");
    assert!(
        password.is_some_and(|p| p.len() >= 8),
        "the demo password is printed"
    );
    let users: Vec<String> = lines.by_ref().take(5).map(|l| l.expect("line")).collect();
    assert!(
        users
            .iter()
            .any(|l| l.contains("zhangsan") && l.contains("applicant")),
        "{users:?}"
    );
    let mut stream = std::net::TcpStream::connect(&addr).expect("connects");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: onego\r\nConnection: close\r\n\r\n")
        .expect("writes");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
}

#[test]
fn process_check_prints_the_steps_or_names_the_broken_node() {
    let dir = std::env::temp_dir().join(format!("onego-proc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../store/demo/processes/parallel-review.toml"
    );
    let o = onego(&["process", "check", good]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("parallel-review version 1"), "{}", stdout(&o));
    assert!(stdout(&o).contains("join"), "{}", stdout(&o));
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(good)
        .expect("read")
        .replace("next = \"decide\"", "next = \"nowhere\"");
    std::fs::write(&bad, text).expect("write");
    let o = onego(&["process", "check", &bad.to_string_lossy()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("node \"join\": leads to \"nowhere\""),
        "{}",
        stderr(&o)
    );
    let db = temp_db("process");
    let o = onego(&["process", "import", good, "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = onego(&["process", "import", good, "--db", &db]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("as version 2"), "{}", stderr(&o));
}

/// A fresh PostgreSQL schema for a test (dropped at the end); `None` when PostgreSQL cannot be reached
/// and it is not required.
struct PgSchema {
    base: String,
    schema: String,
}

impl PgSchema {
    fn new(name: &str) -> Option<PgSchema> {
        let base = std::env::var("ONEGO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("cli_{name}_{}", std::process::id());
        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
        match postgres::Client::connect(&base, postgres::NoTls).and_then(|mut c| c.batch_execute(&sql)) {
            Ok(()) => Some(PgSchema { base, schema }),
            Err(e) if std::env::var("ONEGO_REQUIRE_DATABASE").is_ok() => {
                panic!("PostgreSQL at {base} is required but cannot be reached: {e}")
            }
            Err(e) => {
                eprintln!("skipped: {name} needs PostgreSQL ({e})");
                None
            }
        }
    }

    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.schema)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A running `onego serve`, killed when dropped.
struct Server {
    child: std::process::Child,
    addr: String,
    out: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_servers(n: usize, args: &[&str]) -> Vec<std::process::Child> {
    (0..n)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_onego"))
                .arg("serve")
                .args(args)
                .args(["--bind", "127.0.0.1:0"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starts")
        })
        .collect()
}

/// Reads a server's output until it listens (and, in demo mode, has printed the demo users), or exits,
/// which fails the test with what it said.
fn listening(mut child: std::process::Child, demo: bool) -> Server {
    use std::io::{BufRead, BufReader, Read};
    let mut out = Vec::new();
    let mut addr = None;
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split('/').next().map(str::to_owned);
        }
        let last = line.contains("password for all") || (addr.is_some() && !demo);
        out.push(line);
        if last {
            break;
        }
    }
    let Some(addr) = addr else {
        let mut err = String::new();
        let _ = child.stderr.take().expect("stderr").read_to_string(&mut err);
        let _ = child.kill();
        panic!("the server did not start: {}\n{err}", out.join("\n"));
    };
    // Keep reading what it prints, so it never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, addr, out }
}

fn healthz(addr: &str) -> String {
    http_get(addr, "/healthz")
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: onego\r\nConnection: close\r\n\r\n").as_bytes())
        .expect("writes");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    answer
}

#[test]
fn servers_started_together_on_a_fresh_postgresql_database_all_start() {
    for round in 0..3 {
        let Some(pg) = PgSchema::new(&format!("race{round}")) else {
            return;
        };
        let url = pg.url();
        let servers: Vec<Server> = start_servers(3, &["--db", &url])
            .into_iter()
            .map(|c| listening(c, false))
            .collect();
        for s in &servers {
            assert!(healthz(&s.addr).starts_with("HTTP/1.1 200"), "round {round}");
        }
    }
}

#[test]
fn demo_servers_started_together_load_the_demo_city_once_and_all_start() {
    let Some(pg) = PgSchema::new("demorace") else {
        return;
    };
    let url = pg.url();
    let o = onego(&["migrate", "--db", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let servers: Vec<Server> = start_servers(2, &["--demo", "--demo-tickets", "40", "--db", &url])
        .into_iter()
        .map(|c| listening(c, true))
        .collect();
    for s in &servers {
        assert!(healthz(&s.addr).starts_with("HTTP/1.1 200"));
        assert!(
            s.out.iter().any(|l| l.contains("DEMO MODE — NOT FOR PRODUCTION")),
            "demo mode says loudly what it is: {:?}",
            s.out
        );
        assert!(
            http_get(&s.addr, "/").contains("演示环境"),
            "every page says it is a demo"
        );
    }
    let loaded = servers
        .iter()
        .filter(|s| s.out.iter().any(|l| l.contains("past cases loaded")))
        .count();
    assert_eq!(loaded, 1, "the demo city is loaded once");
}

#[test]
fn demo_mode_is_refused_on_a_database_with_real_users() {
    let db = temp_db("realdata");
    let o = onego(&[
        "user",
        "add",
        "--db",
        &db,
        "--username",
        "wangjuzhang",
        "--name",
        "王局长",
        "--role",
        "leader",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A server that wrongly starts would run for ever: give it half a minute, then stop it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_onego"))
        .args(["serve", "--demo", "--db", &db, "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let o = child.wait_with_output().expect("output");
    assert!(!o.status.success(), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("--demo refused") && err.contains("wangjuzhang"),
        "{err}"
    );
    assert!(
        !stdout(&o).contains("password for all"),
        "no demo password is set or printed"
    );
}

#[test]
fn cert_check_id_accepts_real_identifiers_and_says_what_is_wrong_with_others() {
    for id in [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ] {
        let o = onego(&["cert", "check-id", id]);
        assert!(o.status.success(), "{id}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim(), "valid");
    }
    let o = onego(&[
        "cert",
        "check-id",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.8",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the check character is 8"), "{}", stderr(&o));
    assert!(stderr(&o).contains("应为 9"), "{}", stderr(&o));
    let o = onego(&["cert", "check-id", "370102198001010011"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("1.2.156.3005.2."), "{}", stderr(&o));
}
