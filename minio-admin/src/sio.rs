//! The MinIO admin API's payload encryption (madmin's `EncryptData`/`DecryptData`): a key
//! derived from the caller's secret key, then a sio stream of 16 KiB fragments, each sealed with
//! its sequence number and a flag marking the last one, so that truncation and tampering are
//! both detected.
//!
//! Layout: `salt (32) || id (1) || nonce (8) || fragments`, where `id` names the key derivation
//! and the cipher: `0x00` Argon2id + AES-256-GCM, `0x01` Argon2id + ChaCha20-Poly1305, `0x02`
//! PBKDF2-SHA256 + AES-256-GCM. All three are read; `0x00` is written, as madmin and minio-py
//! do on hardware with AES instructions.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::ChaCha20Poly1305;
use soc_http::{ExposeSecret, SecretString};

/// Plaintext bytes per fragment.
const BUF_SIZE: usize = 16 * 1024;
const TAG: usize = 16;
const HEADER: usize = 32 + 1 + 8;

/// Why a payload could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Shorter than its header, or cut inside a fragment.
    #[error("the encrypted payload is truncated ({0} bytes)")]
    Truncated(usize),
    /// An id byte this crate does not know.
    #[error("unknown encryption id {0:#04x}")]
    UnknownId(u8),
    /// The key is wrong, or the bytes were changed or cut at a fragment boundary.
    #[error(
        "the payload is not authentic: wrong secret key, or the data was changed or truncated"
    )]
    NotAuthentic,
    /// The random source or the key derivation failed.
    #[error("encryption failed: {0}")]
    Internal(String),
}

/// The cipher of one payload.
enum Cipher {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Cipher {
    fn for_id(id: u8, password: &[u8], salt: &[u8]) -> Result<Self, CryptoError> {
        let mut key = [0u8; 32];
        match id {
            0x00 | 0x01 => {
                let params = Params::new(64 * 1024, 1, 4, Some(32))
                    .map_err(|e| CryptoError::Internal(e.to_string()))?;
                Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                    .hash_password_into(password, salt, &mut key)
                    .map_err(|e| CryptoError::Internal(e.to_string()))?;
            }
            0x02 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, 8192, &mut key),
            other => return Err(CryptoError::UnknownId(other)),
        }
        let cipher = if id == 0x01 {
            Self::ChaCha(Box::new(
                ChaCha20Poly1305::new_from_slice(&key)
                    .map_err(|e| CryptoError::Internal(e.to_string()))?,
            ))
        } else {
            Self::Aes(Box::new(
                Aes256Gcm::new_from_slice(&key)
                    .map_err(|e| CryptoError::Internal(e.to_string()))?,
            ))
        };
        Ok(cipher)
    }

    /// Seals `buf` in place and appends the tag.
    fn seal(&self, nonce: &[u8; 12], ad: &[u8], buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        let n = Nonce::from_slice(nonce);
        let r = match self {
            Self::Aes(c) => c.encrypt_in_place(n, ad, buf),
            Self::ChaCha(c) => c.encrypt_in_place(n, ad, buf),
        };
        r.map_err(|_| CryptoError::Internal("sealing failed".into()))
    }

    /// Opens `buf` (ciphertext and tag) in place.
    fn open(&self, nonce: &[u8; 12], ad: &[u8], buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        let n = Nonce::from_slice(nonce);
        let r = match self {
            Self::Aes(c) => c.decrypt_in_place(n, ad, buf),
            Self::ChaCha(c) => c.decrypt_in_place(n, ad, buf),
        };
        r.map_err(|_| CryptoError::NotAuthentic)
    }

    /// The associated data of a fragment: its flag, then the tag of an empty message sealed
    /// with sequence number 0.
    fn associated_data(&self, nonce8: &[u8]) -> Result<[u8; 1 + TAG], CryptoError> {
        let mut empty = Vec::with_capacity(TAG);
        self.seal(&fragment_nonce(nonce8, 0), &[], &mut empty)?;
        let mut ad = [0u8; 1 + TAG];
        ad[1..].copy_from_slice(&empty);
        Ok(ad)
    }
}

fn fragment_nonce(nonce8: &[u8], seq: u32) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(nonce8);
    n[8..].copy_from_slice(&seq.to_le_bytes());
    n
}

/// Encrypts `plaintext` with a key derived from `secret_key` (id `0x00`).
///
/// # Errors
/// [`CryptoError::Internal`] when the random source fails.
pub fn encrypt(secret_key: &SecretString, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut header = [0u8; HEADER];
    getrandom::fill(&mut header[..32]).map_err(|e| CryptoError::Internal(e.to_string()))?;
    getrandom::fill(&mut header[33..]).map_err(|e| CryptoError::Internal(e.to_string()))?;
    header[32] = 0x00;
    let cipher = Cipher::for_id(0x00, secret_key.expose_secret().as_bytes(), &header[..32])?;
    let nonce8 = &header[33..];
    let mut ad = cipher.associated_data(nonce8)?;
    let fragments = plaintext.len().div_ceil(BUF_SIZE).max(1);
    let mut out = Vec::with_capacity(HEADER + plaintext.len() + fragments * TAG);
    out.extend_from_slice(&header);
    for i in 0..fragments {
        let chunk = plaintext
            .get(i * BUF_SIZE..((i + 1) * BUF_SIZE).min(plaintext.len()))
            .unwrap_or_default();
        ad[0] = if i + 1 == fragments { 0x80 } else { 0x00 };
        let seq =
            u32::try_from(i + 1).map_err(|_| CryptoError::Internal("payload too large".into()))?;
        let mut buf = chunk.to_vec();
        cipher.seal(&fragment_nonce(nonce8, seq), &ad, &mut buf)?;
        out.extend_from_slice(&buf);
    }
    Ok(out)
}

