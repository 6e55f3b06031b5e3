//! First-run bootstrap: a fresh Cortex gets every step done; a bootstrapped one is left alone.

use cortex_client::bootstrap::{bootstrap, BootstrapPlan, Outcome};
use cortex_client::{Error, SecretString};
use serde_json::{json, Value};
use soc_http::ExposeSecret;
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::support::{anonymous, anonymous_cortex, fixture, server, EmptyBody, JsonBody};

const SUPERADMIN_KEY: &str = "sa-SECRET-0123456789abcdef0123456789abcdef";

fn plan() -> BootstrapPlan {
    let mut p = BootstrapPlan::new(
        "admin@soc.example",
        SecretString::from("admin-pw".to_owned()),
        "soc-example",
        "socadmin@soc.example",
    );
    p.org_admin_password = Some(SecretString::from("orgadmin-pw".to_owned()));
    p
}

/// A mock pinning the superadmin's key.
fn as_superadmin(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("/cortex{p}")))
        .and(header(
            "authorization",
            format!("Bearer {SUPERADMIN_KEY}").as_str(),
        ))
}

fn json_reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn fixture_reply(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

/// The superadmin creation body: the plan's fields and a key of 40 random characters.
struct NewSuperadmin;

impl Match for NewSuperadmin {
    fn matches(&self, r: &Request) -> bool {
        let Ok(b) = serde_json::from_slice::<Value>(&r.body) else {
            return false;
        };
        let key_ok = b["key"]
            .as_str()
            .is_some_and(|k| k.len() == 40 && k.chars().all(|c| c.is_ascii_alphanumeric()));
        b["login"] == "admin@soc.example"
            && b["roles"] == json!(["superadmin"])
            && b["organization"] == "cortex"
            && b["password"] == "admin-pw"
            && key_ok
            && b.as_object().is_some_and(|o| o.len() == 6)
    }
}

/// The login probe: a throw-away login and a random password.
struct Probe;

impl Match for Probe {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| {
            b["user"] == "soc-bootstrap-probe"
                && b["password"].as_str().is_some_and(|p| p.len() == 40)
        })
    }
}

async fn mount(s: &MockServer, m: wiremock::MockBuilder, reply: ResponseTemplate) {
    m.respond_with(reply).expect(1).mount(s).await;
}

