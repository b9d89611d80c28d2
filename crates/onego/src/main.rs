//! The `onego` binary: command line, configuration, start-up.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The engine allocates many small, short-lived values per command (events, JSON, SQL parameters);
// mimalloc serves them markedly faster than glibc's allocator under two busy threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod calendar_cmd;
mod cert_cmd;
mod demo;
mod demo_certificates;
mod demo_projects;
mod demo_tickets;
mod notify_cmd;
mod serve;

#[derive(Debug, Parser)]
#[command(
    name = "onego",
    version,
    about = "onego (一次办好): one window, one go — government-service platform"
)]
struct Cli {
    /// A holiday table file laid over the built-in one (its years replace the built-in years; its local
    /// rest days are added).
    #[arg(long, global = true, env = "ONEGO_HOLIDAYS", value_name = "FILE")]
    holidays: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The working-day calendar: day kinds, adding working days, coverage.
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCommand),
    /// Run the server: JSON API, timers; with --demo, the demo city.
    Serve {
        /// Database: a SQLite file path or sqlite:// URL, or a postgres:// URL.
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
        /// Address to listen on.
        #[arg(long, env = "ONEGO_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Load the demo city (catalog, users with a fresh printed password, past cases) when missing.
        #[arg(long)]
        demo: bool,
        /// With --demo: how many past hotline requests to run through the engine when there are none.
        #[arg(long, default_value_t = 2400)]
        demo_tickets: usize,
        /// GB/T 2260 code of the region whose code begins every case number.
        #[arg(long, env = "ONEGO_REGION", default_value = "371700")]
        region: String,
        /// Mark cookies Secure (onego is reached over HTTPS, e.g. behind a TLS proxy).
        #[arg(long, env = "ONEGO_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy in front of onego (only when
        /// clients cannot reach onego except through it).
        #[arg(long, env = "ONEGO_TRUST_PROXY")]
        trust_proxy: bool,
        /// The installation's key secret (32+ characters): keeps the issuing bodies' certificate keys
        /// encrypted. Without it no certificate is issued; with --demo the demo's own secret is kept in
        /// its database.
        #[arg(long, env = "ONEGO_KEY_SECRET", hide_env_values = true)]
        key_secret: Option<String>,
        /// The address people reach onego at (e.g. https://zwfw.example.gov.cn), printed in the QR codes
        /// of certificates and in documents. Without it, the address each request came to.
        #[arg(long, env = "ONEGO_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        delivery: notify_cmd::DeliveryArgs,
    },
    /// Messages by e-mail and SMS: `notify test` sends one through the configured channel.
    #[command(subcommand)]
    Notify(notify_cmd::NotifyCommand),
    /// Electronic certificates: `cert check-id ID` checks an identifier.
    #[command(subcommand)]
    Cert(cert_cmd::CertCommand),
    /// Apply database migrations and report the schema version.
    Migrate {
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Process definitions: check a file, or import it as a new version.
    #[command(subcommand)]
    Process(ProcessCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum ProcessCommand {
    /// Validate a definition file and print its steps; errors name the node and exit non-zero.
    Check { file: PathBuf },
    /// Validate and store a definition (a new version; stored versions never change).
    Import {
        file: PathBuf,
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. Without --password a random one is generated and printed.
    Add {
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
        #[arg(long)]
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// applicant, clerk, approver, supervisor, leader, operator, dispatcher, grid_member, agent or admin.
        #[arg(long)]
        role: String,
        /// Department code (approvers and supervisors).
        #[arg(long)]
        department: Option<String>,
        /// Resident ID or 统一社会信用代码 (applicants).
        #[arg(long)]
        applicant_id: Option<String>,
        /// Mobile number for SMS messages (the user may change it and the choice later).
        #[arg(long)]
        mobile: Option<String>,
        /// E-mail address for e-mail messages.
        #[arg(long)]
        email: Option<String>,
        /// The password (at least 8 characters); prefer the ONEGO_PASSWORD variable over the command line.
        #[arg(long, env = "ONEGO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// The reference process (accept → three departments in parallel → decide) through the real engine
    /// and store, durably, with concurrent clients.
    Engine {
        /// Cases to run.
        #[arg(long, default_value_t = 2000)]
        cases: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: u64,
        /// Database URL (default: a fresh SQLite file in the temporary directory, removed afterwards).
        #[arg(long)]
        db: Option<String>,
    },
    /// Routing suggestions: accuracy on a held-out fifth of past dispatches, and suggestions per second.
    Routing {
        /// A database with past dispatches (default: a fresh demo city with --tickets past requests).
        #[arg(long)]
        db: Option<String>,
        /// Past requests to generate when no database is given.
        #[arg(long, default_value_t = 3000)]
        tickets: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr; RUST_LOG chooses how much (warnings by default).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let calendar = calendar_cmd::load_calendar(cli.holidays.as_ref())?;
    match cli.command {
        Command::Calendar(cmd) => {
            let stdout = std::io::stdout();
            calendar_cmd::run(&cmd, &calendar, &mut stdout.lock())
        }
        Command::Serve {
            db,
            bind,
            demo,
            demo_tickets,
            region,
            secure_cookies,
            trust_proxy,
            key_secret,
            public_url,
            delivery,
        } => serve::run(
            serve::ServeArgs {
                db,
                bind,
                demo,
                demo_tickets,
                region,
                secure_cookies,
                trust_proxy,
                key_secret,
                public_url,
                delivery,
            },
            calendar,
        ),
        Command::Notify(c) => notify_cmd::run(c),
        Command::Cert(c) => cert_cmd::run(c, calendar),
        Command::Migrate { db } => {
            let store = onego_store::Store::open(&db)?;
            let version = block_on(store.schema_version())??;
            println!(
                "{}: schema at version {version}, up to date",
                store.location().describe()
            );
            Ok(())
        }
        Command::User(UserCommand::Add {
            db,
            username,
            name,
            role,
            department,
            applicant_id,
            mobile,
            email,
            password,
        }) => user_add(
            &db,
            username,
            name,
            &role,
            department,
            applicant_id,
            mobile,
            email,
            password,
        ),
        Command::Process(cmd) => process(cmd),
        Command::Bench(BenchCommand::Engine { cases, clients, db }) => {
            bench::run(bench::BenchArgs { cases, clients, db }, calendar)
        }
        Command::Bench(BenchCommand::Routing { db, tickets }) => bench::routing(db, tickets, calendar),
    }
}

#[allow(clippy::too_many_arguments)]
fn user_add(
    db: &str,
    username: String,
    name: String,
    role: &str,
    department: Option<String>,
    applicant_id: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    use onego_domain::org::Role;
    use onego_domain::values::{ApplicantId, Code, Email, Mobile};
    let role = Role::parse(role).filter(|r| *r != Role::System).ok_or_else(|| {
        anyhow::anyhow!("role \"{role}\" is not one of applicant, clerk, approver, supervisor, leader, admin")
    })?;
    let department = department
        .as_deref()
        .map(Code::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let applicant = applicant_id
        .as_deref()
        .map(ApplicantId::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mobile = mobile
        .as_deref()
        .map(Mobile::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?
        .map(|m| m.to_string());
    let email = email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?
        .map(String::from);
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| onego_store::users::new_token()[..16].to_owned());
    let new = onego_store::users::NewUser {
        username,
        name,
        role,
        department,
        applicant,
        by_sms: mobile.is_some(),
        by_email: email.is_some(),
        mobile,
        email,
        password: password.clone(),
    };
    new.validate()?;
    let store = onego_store::Store::open(db)?;
    if let Some(d) = &new.department {
        let catalog = block_on(store.catalog().load())??;
        if catalog.department(d).is_none() {
            anyhow::bail!("department {d} does not exist; create it first (or check the code)");
        }
    }
    let user = block_on(store.users().add(new, onego_store::now_millis()))??;
    println!(
        "added user {} ({}) with id {}",
        user.username,
        user.role.as_str(),
        user.id
    );
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

/// Runs one of the store's calls to its end, for the commands that are not servers.
pub(crate) fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f))
}

fn read_definition(file: &PathBuf) -> anyhow::Result<onego_domain::process::ProcessDefinition> {
    use anyhow::Context;
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {}; check the path", file.display()))?;
    onego_domain::process::ProcessDefinition::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn process(cmd: ProcessCommand) -> anyhow::Result<()> {
    match cmd {
        ProcessCommand::Check { file } => {
            let def = read_definition(&file)?;
            println!(
                "{} version {}: {} ({} nodes) is valid",
                def.code,
                def.version,
                def.name,
                def.nodes.len()
            );
            for n in &def.nodes {
                println!(
                    "  {:<12} {:<12} {} -> {}",
                    n.id,
                    n.type_name(),
                    n.name,
                    n.successors().join(", ")
                );
            }
            Ok(())
        }
        ProcessCommand::Import { file, db } => {
            let def = read_definition(&file)?;
            let store = onego_store::Store::open(&db)?;
            let (code, version) = (def.code.clone(), def.version);
            block_on(store.catalog().save_process(def, onego_store::now_millis()))??;
            println!(
                "imported process {code} version {version}; running onego servers pick it up at their next start"
            );
            Ok(())
        }
    }
}