/// Decrypts a payload written by [`encrypt`], madmin or minio-py (ids `0x00`, `0x01`, `0x02`).
///
/// # Errors
/// [`CryptoError::Truncated`], [`CryptoError::UnknownId`], [`CryptoError::NotAuthentic`].
pub fn decrypt(secret_key: &SecretString, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() < HEADER + TAG {
        return Err(CryptoError::Truncated(data.len()));
    }
    let (salt, id, nonce8) = (&data[..32], data[32], &data[33..HEADER]);
    let cipher = Cipher::for_id(id, secret_key.expose_secret().as_bytes(), salt)?;
    let mut ad = cipher.associated_data(nonce8)?;
    let mut rest = &data[HEADER..];
    let mut out = Vec::with_capacity(rest.len());
    let mut seq: u32 = 1;
    loop {
        let is_final = rest.len() <= BUF_SIZE + TAG;
        let take = if is_final { rest.len() } else { BUF_SIZE + TAG };
        if take < TAG {
            return Err(CryptoError::Truncated(data.len()));
        }
        ad[0] = if is_final { 0x80 } else { 0x00 };
        let mut buf = rest[..take].to_vec();
        cipher.open(&fragment_nonce(nonce8, seq), &ad, &mut buf)?;
        out.extend_from_slice(&buf);
        rest = &rest[take..];
        if is_final {
            return Ok(out);
        }
        seq = seq.checked_add(1).ok_or(CryptoError::NotAuthentic)?;
    }
}

/// [`encrypt`] off the async threads (the key derivation takes 64 MiB and tens of milliseconds).
pub(crate) async fn encrypt_blocking(
    secret_key: SecretString,
    plaintext: Vec<u8>,
) -> Result<Vec<u8>, CryptoError> {
    tokio::task::spawn_blocking(move || encrypt(&secret_key, &plaintext))
        .await
        .map_err(|e| CryptoError::Internal(e.to_string()))?
}

/// [`decrypt`] off the async threads.
pub(crate) async fn decrypt_blocking(
    secret_key: SecretString,
    data: Vec<u8>,
) -> Result<Vec<u8>, CryptoError> {
    tokio::task::spawn_blocking(move || decrypt(&secret_key, &data))
        .await
        .map_err(|e| CryptoError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretString {
        SecretString::from("minio-SECRET-key-123".to_owned())
    }

    #[test]
    fn round_trips_at_every_fragment_edge() {
        for len in [
            0,
            1,
            BUF_SIZE - 1,
            BUF_SIZE,
            BUF_SIZE + 1,
            2 * BUF_SIZE,
            2 * BUF_SIZE + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = encrypt(&key(), &plain).unwrap();
            let fragments = len.div_ceil(BUF_SIZE).max(1);
            assert_eq!(
                sealed.len(),
                HEADER + len + TAG * fragments,
                "length for {len}"
            );
            assert_eq!(sealed[32], 0x00);
            assert_eq!(
                decrypt(&key(), &sealed).unwrap(),
                plain,
                "round trip of {len}"
            );
        }
    }

    #[test]
    fn wrong_key_tampering_and_truncation_are_detected() {
        let plain = vec![7u8; 2 * BUF_SIZE + 10];
        let sealed = encrypt(&key(), &plain).unwrap();
        let other = SecretString::from("another".to_owned());
        assert_eq!(decrypt(&other, &sealed), Err(CryptoError::NotAuthentic));
        let mut changed = sealed.clone();
        changed[HEADER + 100] ^= 1;
        assert_eq!(decrypt(&key(), &changed), Err(CryptoError::NotAuthentic));
        // Cut at a fragment boundary: the new last fragment was not sealed as the last one.
        let cut = &sealed[..HEADER + 2 * (BUF_SIZE + TAG)];
        assert_eq!(decrypt(&key(), cut), Err(CryptoError::NotAuthentic));
        assert_eq!(
            decrypt(&key(), &sealed[..20]),
            Err(CryptoError::Truncated(20))
        );
        let mut unknown = sealed;
        unknown[32] = 0x07;
        assert_eq!(decrypt(&key(), &unknown), Err(CryptoError::UnknownId(7)));
    }

    /// The other two ids, written with this module's primitives the way madmin writes them.
    #[test]
    fn reads_chacha_and_pbkdf2_payloads() {
        for id in [0x01u8, 0x02] {
            let mut header = [3u8; HEADER];
            header[32] = id;
            let cipher = Cipher::for_id(id, b"minio-SECRET-key-123", &header[..32]).unwrap();
            let mut ad = cipher.associated_data(&header[33..]).unwrap();
            ad[0] = 0x80;
            let mut buf = b"{\"status\":\"enabled\"}".to_vec();
            cipher
                .seal(&fragment_nonce(&header[33..], 1), &ad, &mut buf)
                .unwrap();
            let mut data = header.to_vec();
            data.extend_from_slice(&buf);
            assert_eq!(
                decrypt(&key(), &data).unwrap(),
                b"{\"status\":\"enabled\"}",
                "id {id}"
            );
        }
    }
}
