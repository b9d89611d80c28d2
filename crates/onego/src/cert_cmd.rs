//! `onego cert …`: electronic certificates from the command line.

use clap::Subcommand;
use onego_domain::certificate::CertificateId;

#[derive(Debug, Subcommand)]
pub(crate) enum CertCommand {
    /// Check a certificate identifier (GB/T 36904): its parts and its check character (ISO/IEC 7064
    /// MOD 37,36). Prints `valid` and exits 0, or says what is wrong and exits 1.
    CheckId {
        /// The identifier, e.g. 1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9
        id: String,
    },
}

pub(crate) fn run(c: CertCommand) -> anyhow::Result<()> {
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
    }
}
