//! First-run bootstrap of a fresh Cortex, as one idempotent call.
//!
//! A fresh Cortex has no database and no user; its web UI asks a person to click "migrate" and
//! type a superadmin password. [`bootstrap`] does the same over the API and goes on to create
//! an organisation, its administrator and an API key. Each step first looks at the current
//! state, so running it again on a bootstrapped Cortex changes nothing and reports every step
//! [`Outcome::Unchanged`]:
//!
//! 1. **database**: `POST /api/login` with a throw-away login answers 520 while the database
//!    does not exist; then `POST /api/maintenance/migrate` creates it.
//! 2. **superadmin**: while no user exists, Cortex authenticates anonymous requests as its
//!    initial pseudo-user; the superadmin is created then, in the `cortex` organisation, with a
//!    password and a generated API key (the only way to get a key without a browser session,
//!    since password authentication for the API is off by default). Once users exist, the
//!    plan's [`BootstrapPlan::superadmin_key`] is used instead.
//! 3. **organisation**, 4. **organisation administrator** (roles `read`, `analyze`, `orgadmin`),
//! 5. **its API key** (kept if it has one, created otherwise).

use std::fmt;

use serde_json::{json, Value};
use soc_http::{Method, SecretString};

use crate::model::{InputOrganization, InputUser};
use crate::{Cortex, Error, Result};

/// What to create.
#[derive(Debug, Clone)]
pub struct BootstrapPlan {
    /// The superadmin's login.
    pub superadmin_login: String,
    /// The superadmin's display name.
    pub superadmin_name: String,
    /// The superadmin's password (for the web UI).
    pub superadmin_password: SecretString,
    /// The superadmin's API key: used when Cortex already has users; set as the new
    /// superadmin's key otherwise (a random key is generated when absent).
    pub superadmin_key: Option<SecretString>,
    /// The organisation.
    pub organization: String,
    /// Its description.
    pub organization_description: String,
    /// The organisation administrator's login.
    pub org_admin_login: String,
    /// Its display name.
    pub org_admin_name: String,
    /// Its password, set when the account is created.
    pub org_admin_password: Option<SecretString>,
}

impl BootstrapPlan {
    /// A plan with display names derived from the logins.
    pub fn new(
        superadmin_login: impl Into<String>,
        superadmin_password: SecretString,
        organization: impl Into<String>,
        org_admin_login: impl Into<String>,
    ) -> Self {
        let organization = organization.into();
        Self {
            superadmin_login: superadmin_login.into(),
            superadmin_name: "Cortex administrator".into(),
            superadmin_password,
            superadmin_key: None,
            organization_description: format!("{organization} analysts"),
            organization,
            org_admin_login: org_admin_login.into(),
            org_admin_name: "Organisation administrator".into(),
            org_admin_password: None,
        }
    }

    /// Uses (or sets) this superadmin API key.
    #[must_use]
    pub fn superadmin_key(mut self, key: SecretString) -> Self {
        self.superadmin_key = Some(key);
        self
    }
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It created something.
    Created,
    /// It changed something that existed.
    Changed,
    /// Everything was already as planned.
    Unchanged,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Created => "created",
            Self::Changed => "changed",
            Self::Unchanged => "unchanged",
        })
    }
}

/// One step of the bootstrap and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `database`, `superadmin`, `organization`, `org-admin` or `org-admin-key`.
    pub name: &'static str,
    /// What it is about (a login, an organisation name).
    pub subject: String,
    /// What it did.
    pub outcome: Outcome,
}

/// The result of [`bootstrap`].
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The superadmin's key when this run created the superadmin (store it: it is the only
    /// way back in as superadmin without a browser).
    pub new_superadmin_key: Option<SecretString>,
    /// The organisation administrator's API key.
    pub org_admin_key: SecretString,
}

impl Bootstrapped {
    /// Whether any step changed the server.
    #[must_use]
    pub fn changed_anything(&self) -> bool {
        self.steps.iter().any(|s| s.outcome != Outcome::Unchanged)
    }
}

/// Brings a Cortex from any state (fresh, half-done, done) to the plan's, through `cortex`, a
/// client that may have no credentials (its TLS and timeout settings are kept).
///
/// # Errors
/// [`Error::InvalidInput`] when Cortex already has users and the plan has no superadmin key;
/// any error of the requests, with Cortex's message.
pub async fn bootstrap(cortex: &Cortex, plan: &BootstrapPlan) -> Result<Bootstrapped> {
    let mut steps = Vec::new();
    let mut step = |name, subject: &str, outcome| {
        tracing::info!(step = name, subject, %outcome, "cortex bootstrap");
        steps.push(Step {
            name,
            subject: subject.to_owned(),
            outcome,
        });
    };
    let anonymous = Cortex::from_http(cortex.http().with_auth(soc_http::Auth::None)?);

    // 1. The database.
    let db = if database_exists(&anonymous).await? {
        Outcome::Unchanged
    } else {
        anonymous.platform().migrate().await?;
        Outcome::Created
    };
    step("database", "index", db);

    // 2. The superadmin, while anonymous requests still act as the initial user.
    let mut new_superadmin_key = None;
    let superadmin_key = if no_user_yet(&anonymous).await? {
        let key = match plan.superadmin_key.clone() {
            Some(k) => k,
            None => generate_key()?,
        };
        create_superadmin(&anonymous, plan, &key).await?;
        new_superadmin_key = Some(key.clone());
        step("superadmin", &plan.superadmin_login, Outcome::Created);
        key
    } else {
        let key = plan.superadmin_key.clone().ok_or_else(|| {
            Error::InvalidInput(
                "cortex already has users: the plan needs the superadmin API key to continue"
                    .into(),
            )
        })?;
        step("superadmin", &plan.superadmin_login, Outcome::Unchanged);
        key
    };
    let admin = anonymous.with_api_key(superadmin_key)?;

    // 3. The organisation.
    let org = ensure_organization(&admin, plan).await?;
    step("organization", &plan.organization, org);

    // 4. Its administrator.
    let user = ensure_org_admin(&admin, plan).await?;
    step("org-admin", &plan.org_admin_login, user);

    // 5. Its key.
    let (org_admin_key, key) = match admin.users().key(&plan.org_admin_login).await {
        Ok(k) => (k, Outcome::Unchanged),
        Err(e) if has_no_key(&e) => (
            admin.users().renew_key(&plan.org_admin_login).await?,
            Outcome::Created,
        ),
        Err(e) => return Err(e),
    };
    step("org-admin-key", &plan.org_admin_login, key);

    Ok(Bootstrapped {
        steps,
        new_superadmin_key,
        org_admin_key,
    })
}

