//! The issuing body's seal on a certificate: an SM2 signature (GB/T 32918.2) over the SM3 digest of the
//! exact bytes signed, with the default user ID `1234567812345678` (GB/T 35276), as any standard SM2
//! verifier checks it. Pure: the caller holds the keys (the store keeps them encrypted at rest).
//!
//! Formats, as a certificate's JSON carries them: the signature as hex of the 64 bytes r‖s, the public
//! key as hex of the uncompressed point 04‖x‖y (65 bytes).

use sm2::SecretKey;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::sec1::ToEncodedPoint;

use crate::messages::Msg;

/// The default SM2 distinguishing identifier (GB/T 35276-2017, 5.5).
pub const DEFAULT_ID: &str = "1234567812345678";

/// A seal: the signature and the key that verifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Hex of r‖s (128 characters).
    pub signature: String,
    /// Hex of 04‖x‖y (130 characters).
    pub public_key: String,
}

/// Why a seal cannot be made or does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the signing key is not a valid SM2 private key")]
    Key,
    #[error("the public key is not an SM2 point given as 04‖x‖y in hex")]
    PublicKey,
    #[error("the signature is not 64 bytes r‖s in hex")]
    SignatureFormat,
    #[error(
        "the signature does not match the content: the certificate was altered or not sealed by this key"
    )]
    Mismatch,
}

impl SealError {
    pub fn msg(&self) -> Msg {
        let zh = match self {
            SealError::Key => "签章私钥无效",
            SealError::PublicKey => "公钥格式有误（应为十六进制的 04‖x‖y）",
            SealError::SignatureFormat => "签名格式有误（应为十六进制的64字节 r‖s）",
            SealError::Mismatch => "签名与内容不符：证照内容被改动，或并非此密钥签发",
        };
        Msg::new("seal_invalid", zh, self.to_string())
    }
}

fn signing_key(secret: &[u8; 32]) -> Result<SigningKey, SealError> {
    let sk = SecretKey::from_slice(secret).map_err(|_| SealError::Key)?;
    SigningKey::new(DEFAULT_ID, &sk).map_err(|_| SealError::Key)
}

/// The public key of a private key, as hex of 04‖x‖y.
pub fn public_key(secret: &[u8; 32]) -> Result<String, SealError> {
    let key = signing_key(secret)?;
    Ok(hex::encode(
        key.verifying_key().as_affine().to_encoded_point(false).as_bytes(),
    ))
}

/// Seals `content` with the private key `secret` (a deterministic signature: the same content and key
/// give the same seal).
pub fn sign(secret: &[u8; 32], content: &[u8]) -> Result<Seal, SealError> {
    let key = signing_key(secret)?;
    let signature: Signature = key.try_sign(content).map_err(|_| SealError::Key)?;
    Ok(Seal {
        signature: hex::encode(signature.to_bytes()),
        public_key: hex::encode(key.verifying_key().as_affine().to_encoded_point(false).as_bytes()),
    })
}

/// Checks that `signature` (hex r‖s) seals `content` under `public_key` (hex 04‖x‖y).
pub fn verify(public_key: &str, content: &[u8], signature: &str) -> Result<(), SealError> {
    let point = hex::decode(public_key.trim()).map_err(|_| SealError::PublicKey)?;
    if point.len() != 65 || point[0] != 4 {
        return Err(SealError::PublicKey);
    }
    let key = VerifyingKey::from_sec1_bytes(DEFAULT_ID, &point).map_err(|_| SealError::PublicKey)?;
    let bytes = hex::decode(signature.trim()).map_err(|_| SealError::SignatureFormat)?;
    let signature = Signature::from_slice(&bytes).map_err(|_| SealError::SignatureFormat)?;
    key.verify(content, &signature).map_err(|_| SealError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The private key of the worked example in GB/T 32918.2 (and GM/T 0003.2), and its public key as
    /// the standard prints it.
    const SECRET: &str = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
    const PUBLIC: &str = "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020\
                          ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";

    fn secret() -> [u8; 32] {
        hex::decode(SECRET).expect("hex").try_into().expect("32 bytes")
    }

    #[test]
    fn the_public_key_of_the_standards_example_key_is_the_standards() {
        assert_eq!(public_key(&secret()).expect("key"), PUBLIC);
    }

    #[test]
    fn a_signature_made_by_an_independent_implementation_verifies() {
        // Made with the `gmssl` package from PyPI (CryptSM2.sign_with_sm3, default user ID), not by onego.
        let content = "电子证照 1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9".as_bytes();
        let by_gmssl = "5e2342843f0c4cf65d27de30c0da269e2239e0e992aaf8005bd94db809be7df8\
                        a611997ec88f417b3d979210483f48c3499c301796f79d4e96a488ddcf96aee4";
        verify(PUBLIC, content, by_gmssl).expect("gmssl's signature verifies");
        assert_eq!(
            verify(PUBLIC, "电子证照 altered".as_bytes(), by_gmssl),
            Err(SealError::Mismatch)
        );
    }

    #[test]
    fn a_seal_verifies_and_any_change_breaks_it() {
        let content = br#"{"holder":"zhangsan","type":"business licence"}"#;
        let seal = sign(&secret(), content).expect("sealed");
        assert_eq!((seal.signature.len(), seal.public_key.len()), (128, 130));
        verify(&seal.public_key, content, &seal.signature).expect("verifies");
        assert_eq!(sign(&secret(), content).expect("sealed"), seal, "deterministic");
        let mut altered = content.to_vec();
        altered[3] ^= 1;
        assert_eq!(
            verify(&seal.public_key, &altered, &seal.signature),
            Err(SealError::Mismatch)
        );
        let other = public_key(&[7u8; 32]).expect("key");
        assert_eq!(verify(&other, content, &seal.signature), Err(SealError::Mismatch));
        assert_eq!(
            verify("04ab", content, &seal.signature),
            Err(SealError::PublicKey)
        );
        assert_eq!(
            verify(&seal.public_key, content, "zz"),
            Err(SealError::SignatureFormat)
        );
        assert_eq!(sign(&[0u8; 32], content), Err(SealError::Key));
    }
}
