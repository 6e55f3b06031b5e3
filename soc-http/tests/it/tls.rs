//! TLS against a local server whose certificate a private CA signed.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use soc_http::{ErrorKind, HttpClient, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Pki {
    ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "SOC test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: cert.der().clone(),
        server_key: PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
    }
}

/// Serves `200 ok` over TLS on localhost for each connection; answers the port.
async fn tls_server(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A failed handshake is what some tests expect: nothing to do then.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut read = Vec::new();
                while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4\r\nconnection: close\r\n\r\n\"ok\"")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn private_ca_is_rejected_by_default_and_trusted_when_added() {
    let pki = pki();
    let port = tls_server(&pki).await;
    let url = format!("https://localhost:{port}/");

    let default = HttpClient::builder(&url)
        .unwrap()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = default.get(["status"]).json::<String>().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");

    let with_ca = HttpClient::builder(&url)
        .unwrap()
        .ca_pem(pki.ca_pem.clone().into_bytes())
        .build()
        .unwrap();
    assert_eq!(
        with_ca.get(["status"]).json::<String>().await.unwrap(),
        "ok"
    );

    let insecure = HttpClient::builder(&url)
        .unwrap()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    assert_eq!(
        insecure.get(["status"]).json::<String>().await.unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn ca_file_is_read_at_build_time() {
    let pki = pki();
    let port = tls_server(&pki).await;
    let dir = std::env::temp_dir().join(format!("soc-http-ca-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let client = HttpClient::builder(&format!("https://localhost:{port}"))
        .unwrap()
        .ca_file(&ca)
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(client.get(["x"]).json::<String>().await.unwrap(), "ok");
}
