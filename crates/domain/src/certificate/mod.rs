//! Electronic certificates (电子证照, GB/T 36901–36905): the identifier every certificate carries
//! ([`identifier`]), the issuing body's SM2 seal ([`seal`]) and, built on them, the certificate itself.

pub mod identifier;
pub mod model;
pub mod seal;
pub mod types;

pub use identifier::{CertificateId, IdError};
pub use model::{
    Certificate, CertificateCommand, CertificateEntry, CertificateError, CertificateEvent, CertificateStatus,
    Content, Reminders,
};
pub use types::{CertificateType, HolderKind, SharedRecord, TypeField, TypeKind};
