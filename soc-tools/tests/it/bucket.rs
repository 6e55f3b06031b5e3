//! `soc bucket export|import` against the lab's S3 store: every object back under its key, byte
//! for byte; a damaged export refused before anything is written.

use soc_tools::bucket;
use soc_tools::config::SocConfig;
use soc_tools::setup::{self, SetupOptions};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_goes_to_a_directory_and_back() {
    let stack = support::stack("bucket").await;
    let config = SocConfig::load(stack.config_path()).expect("config");
    let report = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!report.failed(), "{report:#?}");
    let (s3, _) = soc_tools::clients::s3(&config).unwrap().unwrap();
    let objects: Vec<(String, Vec<u8>)> = vec![
        ("case/1/report.pdf".into(), b"%PDF-1.7 report".to_vec()),
        (
            "attachment with spaces & marks".into(),
            vec![0, 159, 255, 10, 13],
        ),
        ("empty".into(), Vec::new()),
    ];
    for (k, v) in &objects {
        s3.put_object("thehive", k, "application/octet-stream", v.clone())
            .await
            .unwrap();
    }
    let dir = support::temp_dir("bucket-export").join("thehive");
    let manifest = bucket::export(&config, "thehive", &dir).await.unwrap();
    assert_eq!(manifest.objects.len(), 3);
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("MANIFEST.json")), 0o600);

    // Into a new bucket (a fresh store, as a restore sees it).
    let imported = bucket::import(&config, &dir, "thehive-restored")
        .await
        .unwrap();
    assert_eq!(imported, manifest);
    for (k, v) in &objects {
        let back = s3.get_object("thehive-restored", k).await.unwrap();
        assert_eq!(&back[..], &v[..], "{k}");
    }
    // Again: the same objects, no error.
    bucket::import(&config, &dir, "thehive-restored")
        .await
        .unwrap();

    // A damaged file: refused, naming the key and the file, and nothing written.
    let victim = manifest
        .objects
        .iter()
        .find(|e| e.key == "case/1/report.pdf")
        .unwrap();
    std::fs::write(dir.join(&victim.file), b"tampered").unwrap();
    let err = bucket::import(&config, &dir, "thehive-other")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("case/1/report.pdf") && err.contains(&victim.file),
        "{err}"
    );
    assert!(!s3.bucket_exists("thehive-other").await.unwrap());

    // A bucket that does not exist: the store's answer, named.
    let err = bucket::export(&config, "no-such-bucket", &dir.join("x"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-bucket"), "{err}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}