#[tokio::test]
async fn a_fresh_cortex_gets_every_step() {
    let s = server().await;
    mount(
        &s,
        anonymous("POST", "/api/login").and(Probe),
        ResponseTemplate::new(520),
    )
    .await;
    mount(
        &s,
        anonymous("POST", "/api/maintenance/migrate").and(JsonBody(json!({}))),
        ResponseTemplate::new(204),
    )
    .await;
    let cortex_org = json!({"_id": "cortex", "_type": "organization", "id": "cortex", "name": "cortex", "description": "Default organization", "status": "Active"});
    mount(
        &s,
        anonymous("GET", "/api/organization/cortex").and(EmptyBody),
        json_reply(200, cortex_org),
    )
    .await;
    mount(
        &s,
        anonymous("POST", "/api/user").and(NewSuperadmin),
        fixture_reply(201, "user.json"),
    )
    .await;
    // Without a key in the plan the new superadmin's key is random: accept any bearer for the
    // rest, and check it is the one that was created.
    let rest = |verb: &str, p: &str| {
        Mock::given(method(verb))
            .and(path(format!("/cortex{p}")))
            .and(crate::support::HasBearer)
    };
    mount(
        &s,
        rest("GET", "/api/organization/soc-example"),
        json_reply(
            404,
            json!({"type": "NotFoundError", "message": "organization soc-example not found"}),
        ),
    )
    .await;
    mount(
        &s,
        rest("POST", "/api/organization").and(JsonBody(json!({"name": "soc-example", "description": "soc-example analysts", "status": "Active"}))),
        fixture_reply(201, "organization.json"),
    )
    .await;
    mount(
        &s,
        rest("GET", "/api/user/socadmin@soc.example"),
        json_reply(
            404,
            json!({"type": "NotFoundError", "message": "user socadmin@soc.example not found"}),
        ),
    )
    .await;
    mount(
        &s,
        rest("POST", "/api/user").and(JsonBody(json!({"login": "socadmin@soc.example", "name": "Organisation administrator", "roles": ["read", "analyze", "orgadmin"], "organization": "soc-example"}))),
        fixture_reply(201, "user.json"),
    )
    .await;
    mount(
        &s,
        rest("POST", "/api/user/socadmin@soc.example/password/set")
            .and(JsonBody(json!({"password": "orgadmin-pw"}))),
        ResponseTemplate::new(204),
    )
    .await;
    mount(
        &s,
        rest("GET", "/api/user/socadmin@soc.example/key"),
        json_reply(
            400,
            json!({"type": "BadRequest", "message": "User socadmin@soc.example hasn't key"}),
        ),
    )
    .await;
    mount(
        &s,
        rest("POST", "/api/user/socadmin@soc.example/key/renew"),
        ResponseTemplate::new(200).set_body_raw("OrgAdminKey0123456789abcdefghijkl", "text/plain"),
    )
    .await;

    let done = bootstrap(&anonymous_cortex(&s), &plan()).await.unwrap();
    let outcomes: Vec<(&str, Outcome)> =
        done.steps.iter().map(|st| (st.name, st.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("database", Outcome::Created),
            ("superadmin", Outcome::Created),
            ("organization", Outcome::Created),
            ("org-admin", Outcome::Created),
            ("org-admin-key", Outcome::Created),
        ]
    );
    assert_eq!(
        done.org_admin_key.expose_secret(),
        "OrgAdminKey0123456789abcdefghijkl"
    );
    let sa = done
        .new_superadmin_key
        .expect("the new superadmin's key is returned");
    // Every authenticated request used the key the superadmin was created with.
    let created: Value = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.url.path() == "/cortex/api/user" && !r.headers.contains_key("authorization"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    assert_eq!(created["key"], sa.expose_secret());
    for r in s.received_requests().await.unwrap() {
        if let Some(auth) = r.headers.get("authorization") {
            assert_eq!(
                auth.to_str().unwrap(),
                format!("Bearer {}", sa.expose_secret())
            );
        }
    }
}

#[tokio::test]
async fn a_bootstrapped_cortex_is_left_alone() {
    let s = server().await;
    mount(
        &s,
        anonymous("POST", "/api/login").and(Probe),
        fixture_reply(401, "error_401.json"),
    )
    .await;
    mount(
        &s,
        anonymous("GET", "/api/organization/cortex"),
        fixture_reply(401, "error_401.json"),
    )
    .await;
    mount(
        &s,
        as_superadmin("GET", "/api/organization/soc-example").and(EmptyBody),
        fixture_reply(200, "organization.json"),
    )
    .await;
    let mut admin = serde_json::from_str::<Value>(&fixture("user.json")).unwrap();
    admin["_id"] = json!("socadmin@soc.example");
    mount(
        &s,
        as_superadmin("GET", "/api/user/socadmin@soc.example"),
        json_reply(200, admin),
    )
    .await;
    mount(
        &s,
        as_superadmin("GET", "/api/user/socadmin@soc.example/key"),
        ResponseTemplate::new(200).set_body_raw("ExistingKey0123456789abcdefghijkl", "text/plain"),
    )
    .await;

    let p = plan().superadmin_key(SecretString::from(SUPERADMIN_KEY.to_owned()));
    let done = bootstrap(&anonymous_cortex(&s), &p).await.unwrap();
    assert!(
        done.steps.iter().all(|st| st.outcome == Outcome::Unchanged),
        "{:?}",
        done.steps
    );
    assert!(!done.changed_anything());
    assert!(done.new_superadmin_key.is_none());
    assert_eq!(
        done.org_admin_key.expose_secret(),
        "ExistingKey0123456789abcdefghijkl"
    );
    // The catch-all fails the test on any write.
}

#[tokio::test]
async fn users_exist_but_no_superadmin_key_is_a_clear_error() {
    let s = server().await;
    mount(
        &s,
        anonymous("POST", "/api/login").and(Probe),
        fixture_reply(401, "error_401.json"),
    )
    .await;
    mount(
        &s,
        anonymous("GET", "/api/organization/cortex"),
        fixture_reply(401, "error_401.json"),
    )
    .await;
    let e = bootstrap(&anonymous_cortex(&s), &plan()).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(m) if m.contains("superadmin API key")),
        "{e:?}"
    );
}
