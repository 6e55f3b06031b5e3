//! misp-modules: error mapping against a mock, and the real server when `MISP_MODULES_URL`
//! is set (`cargo xtask ci` starts one).

use misp_client::modules::MispModules;
use misp_client::Error;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{fixture, server};

/// misp-modules labels its JSON `text/html`.
fn html_json(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "text/html; charset=UTF-8")
}

#[tokio::test]
async fn a_module_error_sent_as_200_is_an_error() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/query"))
        .and(body_json(json!({"module": "eql", "domain": "example.com"})))
        .respond_with(html_json("misp_modules_error.json"))
        .expect(1)
        .mount(&s)
        .await;
    let mm = MispModules::new(&s.uri()).unwrap();
    let e = mm
        .expand("eql", "domain", "example.com", None)
        .await
        .unwrap_err();
    let Error::Module { module, message } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(module, "eql");
    assert!(message.contains("Something went wrong"));
}

#[tokio::test]
async fn the_module_list_parses_from_its_html_labelled_json() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/modules"))
        .respond_with(html_json("misp_modules_list.json"))
        .mount(&s)
        .await;
    let l = MispModules::new(&s.uri()).unwrap().list().await.unwrap();
    assert_eq!(l.len(), 3);
    assert!(l
        .iter()
        .any(misp_client::modules::ModuleInfo::is_misp_standard));
}

#[tokio::test]
async fn results_are_unwrapped() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/query"))
        .respond_with(html_json("misp_modules_query_legacy.json"))
        .mount(&s)
        .await;
    let r = MispModules::new(&s.uri())
        .unwrap()
        .expand("eql", "ip-src", "8.8.8.8", None)
        .await
        .unwrap();
    assert!(r.is_array(), "{r}");
}

#[tokio::test]
async fn a_query_without_a_module_is_refused_before_sending() {
    let s = server().await;
    let e = MispModules::new(&s.uri())
        .unwrap()
        .query(&json!({"ip-src": "8.8.8.8"}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(s.received_requests().await.unwrap().is_empty());
}

/// The real server, when one is running.
fn real() -> Option<MispModules> {
    match std::env::var("MISP_MODULES_URL") {
        Ok(url) if !url.is_empty() => Some(MispModules::new(&url).unwrap()),
        _ => {
            eprintln!(
                "MISP_MODULES_URL is not set: skipping the tests against a real misp-modules"
            );
            None
        }
    }
}

#[tokio::test]
async fn real_server_is_healthy_and_lists_modules() {
    let Some(mm) = real() else { return };
    assert!(mm.healthy().await.unwrap());
    assert!(!mm.version().await.unwrap().is_empty());
    let l = mm.list().await.unwrap();
    assert!(l.len() > 50, "only {} modules", l.len());
    let eql = l
        .iter()
        .find(|m| m.name == "eql")
        .expect("eql is a core module");
    assert_eq!(eql.kind, "expansion");
}

#[tokio::test]
async fn real_legacy_expansion() {
    let Some(mm) = real() else { return };
    let r = mm
        .expand("eql", "ip-src", "198.51.100.7", None)
        .await
        .unwrap();
    let text = r.to_string();
    assert!(
        text.contains("source_address == \\\"198.51.100.7\\\""),
        "{text}"
    );
}

#[tokio::test]
async fn real_standard_expansion_builds_an_object() {
    let Some(mm) = real() else { return };
    let attribute = json!({
        "type": "url",
        "value": "https://login.example.test:8443/auth/index.php?next=%2Fhome#top",
        "uuid": "5f0a1a0e-1c1d-4a0b-9c59-4f4a0a0a0a0a"
    });
    let r = mm
        .expand_attribute("extract_url_components", &attribute, None)
        .await
        .unwrap();
    let objects = r["Object"].as_array().unwrap_or_else(|| panic!("{r}"));
    let text = objects[0].to_string();
    assert!(
        text.contains("login.example.test") && text.contains("8443"),
        "{text}"
    );
}

#[tokio::test]
async fn real_module_errors_are_errors() {
    let Some(mm) = real() else { return };
    let e = mm
        .expand("eql", "domain", "example.com", None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Module { .. }), "{e:?}");
}