/// `POST /api/login` answers 520 while the database does not exist, 401 for a wrong login
/// once it does.
async fn database_exists(anonymous: &Cortex) -> Result<bool> {
    let probe = generate_key()?;
    match anonymous
        .platform()
        .login("soc-bootstrap-probe", &probe)
        .await
    {
        Err(Error::NotInitialized { .. }) => Ok(false),
        Err(e) if e.is_unauthenticated() => Ok(true),
        Err(e) => Err(e),
        Ok(_) => Ok(true),
    }
}

/// Anonymous requests succeed (as the initial user) only while no user exists.
async fn no_user_yet(anonymous: &Cortex) -> Result<bool> {
    match anonymous.organizations().get("cortex").await {
        Ok(_) => Ok(true),
        Err(e) if e.is_unauthenticated() => Ok(false),
        Err(e) => Err(e),
    }
}

async fn create_superadmin(
    anonymous: &Cortex,
    plan: &BootstrapPlan,
    key: &SecretString,
) -> Result<()> {
    #[derive(serde::Serialize)]
    struct NewSuperadmin<'a> {
        login: &'a str,
        name: &'a str,
        roles: [&'static str; 1],
        organization: &'static str,
        #[serde(serialize_with = "soc_http::serialize_secret")]
        password: &'a SecretString,
        #[serde(serialize_with = "soc_http::serialize_secret")]
        key: &'a SecretString,
    }
    let body = NewSuperadmin {
        login: &plan.superadmin_login,
        name: &plan.superadmin_name,
        roles: ["superadmin"],
        organization: "cortex",
        password: &plan.superadmin_password,
        key,
    };
    let _: Value =
        crate::client::decode(anonymous.request(Method::POST, &["user"]).json_body(&body)).await?;
    Ok(())
}

async fn ensure_organization(admin: &Cortex, plan: &BootstrapPlan) -> Result<Outcome> {
    match admin.organizations().get(&plan.organization).await {
        Ok(org) if org.status == "Active" => Ok(Outcome::Unchanged),
        Ok(_) => {
            admin
                .organizations()
                .update(&plan.organization, &json!({ "status": "Active" }))
                .await?;
            Ok(Outcome::Changed)
        }
        Err(e) if e.is_not_found() => {
            let org = InputOrganization::new(&plan.organization, &plan.organization_description);
            admin.organizations().create(&org).await?;
            Ok(Outcome::Created)
        }
        Err(e) => Err(e),
    }
}

async fn ensure_org_admin(admin: &Cortex, plan: &BootstrapPlan) -> Result<Outcome> {
    match admin.users().get(&plan.org_admin_login).await {
        Ok(u) if u.organization != plan.organization => Err(Error::InvalidInput(format!(
            "user {} exists in organisation {}, not {}",
            plan.org_admin_login, u.organization, plan.organization
        ))),
        Ok(u) if u.is_locked() => {
            admin.users().unlock(&plan.org_admin_login).await?;
            Ok(Outcome::Changed)
        }
        Ok(_) => Ok(Outcome::Unchanged),
        Err(e) if e.is_not_found() => {
            let user = InputUser::new(
                &plan.org_admin_login,
                &plan.org_admin_name,
                ["read", "analyze", "orgadmin"],
            )
            .organization(&plan.organization);
            admin.users().create(&user).await?;
            if let Some(pw) = &plan.org_admin_password {
                admin
                    .users()
                    .set_password(&plan.org_admin_login, pw)
                    .await?;
            }
            Ok(Outcome::Created)
        }
        Err(e) => Err(e),
    }
}

/// Cortex answers 400 "User X hasn't key" when a user has no API key.
fn has_no_key(e: &Error) -> bool {
    matches!(e, Error::Api { message, .. } if message.contains("hasn't key"))
}

/// A new random API key: 40 characters from `[A-Za-z0-9]`, from the operating system's
/// random source.
///
/// # Errors
/// [`Error::InvalidInput`] when the operating system offers no random source.
pub fn generate_key() -> Result<SecretString> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(40);
    while out.len() < 40 {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf)
            .map_err(|e| Error::InvalidInput(format!("no random source to make a key: {e}")))?;
        // Rejection sampling keeps every character equally likely (248 = 4 * 62).
        for b in buf {
            if b < 248 && out.len() < 40 {
                out.push(char::from(ALPHABET[usize::from(b) % 62]));
            }
        }
    }
    Ok(SecretString::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_http::ExposeSecret;

    #[test]
    fn generated_keys_are_long_random_and_alphanumeric() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_eq!(a.expose_secret().len(), 40);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
