//! The payload encryption against minio-py's own, both ways, when `SOC_TEST_PYTHON` names a
//! Python with `minio` installed (`.ci/run` provides one).

use std::io::Write;
use std::process::{Command, Stdio};

use minio_admin::sio::{decrypt, encrypt};
use minio_admin::SecretString;

const SECRET: &str = "juicefs-SECRET-key-0123456789";

fn python() -> Option<String> {
    match std::env::var("SOC_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!("SOC_TEST_PYTHON is not set: skipping the cross-check with minio-py");
            None
        }
    }
}

fn peer(python: &str, action: &str, input: &[u8]) -> Vec<u8> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peer/minio_crypto.py");
    let mut child = Command::new(python)
        .args([script, action, SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "minio-py {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn payloads() -> Vec<Vec<u8>> {
    let big: Vec<u8> =
        br#"{"secretKey":"s","status":"enabled"}"#.iter().copied().cycle().take(40_000).collect();
    vec![
        Vec::new(),
        br#"{"secretKey":"s3cr3t-value","status":"enabled"}"#.to_vec(),
        vec![b'x'; 16_384],
        big,
    ]
}

#[test]
fn minio_py_reads_what_this_crate_writes() {
    let Some(py) = python() else { return };
    let key = SecretString::from(SECRET.to_owned());
    for p in payloads() {
        let sealed = encrypt(&key, &p).unwrap();
        assert_eq!(peer(&py, "decrypt", &sealed), p, "{} bytes", p.len());
    }
}

#[test]
fn this_crate_reads_what_minio_py_writes() {
    let Some(py) = python() else { return };
    let key = SecretString::from(SECRET.to_owned());
    for p in payloads().into_iter().filter(|p| !p.is_empty()) {
        let sealed = peer(&py, "encrypt", &p);
        assert_eq!(decrypt(&key, &sealed).unwrap(), p, "{} bytes", p.len());
    }
    // minio-py writes an empty payload as the bare header, with no sealed final fragment: it
    // cannot be told from a payload cut after its header, so it is refused as truncated.
    let bare = peer(&py, "encrypt", b"");
    assert_eq!(bare.len(), 41);
    assert!(decrypt(&key, &bare).is_err());
}
