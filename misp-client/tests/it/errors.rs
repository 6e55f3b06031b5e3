//! MISP's failures, each turned into an error that says what went wrong and where.

use futures_util::TryStreamExt;
use misp_client::search::SearchFilter;
use misp_client::Error;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{fixture, misp, server, API_KEY};

fn json_reply(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

#[tokio::test]
async fn a_refused_key_is_bad_key_and_never_shows_the_key() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/events/view/1042"))
        .and(header("authorization", API_KEY))
        .respond_with(json_reply(403, "error_403_auth.json"))
        .mount(&s)
        .await;
    let e = misp(&s).events().get("1042").await.unwrap_err();
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.status(), Some(403));
    let shown = format!("{e} {e:?} {:?}", misp(&s));
    assert!(shown.contains("Authentication failed"), "{shown}");
    assert!(!shown.contains(API_KEY), "the key leaked: {shown}");
}

#[tokio::test]
async fn a_validation_failure_keeps_every_field_error() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/misp/attributes/add/12"))
        .respond_with(json_reply(403, "error_403_save_fail.json"))
        .mount(&s)
        .await;
    let a = misp_client::model::NewAttribute::new("ip-dst", "198.51.100.7");
    let e = misp(&s).attributes().add("12", &a).await.unwrap_err();
    let Error::SaveFailed { name, errors, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(name, "Could not add Attribute");
    assert_eq!(
        errors["value"][0],
        "A similar attribute already exists for this event."
    );
    assert!(e.to_string().contains("Could not add Attribute"));
}

#[tokio::test]
async fn a_rejected_setting_says_why() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/misp/servers/serverSettingsEdit/MISP.redis_port"))
        .respond_with(json_reply(403, "server_setting_edit_fail.json"))
        .mount(&s)
        .await;
    let e = misp(&s)
        .admin()
        .set_setting("MISP.redis_port", "abc", false)
        .await
        .unwrap_err();
    let Error::SaveFailed { errors, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(errors, &json!("Setting MISP.redis_port must be numeric."));
}

#[tokio::test]
async fn a_missing_entity_is_not_found_with_misps_message() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/events/view/999999"))
        .respond_with(json_reply(404, "error_404.json"))
        .mount(&s)
        .await;
    let e = misp(&s).events().get("999999").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let Error::Api { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(message, "Invalid event");
}

#[tokio::test]
async fn exists_is_a_head_request() {
    let s = server().await;
    Mock::given(method("HEAD"))
        .and(path("/misp/events/view/12"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/misp/events/view/13"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&s)
        .await;
    let m = misp(&s);
    assert!(m.events().exists("12").await.unwrap());
    assert!(!m.events().exists("13").await.unwrap());
}

#[tokio::test]
async fn an_html_error_page_names_the_url_and_status() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/servers/getVersion"))
        .respond_with(
            ResponseTemplate::new(500).set_body_raw(fixture("error_html_500.html"), "text/html"),
        )
        .mount(&s)
        .await;
    let e = misp(&s).admin().version().await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    let shown = e.to_string();
    assert!(
        shown.contains("/misp/servers/getVersion") && shown.contains("500"),
        "{shown}"
    );
}

#[tokio::test]
async fn php_notices_before_the_json_are_skipped() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/servers/getVersion"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("php_notice_json.txt"), "application/json"),
        )
        .mount(&s)
        .await;
    let v = misp(&s).admin().version().await.unwrap();
    assert!(v.get("version").is_some(), "{v}");
}

#[tokio::test]
async fn an_empty_body_is_an_error_naming_the_request() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/servers/getVersion"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let e = misp(&s).admin().version().await.unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("empty body") && shown.contains("/servers/getVersion"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_redacted_setting_is_its_own_error() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/misp/servers/getSetting/MISP.redis_password"))
        .respond_with(json_reply(403, "server_setting_redacted_403.json"))
        .mount(&s)
        .await;
    let e = misp(&s)
        .admin()
        .setting("MISP.redis_password")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Redacted { setting } if setting == "MISP.redis_password"),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_unbounded_search_is_refused_before_any_request() {
    let s = server().await;
    let e = match misp(&s).search().attributes(&SearchFilter::new()).await {
        Ok(_) => panic!("an unbounded search was sent"),
        Err(e) => e,
    };
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(s.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_search_error_is_mapped_like_any_other() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/misp/attributes/restSearch"))
        .respond_with(json_reply(403, "error_403_auth.json"))
        .mount(&s)
        .await;
    let f = SearchFilter::new().last("1d");
    let r = misp(&s).search().attributes(&f).await;
    let e = match r {
        Ok(stream) => stream.try_collect::<Vec<_>>().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
}

#[tokio::test]
async fn a_truncated_search_answer_is_an_error_not_a_short_list() {
    let s = server().await;
    let body = fixture("attributes_restsearch.json");
    let cut = &body[..body.len() / 2];
    Mock::given(method("POST"))
        .and(path("/misp/attributes/restSearch"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cut.to_owned(), "application/json"))
        .mount(&s)
        .await;
    let f = SearchFilter::new().last("1d");
    let r: Result<Vec<_>, _> = misp(&s)
        .search()
        .attributes(&f)
        .await
        .unwrap()
        .try_collect()
        .await;
    assert!(r.is_err(), "a cut answer must not look complete");
}
