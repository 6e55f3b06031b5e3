//! Version detection, media types per server, operations a server lacks, and error shapes.

use es_ops::{Error, Es, Flavor, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{client_for, fixture, info, BASIC, PASSWORD};

#[test]
fn compatibility_media_type_only_where_accepted() {
    assert_eq!(
        info("root_es7.json").compat_major(),
        None,
        "7.x answers 406 to it"
    );
    assert_eq!(info("root_es8.json").compat_major(), Some(8));
    assert_eq!(info("root_es9.json").compat_major(), Some(9));
    assert_eq!(
        info("root_opensearch2.json").compat_major(),
        None,
        "OpenSearch rejects vendor types"
    );
    assert_eq!(info("root_opensearch2.json").flavor(), Flavor::OpenSearch);
    assert!(info("root_es7.json").wildcard_delete_allowed_by_default());
    assert!(!info("root_es8.json").wildcard_delete_allowed_by_default());
}

#[tokio::test]
async fn the_server_is_read_once() {
    let s = soc_testkit::server().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("root_es9.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/_cluster/settings"))
        .and(header(
            "accept",
            "application/vnd.elasticsearch+json; compatible-with=9",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("cluster_settings.json"), "application/json"),
        )
        .expect(2)
        .mount(&s)
        .await;
    let es = Es::builder(&s.uri())
        .unwrap()
        .basic("soc-ops", PASSWORD.to_owned())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    es.cluster().settings().await.unwrap();
    es.clone().cluster().settings().await.unwrap();
    assert_eq!(es.info().await.unwrap().major(), 9);
}

#[tokio::test]
async fn operations_a_server_lacks_fail_before_any_request() {
    let s = soc_testkit::server().await;
    let os = client_for(&s.uri(), "root_opensearch2.json");
    let e = os.lifecycle().ilm_policies("x").await.unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { operation: "ILM", server } if server == "OpenSearch 2.19.3"),
        "{e:?}"
    );
    assert!(matches!(
        os.security().create_api_key("k", None, None).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        os.lifecycle().put_slm_policy("p", &json!({})).await,
        Err(Error::Unsupported { .. })
    ));
    let es = client_for(&s.uri(), "root_es8.json");
    assert!(matches!(
        es.lifecycle().ism_policy("p").await,
        Err(Error::Unsupported {
            operation: "ISM",
            ..
        })
    ));
}

#[tokio::test]
async fn error_bodies_become_typed_errors() {
    let s = soc_testkit::server().await;
    Mock::given(method("GET"))
        .and(path("/missing/_mapping"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(fixture("error_404_index.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/old/_mapping"))
        .respond_with(
            ResponseTemplate::new(406)
                .set_body_raw(fixture("error_406_compat.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let es = client_for(&s.uri(), "root_es8.json");
    let e = es.indices().mapping("missing").await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.es_type(), Some("index_not_found_exception"));
    assert!(
        e.to_string()
            .starts_with("index_not_found_exception: no such index"),
        "{e}"
    );
    let e = es.indices().mapping("old").await.unwrap_err();
    assert_eq!(e.status(), Some(406));
    assert!(e.to_string().contains("compatible-with"), "{e}");
    assert!(!format!("{e:?}").contains(PASSWORD));
}
