//! The issuing bodies' SM2 key pairs, kept encrypted at rest.
//!
//! A private key is stored only as `nonce ‖ SM4-CTR(key) ‖ HMAC-SM3(nonce ‖ ciphertext)` (hex), under
//! two keys derived with SM3 from the installation's key secret (`ONEGO_KEY_SECRET`): one to encrypt,
//! one to authenticate, so a changed or swapped row is refused rather than used. A stolen database
//! without the secret yields no signing key. Rotation retires the current key and makes a new one;
//! retired keys stay, so what they sealed still verifies (the public key travels with each certificate
//! as well).

use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::{Digest, Sm3};

use crate::StoreError;
use crate::sql::{Conn, Value};

type Sm4Ctr = ctr::Ctr128BE<sm4::Sm4>;

/// The shortest key secret accepted.
pub const MIN_SECRET: usize = 32;

/// The installation's key-encryption keys, derived from its key secret.
#[derive(Clone)]
pub struct MasterKey {
    enc: [u8; 16],
    mac: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

fn derive(label: &str, secret: &str) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(label.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

impl MasterKey {
    /// From the installation's key secret (at least 32 characters).
    pub fn from_secret(secret: &str) -> Result<MasterKey, StoreError> {
        if secret.chars().count() < MIN_SECRET {
            return Err(StoreError::Data(format!(
                "the key secret (ONEGO_KEY_SECRET) must have at least {MIN_SECRET} characters"
            )));
        }
        let enc = derive("onego issuer key encryption", secret);
        Ok(MasterKey {
            enc: enc[..16].try_into().expect("16 bytes"),
            mac: derive("onego issuer key authentication", secret),
        })
    }

    fn tag(&self, nonce: &[u8], ciphertext: &[u8]) -> [u8; 32] {
        let mut m = <Hmac<Sm3> as Mac>::new_from_slice(&self.mac).expect("HMAC takes any key length");
        m.update(nonce);
        m.update(ciphertext);
        m.finalize().into_bytes().into()
    }

    /// Encrypts a private key with a fresh random nonce.
    pub fn seal(&self, secret: &[u8; 32]) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        self.seal_with(secret, nonce)
    }

    fn seal_with(&self, secret: &[u8; 32], nonce: [u8; 16]) -> String {
        let mut buf = *secret;
        Sm4Ctr::new(&self.enc.into(), &nonce.into()).apply_keystream(&mut buf);
        let tag = self.tag(&nonce, &buf);
        hex::encode([&nonce[..], &buf[..], &tag[..]].concat())
    }

    /// Decrypts a sealed private key; refuses one that was altered or sealed under another secret.
    pub fn open(&self, sealed: &str) -> Result<[u8; 32], StoreError> {
        let bad = || {
            StoreError::Data(
                "an issuer key does not open: altered, or sealed under another key secret".into(),
            )
        };
        let bytes = hex::decode(sealed).map_err(|_| bad())?;
        if bytes.len() != 16 + 32 + 32 {
            return Err(bad());
        }
        let (nonce, rest) = bytes.split_at(16);
        let (ciphertext, tag) = rest.split_at(32);
        let mut m = <Hmac<Sm3> as Mac>::new_from_slice(&self.mac).expect("HMAC takes any key length");
        m.update(nonce);
        m.update(ciphertext);
        m.verify_slice(tag).map_err(|_| bad())?;
        let mut buf: [u8; 32] = ciphertext.try_into().expect("32 bytes");
        let nonce: [u8; 16] = nonce.try_into().expect("16 bytes");
        Sm4Ctr::new(&self.enc.into(), &nonce.into()).apply_keystream(&mut buf);
        Ok(buf)
    }
}

/// An issuing body's key as stored (the private key stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    pub id: i64,
    pub department: String,
    /// hex 04‖x‖y.
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// A new SM2 private key (a random scalar in range; a value out of range is drawn again).
fn generate() -> [u8; 32] {
    loop {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        if onego_domain::certificate::seal::public_key(&k).is_ok() {
            return k;
        }
    }
}

fn insert(
    conn: &mut dyn Conn,
    department: &str,
    master: &MasterKey,
    now: i64,
) -> Result<(i64, [u8; 32]), StoreError> {
    let secret = generate();
    let public =
        onego_domain::certificate::seal::public_key(&secret).map_err(|e| StoreError::Data(e.to_string()))?;
    let row = conn
        .query_one(
            "INSERT INTO issuer_keys (department, public_key, sealed_secret, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            &[department.into(), public.into(), master.seal(&secret).into(), Value::Int(now)],
        )?
        .ok_or_else(|| StoreError::Data("issuer key insert".into()))?;
    Ok((row.int(0)?, secret))
}

/// The department's current signing key, if it has one: its id and private key.
pub fn find_current(
    conn: &mut dyn Conn,
    department: &str,
    master: &MasterKey,
) -> Result<Option<(i64, [u8; 32])>, StoreError> {
    conn.query_one(
        "SELECT id, sealed_secret FROM issuer_keys WHERE department = $1 AND retired_at IS NULL \
         ORDER BY id DESC LIMIT 1",
        &[department.into()],
    )?
    .map(|r| Ok((r.int(0)?, master.open(&r.text(1)?)?)))
    .transpose()
}

/// The department's current signing key, made when it has none (inside a write, so two issuers
/// starting together find the one the first made).
pub fn current(
    conn: &mut dyn Conn,
    department: &str,
    master: &MasterKey,
    now: i64,
) -> Result<(i64, [u8; 32]), StoreError> {
    match find_current(conn, department, master)? {
        Some(found) => Ok(found),
        None => insert(conn, department, master, now),
    }
}

/// Retires the department's current keys and makes a new one; answers the new key's id.
pub fn rotate(
    conn: &mut dyn Conn,
    department: &str,
    master: &MasterKey,
    now: i64,
) -> Result<i64, StoreError> {
    conn.execute(
        "UPDATE issuer_keys SET retired_at = $2 WHERE department = $1 AND retired_at IS NULL",
        &[department.into(), Value::Int(now)],
    )?;
    Ok(insert(conn, department, master, now)?.0)
}

/// Every key of a department, newest first, retired ones included (for verification).
pub fn all(conn: &mut dyn Conn, department: &str) -> Result<Vec<IssuerKey>, StoreError> {
    conn.query(
        "SELECT id, department, public_key, created_at, retired_at FROM issuer_keys WHERE department = $1 \
         ORDER BY id DESC",
        &[department.into()],
    )?
    .iter()
    .map(|r| {
        Ok(IssuerKey {
            id: r.int(0)?,
            department: r.text(1)?,
            public_key: r.text(2)?,
            created_at: r.int(3)?,
            retired_at: r.opt_int(4)?,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4::cipher::{BlockEncrypt, KeyInit};

    #[test]
    fn sm4_is_the_standards_cipher() {
        // GB/T 32907-2016, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
        let key = hex::decode("0123456789abcdeffedcba9876543210").expect("hex");
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&key);
        sm4::Sm4::new_from_slice(&key)
            .expect("key")
            .encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn a_sealed_key_opens_only_unaltered_and_under_its_own_secret() {
        let master =
            MasterKey::from_secret("a key secret of at least thirty-two characters").expect("master");
        let secret = [7u8; 32];
        let sealed = master.seal(&secret);
        assert!(
            !sealed.contains(&hex::encode(secret)),
            "the key is not stored in the clear"
        );
        assert_eq!(master.open(&sealed).expect("opens"), secret);
        assert_ne!(master.seal(&secret), sealed, "a fresh nonce each time");
        // One flipped bit anywhere, or another secret: refused.
        for i in [0, 20, 40, 70, 150] {
            let mut b = hex::decode(&sealed).expect("hex");
            b[i / 2] ^= 1;
            assert!(master.open(&hex::encode(b)).is_err(), "bit {i}");
        }
        let other = MasterKey::from_secret("another key secret, also thirty-two characters").expect("master");
        assert!(other.open(&sealed).is_err());
        assert!(MasterKey::from_secret("short").is_err());
        assert!(!format!("{master:?}").contains('7'));
    }
}
