//! The S3 store: buckets, and for each a user whose policy reaches that bucket only.

use minio_admin::{bucket_policy, generate_secret, Principal, Rights};
use secrecy::ExposeSecret as _;

use super::{contains, Run};
use crate::clients;

const S: &str = "s3";

pub(super) async fn run(run: &mut Run<'_>) {
    let (s3, admin) = match clients::s3(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return run.failed(S, "connection", "s3", e),
    };
    let Some(cfg) = run.config.s3.clone() else {
        return;
    };
    for bucket in &cfg.buckets {
        let exists = match s3.bucket_exists(&bucket.name).await {
            Ok(b) => b,
            Err(e) => {
                run.failed(S, "bucket", &bucket.name, e);
                continue;
            }
        };
        if exists {
            run.unchanged(S, "bucket", &bucket.name);
        } else if !run
            .apply(S, "bucket", &bucket.name, false, "", || async {
                s3.create_bucket(&bucket.name).await.map(|_| ())
            })
            .await
        {
            continue;
        }
        let Some(user) = &bucket.user else { continue };
        let rights = if bucket.access == "read-only" {
            Rights::ReadOnly
        } else {
            Rights::ReadWrite
        };
        let policy_name = format!(
            "{user}-{}-{}",
            bucket.name,
            if rights == Rights::ReadOnly {
                "ro"
            } else {
                "rw"
            }
        );
        let desired = bucket_policy(&bucket.name, rights);
        let current = match admin.canned_policy(&policy_name).await {
            Ok(p) => Some(p),
            Err(e) if e.code() == Some("XMinioAdminNoSuchPolicy") => None,
            Err(e) => {
                run.failed(S, "policy", &policy_name, e);
                continue;
            }
        };
        match &current {
            Some(p) if contains(p, &desired) => run.unchanged(S, "policy", &policy_name),
            _ => {
                let ok = run
                    .apply(
                        S,
                        "policy",
                        &policy_name,
                        current.is_some(),
                        "grants the bucket only",
                        || async { admin.add_canned_policy(&policy_name, &desired).await },
                    )
                    .await;
                if !ok {
                    continue;
                }
            }
        }
        // The user: kept when its stored secret still works, (re)keyed otherwise.
        let info = match admin.user_info(user).await {
            Ok(i) => Some(i),
            Err(e) if e.code() == Some("XMinioAdminNoSuchUser") => None,
            Err(e) => {
                run.failed(S, "user", user, e);
                continue;
            }
        };
        let stored = run.secrets.get(S, user);
        let works = match (&info, &stored) {
            (Some(_), Some(secret)) => {
                match clients::s3_with_keys(run.config, user, secret.clone()) {
                    Ok(c) => c.bucket_exists(&bucket.name).await.is_ok(),
                    Err(_) => false,
                }
            }
            _ => false,
        };
        if works {
            run.unchanged(S, "user", user);
        } else {
            let why = match (&info, &stored) {
                (None, _) => "new user",
                (Some(_), None) => "its secret is not in the secrets file: rotated",
                (Some(_), Some(_)) => "the stored secret is refused: rotated",
            };
            let secret = match generate_secret() {
                Ok(s) => s,
                Err(e) => {
                    run.failed(S, "user", user, e);
                    continue;
                }
            };
            let ok = run
                .apply(S, "user", user, info.is_some(), why, || async {
                    admin.add_user(user, &secret).await
                })
                .await;
            if !ok {
                continue;
            }
            if !run.dry_run {
                run.secrets.set(S, user, secret);
            }
        }
        let attached = info
            .as_ref()
            .and_then(|i| i.policy_name.as_deref())
            .is_some_and(|p| p.split(',').any(|p| p.trim() == policy_name));
        if attached {
            run.unchanged(S, "policy-attachment", &format!("{policy_name} -> {user}"));
        } else {
            run.apply(
                S,
                "policy-attachment",
                &format!("{policy_name} -> {user}"),
                false,
                "",
                || async { admin.set_policy(&policy_name, Principal::User(user)).await },
            )
            .await;
        }
        let _ = stored.map(|s| s.expose_secret().len());
    }
}
