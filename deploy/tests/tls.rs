//! The rendered TLS material works as a TLS stack sees it: a client trusting only `tls/ca.crt`
//! completes a handshake with a server presenting `tls/proxy.crt` under the public names, and
//! refuses it under a name the certificate does not carry.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::TempDir;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use soc_deploy::{render, Settings};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server on loopback presenting `cert`/`key`, echoing one byte back.
async fn serve(cert: &Path, key: &Path) -> u16 {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut b = [0u8; 1];
                    if tls.read_exact(&mut b).await.is_ok() {
                        let _ = tls.write_all(&b).await;
                    }
                }
            });
        }
    });
    port
}

/// Connects trusting only `ca`, as `name`; the echoed byte on success.
async fn connect(ca: &Path, port: u16, name: &str) -> Result<u8, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let server = ServerName::try_from(name.to_owned()).unwrap();
    let mut tls = connector
        .connect(server, tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(&[42]).await.map_err(|e| e.to_string())?;
    let mut b = [0u8; 1];
    tls.read_exact(&mut b).await.map_err(|e| e.to_string())?;
    Ok(b[0])
}

#[tokio::test]
async fn the_proxy_certificate_verifies_under_the_rendered_ca() {
    let dir = TempDir::new("soc-deploy-tls-it");
    let out = dir.0.join("out");
    let settings = Settings::parse("[stack]\npublic_host = \"soc.example.org\"\n").unwrap();
    render(&out, &settings).unwrap();
    let tls = out.join("tls");
    let port = serve(&tls.join("proxy.crt"), &tls.join("proxy.key")).await;
    for name in ["soc.example.org", "localhost", "127.0.0.1"] {
        assert_eq!(
            connect(&tls.join("ca.crt"), port, name).await,
            Ok(42),
            "{name}"
        );
    }
    let wrong = connect(&tls.join("ca.crt"), port, "elsewhere.example.org").await;
    let wrong = wrong.unwrap_err();
    assert!(
        wrong.contains("NotValidForName") || wrong.contains("not valid for name"),
        "{wrong}"
    );

    // MISP's internal certificate, under its service name, from the same local CA.
    let port = serve(&tls.join("misp/cert.pem"), &tls.join("misp/key.pem")).await;
    assert_eq!(
        connect(&tls.join("local-ca.crt"), port, "misp-core").await,
        Ok(42)
    );

    // A second render keeps the CA: the first CA still verifies the new proxy certificate.
    let before = std::fs::read_to_string(tls.join("ca.crt")).unwrap();
    render(&out, &settings).unwrap();
    assert_eq!(std::fs::read_to_string(tls.join("ca.crt")).unwrap(), before);
}
