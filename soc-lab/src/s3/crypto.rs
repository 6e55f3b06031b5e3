//! The admin API's payload encryption: a key stretched from the secret key with Argon2id over a
//! random 32-byte salt, then the plaintext cut into 16 KiB packages, each sealed with an AEAD
//! (AES-256-GCM for id 0, ChaCha20-Poly1305 for id 1) under a nonce of the 8-byte stream nonce
//! and the package's 32-bit little-endian sequence number (counting from 1). Every package is
//! authenticated with the stream's tag of the empty message, flagged `0x80` on the final one.
//!
//! Layout: `salt (32) | id (1) | nonce (8) | package (<= 16 KiB + 16-byte tag) ...`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use chacha20poly1305::ChaCha20Poly1305;

const SALT: usize = 32;
const NONCE: usize = 8;
const HEADER: usize = SALT + 1 + NONCE;
const PACKAGE: usize = 16 * 1024;
const TAG: usize = 16;

enum Cipher {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Cipher {
    fn new(id: u8, secret: &[u8], salt: &[u8]) -> Result<Cipher, String> {
        let params = argon2::Params::new(64 * 1024, 1, 4, Some(32))
            .map_err(|e| format!("key derivation parameters: {e}"))?;
        let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = [0u8; 32];
        kdf.hash_password_into(secret, salt, &mut key)
            .map_err(|e| format!("key derivation: {e}"))?;
        let bad_key = |_| "key of the wrong length".to_string();
        match id {
            0 => Ok(Cipher::Aes(Box::new(
                Aes256Gcm::new_from_slice(&key).map_err(bad_key)?,
            ))),
            1 => Ok(Cipher::ChaCha(Box::new(
                ChaCha20Poly1305::new_from_slice(&key).map_err(bad_key)?,
            ))),
            other => Err(format!("unsupported encryption id {other}")),
        }
    }

    fn seal(&self, nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Result<Vec<u8>, String> {
        let payload = Payload { msg, aad };
        match self {
            Cipher::Aes(c) => c.encrypt(nonce.into(), payload),
            Cipher::ChaCha(c) => c.encrypt(nonce.into(), payload),
        }
        .map_err(|_| "sealing failed".to_string())
    }

    fn open(&self, nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Result<Vec<u8>, String> {
        let payload = Payload { msg, aad };
        match self {
            Cipher::Aes(c) => c.decrypt(nonce.into(), payload),
            Cipher::ChaCha(c) => c.decrypt(nonce.into(), payload),
        }
        .map_err(|_| "the payload does not authenticate under this secret key".to_string())
    }

    /// The associated data of every package: a flag byte and the tag of the empty message.
    fn header_tag(&self, stream_nonce: &[u8]) -> Result<[u8; 1 + TAG], String> {
        let tag = self.seal(&nonce_for(stream_nonce, 0), &[], &[])?;
        let mut out = [0u8; 1 + TAG];
        out[1..].copy_from_slice(tag.get(..TAG).ok_or("short tag")?);
        Ok(out)
    }
}

fn nonce_for(stream_nonce: &[u8], seq: u32) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..NONCE].copy_from_slice(&stream_nonce[..NONCE]);
    n[NONCE..].copy_from_slice(&seq.to_le_bytes());
    n
}

fn random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        buf.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
}

/// Encrypts `plain` under `secret` with AES-256-GCM.
pub(crate) fn encrypt(secret: &str, plain: &[u8]) -> Result<Vec<u8>, String> {
    let mut salt = [0u8; SALT];
    let mut nonce = [0u8; NONCE];
    random(&mut salt);
    random(&mut nonce);
    let cipher = Cipher::new(0, secret.as_bytes(), &salt)?;
    let mut aad = cipher.header_tag(&nonce)?;
    let mut out = Vec::with_capacity(HEADER + plain.len() + TAG * (plain.len() / PACKAGE + 1));
    out.extend_from_slice(&salt);
    out.push(0);
    out.extend_from_slice(&nonce);
    let pieces: Vec<&[u8]> = if plain.is_empty() {
        vec![&[][..]]
    } else {
        plain.chunks(PACKAGE).collect()
    };
    let last = pieces.len() - 1;
    for (i, piece) in pieces.into_iter().enumerate() {
        if i == last {
            aad[0] = 0x80;
        }
        let seq = u32::try_from(i + 1).map_err(|_| "payload too large")?;
        out.extend(cipher.seal(&nonce_for(&nonce, seq), piece, &aad)?);
    }
    Ok(out)
}

/// Decrypts what a client encrypted under `secret`.
pub(crate) fn decrypt(secret: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    if data.len() < HEADER {
        return Err(format!(
            "the encrypted payload is too short ({} bytes)",
            data.len()
        ));
    }
    let (salt, rest) = data.split_at(SALT);
    let id = rest[0];
    let nonce = &rest[1..1 + NONCE];
    let body = &rest[1 + NONCE..];
    let cipher = Cipher::new(id, secret.as_bytes(), salt)?;
    let mut aad = cipher.header_tag(nonce)?;
    let packages: Vec<&[u8]> = body.chunks(PACKAGE + TAG).collect();
    let mut out = Vec::with_capacity(body.len());
    for (i, pkg) in packages.iter().enumerate() {
        if i + 1 == packages.len() {
            aad[0] = 0x80;
        }
        let seq = u32::try_from(i + 1).map_err(|_| "payload too large")?;
        out.extend(cipher.open(&nonce_for(nonce, seq), pkg, &aad)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_across_package_edges() {
        for len in [0usize, 1, PACKAGE, PACKAGE + 1, 2 * PACKAGE + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = encrypt("secret", &plain).unwrap_or_default();
            assert_eq!(decrypt("secret", &sealed).ok(), Some(plain));
            assert!(decrypt("other", &sealed).is_err());
        }
    }
}
