//! `onego cert …`: electronic certificates from the command line — check an identifier, issue a
//! certificate for a licence that exists on paper (存量证照电子化), show one as its signed document.

use anyhow::Context;
use clap::Subcommand;
use onego_calendar::WorkingCalendar;
use onego_domain::certificate::CertificateId;
use onego_domain::org::Actor;
use onego_domain::values::{ApplicantId, Code, RegionCode};
use onego_store::Store;
use onego_store::engine::{Engine, EngineConfig, Issue};
use onego_store::keys::MasterKey;

// Parsed once from the command line; the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum CertCommand {
    /// Check a certificate identifier (GB/T 36904): its parts and its check character (ISO/IEC 7064
    /// MOD 37,36). Prints `valid` and exits 0, or says what is wrong and exits 1.
    CheckId {
        /// The identifier, e.g. 1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9
        id: String,
    },
    /// Issue a certificate for a licence the department already granted (存量证照电子化), sealed with
    /// the department's key; prints the signed document.
    Issue {
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
        /// The installation's key secret, which keeps the issuing bodies' keys encrypted (32+ characters).
        #[arg(long, env = "ONEGO_KEY_SECRET", hide_env_values = true)]
        key_secret: String,
        /// The issuing department's code in the catalog.
        #[arg(long)]
        department: String,
        /// The issuing body's 统一社会信用代码 (or region code) as the identifier carries it.
        #[arg(long)]
        issuer_code: String,
        /// 证照类型名称, e.g. 营业执照.
        #[arg(long)]
        type_name: String,
        /// 证照类型代码 (21 characters: the defining body's code and three digits).
        #[arg(long)]
        type_code: String,
        /// The holder's resident ID or 统一社会信用代码.
        #[arg(long)]
        holder_id: String,
        #[arg(long)]
        holder_name: String,
        /// 证照编号 as printed (the identifier's serial when left out).
        #[arg(long)]
        number: Option<String>,
        /// The last valid day, YYYY-MM-DD (none: without end).
        #[arg(long)]
        valid_until: Option<chrono::NaiveDate>,
        /// The business data of the type, as a JSON object.
        #[arg(long, default_value = "{}")]
        data: String,
        #[arg(long, env = "ONEGO_REGION", default_value = "371700")]
        region: String,
    },
    /// Print a certificate's signed document by its identifier.
    Show {
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
        identifier: String,
    },
    /// Write a certificate as a PDF (its content, seal data and a QR code to the public check).
    Pdf {
        #[arg(long, env = "ONEGO_DB", default_value = "sqlite://onego.sqlite")]
        db: String,
        /// The address people reach onego at; the QR code points to its /verify page.
        #[arg(long, env = "ONEGO_PUBLIC_URL")]
        public_url: String,
        /// Where to write the PDF.
        #[arg(long)]
        out: std::path::PathBuf,
        identifier: String,
    },
}

pub(crate) fn run(c: CertCommand, calendar: WorkingCalendar) -> anyhow::Result<()> {
    match c {
        CertCommand::CheckId { id } => match CertificateId::parse(&id) {
            Ok(_) => {
                println!("valid");
                Ok(())
            }
            Err(e) => {
                let m = e.msg();
                eprintln!("invalid: {}\n不通过：{}", m.en, m.zh);
                std::process::exit(1);
            }
        },
        CertCommand::Issue {
            db,
            key_secret,
            department,
            issuer_code,
            type_name,
            type_code,
            holder_id,
            holder_name,
            number,
            valid_until,
            data,
            region,
        } => {
            let master = MasterKey::from_secret(&key_secret)?;
            let holder = ApplicantId::parse(&holder_id).map_err(|e| anyhow::anyhow!("{}", e.msg().en))?;
            let department = Code::parse(&department).map_err(|e| anyhow::anyhow!("{}", e.msg().en))?;
            let region = RegionCode::parse(&region).map_err(|e| anyhow::anyhow!("{}", e.msg().en))?;
            let data: serde_json::Value = serde_json::from_str(&data)
                .context("--data is not JSON; give an object such as {\"住所\": \"…\"}")?;
            anyhow::ensure!(data.is_object(), "--data must be a JSON object");
            let store = Store::open(&db).with_context(|| format!("cannot open the database {db}"))?;
            let engine = Engine::new(
                store,
                calendar,
                EngineConfig {
                    region,
                    ..EngineConfig::default()
                },
            )?;
            engine.set_master_key(master);
            let name = engine
                .catalog()
                .department(&department)
                .map(|d| d.name.clone())
                .with_context(|| format!("department {department} is not in the catalog"))?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let out = rt.block_on(engine.issue_certificate(
                &Actor::system(),
                Issue {
                    type_name,
                    type_code,
                    number,
                    holder,
                    holder_name,
                    department,
                    issuer_name: name,
                    issuer_code,
                    valid_until,
                    related: vec![],
                    data,
                    case_id: None,
                },
                onego_calendar::Timestamp::from_millis(onego_store::now_millis()),
            ))?;
            println!("{}", serde_json::to_string_pretty(&out.state.document())?);
            Ok(())
        }
        CertCommand::Show { db, identifier } => {
            let store = Store::open(&db).with_context(|| format!("cannot open the database {db}"))?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let found = rt
                .block_on(store.certificates().by_identifier(&identifier))?
                .with_context(|| format!("there is no certificate {identifier}"))?;
            println!("{}", serde_json::to_string_pretty(&found.document())?);
            Ok(())
        }
        CertCommand::Pdf {
            db,
            public_url,
            out,
            identifier,
        } => {
            let store = Store::open(&db).with_context(|| format!("cannot open the database {db}"))?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let found = rt
                .block_on(store.certificates().by_identifier(&identifier))?
                .with_context(|| format!("there is no certificate {identifier}"))?;
            let url = format!(
                "{}/verify/{}",
                public_url.trim_end_matches('/'),
                found.content.identifier
            );
            let pdf = onego_documents::certificate_pdf(&found, &url).map_err(anyhow::Error::msg)?;
            std::fs::write(&out, pdf).with_context(|| format!("cannot write {}", out.display()))?;
            println!("{}", out.display());
            Ok(())
        }
    }
}
