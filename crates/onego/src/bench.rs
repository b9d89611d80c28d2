//! `onego bench engine`: the reference process through the real engine and store, durably, with
//! concurrent clients. Each case: an applicant submits; the window accepts; three departments approve
//! in parallel; the implementing department decides — five human steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use onego_calendar::{Timestamp, WorkingCalendar};
use onego_domain::case::{Applicant, Channel, Command, ProvidedMaterial, SubjectRef, Submission};
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::process::TaskAction;
use onego_domain::values::{ApplicantId, Code, ResidentId};
use onego_store::Store;
use onego_store::engine::{Engine, EngineConfig};

pub(crate) struct BenchArgs {
    pub cases: u64,
    pub clients: u64,
    pub db: Option<String>,
}

fn now() -> Timestamp {
    Timestamp::from_millis(onego_store::now_millis())
}

fn code(s: &str) -> anyhow::Result<Code> {
    Code::parse(s).map_err(|e| anyhow::anyhow!(e))
}

fn actor(role: Role, dept: Option<&str>) -> anyhow::Result<Actor> {
    Ok(Actor {
        user_id: 1000 + role as i64,
        username: format!("bench-{}", role.as_str()),
        name: format!("压测{}", role.zh()),
        role,
        department: dept.map(code).transpose()?,
        applicant: None,
        mandates: Vec::new(),
    })
}

pub(crate) fn run(args: BenchArgs, calendar: WorkingCalendar) -> anyhow::Result<()> {
    if args.cases == 0 || args.clients == 0 {
        bail!("--cases and --clients must be at least 1");
    }
    let (url, temp) = match &args.db {
        Some(u) => (u.clone(), None),
        None => {
            let path = std::env::temp_dir().join(format!("onego-bench-{}.sqlite", std::process::id()));
            (path.to_string_lossy().into_owned(), Some(path))
        }
    };
    let store = Store::open(&url).with_context(|| format!("cannot open the benchmark database {url}"))?;
    println!(
        "bench engine: {} cases, {} clients, {}",
        args.cases,
        args.clients,
        store.location().describe()
    );
    if crate::block_on(store.catalog().is_empty())?? {
        crate::block_on(store.demo().load_catalog())??;
    }
    let bytes_before = crate::block_on(store.database_bytes())??;
    let wal = WalWatch::start(&store);
    let engine = Arc::new(Engine::new(store.clone(), calendar, EngineConfig::default())?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let done = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let result: anyhow::Result<Vec<u32>> = runtime.block_on(async {
        let progress = {
            let done = done.clone();
            let total = args.cases;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let n = done.load(Ordering::Relaxed);
                    let secs = started.elapsed().as_secs_f64();
                    println!("  {n}/{total} cases, {:.0} steps/s", n as f64 * 5.0 / secs);
                    if n >= total {
                        break;
                    }
                }
            })
        };
        let mut clients = Vec::new();
        for _ in 0..args.clients {
            let (engine, done, next, total) = (engine.clone(), done.clone(), next.clone(), args.cases);
            clients.push(tokio::spawn(
                async move { client(&engine, &next, &done, total).await },
            ));
        }
        let mut latencies = Vec::new();
        for c in clients {
            latencies.extend(c.await??);
        }
        progress.abort();
        Ok(latencies)
    });
    let mut latencies = result?;
    let elapsed = started.elapsed().as_secs_f64();
    let cases = done.load(Ordering::Relaxed);
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies[i]) / 1000.0
    };
    let bytes_after = crate::block_on(store.database_bytes())??;
    let bytes_per_case = (bytes_after - bytes_before).max(0) as f64 / cases.max(1) as f64;
    let m = store.metrics();
    println!(
        "  {} commits for {} writes ({:.1} writes per commit), {} version conflicts retried",
        m.commits.load(Ordering::Relaxed),
        m.committed_writes.load(Ordering::Relaxed),
        m.committed_writes.load(Ordering::Relaxed) as f64 / m.commits.load(Ordering::Relaxed).max(1) as f64,
        m.conflicts.load(Ordering::Relaxed)
    );
    let wal_max = wal.stop();
    if let Some(bytes) = wal_max {
        println!(
            "  SQLite write-ahead log at most {:.1} MB during the run",
            bytes as f64 / 1e6
        );
    }
    println!(
        "RESULT cases/s={:.0} steps/s={:.0} p50_ms={:.2} p99_ms={:.2} bytes_per_case={:.0}{}",
        cases as f64 / elapsed,
        cases as f64 * 5.0 / elapsed,
        pct(0.50),
        pct(0.99),
        bytes_per_case,
        wal_max
            .map(|b| format!(" wal_max_mb={:.1}", b as f64 / 1e6))
            .unwrap_or_default()
    );
    drop(engine);
    drop(store);
    if let Some(path) = temp {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    Ok(())
}

