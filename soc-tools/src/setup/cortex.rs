//! Cortex: the first-run bootstrap, analyzers, and the user TheHive connects as.

use cortex_client::bootstrap::{bootstrap, BootstrapPlan, Outcome as StepOutcome};
use cortex_client::model::{EnableWorker, InputUser};
use cortex_client::query::ListOptions;
use serde_json::{Map, Value};

use super::{contains, toml_to_json, Run};
use crate::clients;
use crate::config::ConfigValue;
use crate::report::Outcome;

const S: &str = "cortex";

pub(super) async fn run(run: &mut Run<'_>) {
    let anonymous = match clients::cortex_anonymous(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return run.failed(S, "connection", "cortex", e),
    };
    let Some(cfg) = run.config.cortex.clone() else {
        return;
    };
    let password = match cfg
        .superadmin_password
        .resolve(run.config, "cortex.superadmin_password")
    {
        Ok(p) => p,
        Err(e) => return run.failed(S, "superadmin", &cfg.superadmin, e),
    };
    let known_key = match &cfg.superadmin_key {
        Some(r) => match r.resolve(run.config, "cortex.superadmin_key") {
            Ok(k) => Some(k),
            Err(e) => return run.failed(S, "superadmin", &cfg.superadmin, e),
        },
        None => run.secrets.get(S, &cfg.superadmin),
    };
    let mut plan = BootstrapPlan::new(&cfg.superadmin, password, &cfg.organisation, &cfg.org_admin);
    if let Some(k) = known_key.clone() {
        plan = plan.superadmin_key(k);
    }
    if run.dry_run && known_key.is_none() {
        run.report.push(
            S,
            "bootstrap",
            &cfg.organisation,
            Outcome::WouldChange,
            "superadmin, organisation and its admin, as needed",
        );
        return;
    }
    if let (true, Some(key)) = (run.dry_run, known_key.clone()) {
        // Read-only view of what the bootstrap would do.
        match anonymous.with_api_key(key) {
            Ok(admin) => match admin.organizations().get(&cfg.organisation).await {
                Ok(_) => run.unchanged(S, "organization", &cfg.organisation),
                Err(_) => run.report.push(
                    S,
                    "organization",
                    &cfg.organisation,
                    Outcome::WouldCreate,
                    "",
                ),
            },
            Err(e) => run.failed(S, "connection", &cfg.superadmin, e),
        }
        return;
    }
    let done = match bootstrap(&anonymous, &plan).await {
        Ok(d) => d,
        Err(e) => return run.failed(S, "bootstrap", &cfg.organisation, e),
    };
    for step in &done.steps {
        let outcome = match step.outcome {
            StepOutcome::Created => Outcome::Created,
            StepOutcome::Changed => Outcome::Changed,
            StepOutcome::Unchanged => Outcome::Unchanged,
        };
        run.report.push(S, step.name, &step.subject, outcome, "");
    }
    if let Some(k) = &done.new_superadmin_key {
        run.secrets.set(S, &cfg.superadmin, k.clone());
    }
    run.secrets
        .set(S, &cfg.org_admin, done.org_admin_key.clone());
    let org = match anonymous.with_api_key(done.org_admin_key.clone()) {
        Ok(c) => c,
        Err(e) => return run.failed(S, "connection", &cfg.org_admin, e),
    };

    // Analyzers.
    let enabled = match org.analyzers().enabled(&ListOptions::all()).await {
        Ok(l) => l.items,
        Err(e) => return run.failed(S, "analyzer", "*", e),
    };
    for a in &cfg.analyzers {
        let mut desired = Map::new();
        let mut bad = None;
        for (k, v) in &a.config {
            let value = match v {
                ConfigValue::Plain(p) => toml_to_json(p),
                ConfigValue::Secret(r) => match r.to_ref().map(|r| {
                    r.resolve(
                        run.config,
                        &format!("cortex.analyzers.{}.config.{k}", a.name),
                    )
                }) {
                    Some(Ok(s)) => {
                        Value::String(secrecy::ExposeSecret::expose_secret(&s).to_owned())
                    }
                    Some(Err(e)) => {
                        bad = Some(e.to_string());
                        break;
                    }
                    None => Value::Null,
                },
            };
            desired.insert(k.clone(), value);
        }
        if let Some(e) = bad {
            run.failed(S, "analyzer", &a.name, e);
            continue;
        }
        let current = enabled.iter().find(|w| {
            w.name == a.name || w.worker_definition_id.as_deref() == Some(a.name.as_str())
        });
        match current {
            Some(w)
                if w.configuration
                    .as_ref()
                    .is_some_and(|c| contains(c, &Value::Object(desired.clone()))) =>
            {
                run.unchanged(S, "analyzer", &a.name)
            }
            Some(w) => {
                let id = w.id().to_owned();
                let body = serde_json::json!({ "configuration": desired });
                run.apply(S, "analyzer", &a.name, true, "configuration", || async {
                    org.analyzers().update(&id, &body).await.map(|_| ())
                })
                .await;
            }
            None => {
                let settings = EnableWorker::new(&a.name, desired);
                run.apply(S, "analyzer", &a.name, false, "", || async {
                    org.analyzers().enable(&a.name, &settings).await.map(|_| ())
                })
                .await;
            }
        }
    }

    // The user TheHive's connector runs analyzers as, with its key.
    let exists = match org.users().get(&cfg.thehive_user).await {
        Ok(_) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => return run.failed(S, "user", &cfg.thehive_user, e),
    };
    if exists {
        run.unchanged(S, "user", &cfg.thehive_user);
    } else {
        let user = InputUser::new(&cfg.thehive_user, "TheHive connector", ["read", "analyze"])
            .organization(&cfg.organisation);
        if !run
            .apply(S, "user", &cfg.thehive_user, false, "", || async {
                org.users().create(&user).await.map(|_| ())
            })
            .await
        {
            return;
        }
    }
    match org.users().key(&cfg.thehive_user).await {
        Ok(key) => {
            run.secrets.set(S, &cfg.thehive_user, key);
            run.unchanged(S, "api-key", &cfg.thehive_user);
        }
        Err(_) => {
            let mut new_key = None;
            run.apply(S, "api-key", &cfg.thehive_user, false, "", || async {
                new_key = Some(org.users().renew_key(&cfg.thehive_user).await?);
                Ok::<(), cortex_client::Error>(())
            })
            .await;
            if let Some(k) = new_key {
                run.secrets.set(S, &cfg.thehive_user, k);
            }
        }
    }
}