/// Watches the size of SQLite's write-ahead log file while a benchmark runs (every 20 ms).
struct WalWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl WalWatch {
    fn start(store: &Store) -> WalWatch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = match store.location() {
            onego_store::Location::Sqlite { path } => {
                let (path, stop) = (format!("{path}-wal"), stop.clone());
                Some(std::thread::spawn(move || {
                    let mut max = 0;
                    while !stop.load(Ordering::Relaxed) {
                        max = max.max(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    max
                }))
            }
            onego_store::Location::Postgres { .. } => None,
        };
        WalWatch { stop, thread }
    }

    /// The largest size seen, for SQLite.
    fn stop(mut self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok())
    }
}

/// One client: takes cases until all are taken; returns the latency of each human step in µs.
async fn client(engine: &Engine, next: &AtomicU64, done: &AtomicU64, total: u64) -> anyhow::Result<Vec<u32>> {
    let clerk = actor(Role::Clerk, None)?;
    let departments = ["market", "fire", "housing"];
    let approvers: Vec<Actor> = departments
        .iter()
        .map(|d| actor(Role::Approver, Some(d)))
        .collect::<Result<_, _>>()?;
    let decider = actor(Role::Approver, Some("approval"))?;
    let materials: Vec<ProvidedMaterial> = ["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"]
        .iter()
        .map(|m| {
            Ok(ProvidedMaterial {
                code: code(m)?,
                at: now(),
                file: None,
                certificate: None,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut latencies = Vec::with_capacity(5 * 64);
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total {
            break;
        }
        let id_number = ResidentId::with_check(&format!("37170219900101{:03}", n % 1000))
            .ok_or_else(|| anyhow::anyhow!("test ID"))?;
        let applicant_id = ApplicantId::Person { id_number };
        let applicant = Actor {
            user_id: 0,
            username: "bench-applicant".into(),
            name: "压测申请人".into(),
            role: Role::Applicant,
            department: None,
            applicant: Some(applicant_id.clone()),
            mandates: Vec::new(),
        };
        let submission = Submission {
            subject: SubjectRef::Item {
                code: code("SP-001")?,
            },
            channel: Channel::Online,
            applicant: Applicant {
                id: applicant_id,
                name: "压测申请人".into(),
                mobile: None,
                user_id: None,
            },
            form: serde_json::json!({"mall": format!("商场{n}")}),
            materials: materials.clone(),
            holder_consent: false,
            project: None,
        };
        let case = engine.open_case(&applicant, submission, None, now()).await?.state;
        let id = case.id;
        let step = |cmd: Command, who: Actor| async move {
            let t = Instant::now();
            let out = engine.run_case(&who, id, &cmd, now()).await;
            (out, t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32)
        };
        let accept = Command::Accept {
            received: vec![],
            deferred: vec![],
            opinion: "材料齐全，予以受理".into(),
        };
        let (out, us) = step(accept, clerk.clone()).await;
        latencies.push(us);
        let mut case = out?.state;
        for who in &approvers {
            let dept = who.department.as_ref().map(Code::as_str).unwrap_or_default();
            let task = case
                .open_tasks()
                .find(|t| t.department.as_str() == dept)
                .map(|t| t.id)
                .ok_or_else(|| anyhow::anyhow!("no open task for {dept}"))?;
            let cmd = Command::Act {
                task,
                action: TaskAction::Approve,
                return_to: None,
                opinion: "同意".into(),
            };
            let (out, us) = step(cmd, who.clone()).await;
            latencies.push(us);
            case = out?.state;
        }
        let task = case
            .open_tasks()
            .next()
            .map(|t| t.id)
            .ok_or_else(|| anyhow::anyhow!("no decision task"))?;
        let cmd = Command::Act {
            task,
            action: TaskAction::Approve,
            return_to: None,
            opinion: "准予".into(),
        };
        let (out, us) = step(cmd, decider.clone()).await;
        latencies.push(us);
        out?;
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(latencies)
}

/// `onego bench routing`: trains routing on four fifths of past dispatches (a fixed shuffle) and asks it
/// about the other fifth. A hit is the category *and* the department the dispatcher chose.
pub(crate) fn routing(db: Option<String>, tickets: usize, calendar: WorkingCalendar) -> anyhow::Result<()> {
    let (url, temp) = match db {
        Some(u) => (u, None),
        None => {
            let path =
                std::env::temp_dir().join(format!("onego-bench-routing-{}.sqlite", std::process::id()));
            let p = path.to_string_lossy().into_owned();
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{p}{suffix}"));
            }
            (p.clone(), Some(p))
        }
    };
    let store = Store::open(&url).with_context(|| format!("cannot open {url}"))?;
    if temp.is_some() {
        crate::block_on(store.demo().load_catalog())??;
        crate::block_on(store.demo().load_hotline())??;
        let engine = Arc::new(Engine::new(
            store.clone(),
            calendar.clone(),
            EngineConfig::default(),
        )?);
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let made = rt.block_on(crate::demo_tickets::seed_tickets(engine, now(), tickets, 120))?;
        println!("generated {made} past requests of the demo city");
    }
    let mut past = crate::block_on(store.hotline().past_dispatches(1_000_000))??;
    if past.len() < 50 {
        bail!(
            "only {} past dispatches in {url}; routing needs at least 50 to measure",
            past.len()
        );
    }
    // A fixed shuffle, so runs compare.
    let mut x: u64 = 0x5eed;
    for i in (1..past.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        past.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let split = past.len() * 4 / 5;
    let (train, test) = past.split_at(split);
    let hotline = crate::block_on(store.hotline().load())??;
    let routing = onego_store::routing::Routing::default();
    let t0 = Instant::now();
    routing.learn_categories(&hotline, &[]);
    for (text, category, lead) in train {
        routing.learn(&routing.words(text), category, lead, 1.0);
    }
    let trained_in = t0.elapsed();
    let (mut top1, mut top3, mut category_only) = (0usize, 0usize, 0usize);
    let t1 = Instant::now();
    for (text, category, lead) in test {
        let s = routing.suggest_words(&routing.words(text), 3, &hotline);
        if s.first()
            .is_some_and(|s| s.category == *category && s.department == *lead)
        {
            top1 += 1;
        }
        if s.first().is_some_and(|s| s.category == *category) {
            category_only += 1;
        }
        if s.iter().any(|s| s.category == *category && s.department == *lead) {
            top3 += 1;
        }
    }
    let elapsed = t1.elapsed();
    // Phrasings written apart from the demo's templates: how routing does on words it has not seen.
    let (mut fresh_hits, mut fresh_total) = (0usize, 0usize);
    for line in include_str!("../data/routing-eval.tsv").lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(category), Some(lead), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if category.starts_with('#') {
            continue;
        }
        fresh_total += 1;
        let s = routing.suggest_words(&routing.words(text), 1, &hotline);
        if s.first()
            .is_some_and(|s| s.category == category && s.department == lead)
        {
            fresh_hits += 1;
        }
    }
    let pct = |n: usize| n as f64 * 100.0 / test.len() as f64;
    println!(
        "routing: {} dispatches, trained on {} in {:.0} ms, tested on {}",
        past.len(),
        train.len(),
        trained_in.as_secs_f64() * 1e3,
        test.len()
    );
    println!("  top-1 (category and department): {:.1} %", pct(top1));
    println!("  top-1 category:                  {:.1} %", pct(category_only));
    println!("  top-3 (category and department): {:.1} %", pct(top3));
    println!(
        "  unseen phrasings (data/routing-eval.tsv): {fresh_hits}/{fresh_total} = {:.1} % top-1",
        fresh_hits as f64 * 100.0 / fresh_total.max(1) as f64
    );
    println!(
        "  suggestions/s (segmentation + classification, one thread): {:.0}",
        test.len() as f64 / elapsed.as_secs_f64()
    );
    drop(store);
    if let Some(p) = temp {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{p}{suffix}"));
        }
    }
    Ok(())
}
