//! restSearch: streamed answers, paging and exports.

use futures_util::TryStreamExt;
use misp_client::search::{Controller, SearchFilter, Terms};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{fixture_json, misp, server};

fn attributes(n: usize, from: usize) -> Value {
    let a = fixture_json("attribute.json")["Attribute"].clone();
    let items: Vec<Value> = (from..from + n)
        .map(|i| {
            let mut x = a.clone();
            x["id"] = json!(i.to_string());
            x["value"] = json!(format!("198.51.100.{}", i % 250));
            x
        })
        .collect();
    json!({"response": {"Attribute": items}})
}

#[tokio::test]
async fn a_large_answer_streams_every_item_in_order() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/misp/attributes/restSearch"))
        .and(body_json(
            json!({"type": {"AND": ["ip-dst"]}, "last": "30d", "returnFormat": "json"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(attributes(5000, 0)))
        .expect(1)
        .mount(&s)
        .await;
    let f = SearchFilter::new()
        .types(Terms::all(["ip-dst"]))
        .last("30d");
    let got: Vec<_> = misp(&s)
        .search()
        .attributes(&f)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 5000);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, a)| usize::try_from(a.id).ok() == Some(i)));
}

#[tokio::test]
async fn an_empty_answer_is_an_empty_stream() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/misp/attributes/restSearch"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("attributes_restsearch_empty.json")),
        )
        .mount(&s)
        .await;
    let f = SearchFilter::new().param("value", "203.0.113.250");
    let got: Vec<_> = misp(&s)
        .search()
        .attributes(&f)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(got.is_empty());
}

#[tokio::test]
async fn paging_asks_until_a_short_page() {
    let s = server().await;
    for (page, n, from) in [(1, 100, 0), (2, 100, 100), (3, 42, 200)] {
        Mock::given(method("POST"))
            .and(path("/misp/attributes/restSearch"))
            .and(body_json(json!({"tags": {"OR": ["tlp:green"]}, "page": page, "limit": 100, "returnFormat": "json"})))
            .respond_with(ResponseTemplate::new(200).set_body_json(attributes(n, from)))
            .expect(1)
            .mount(&s)
            .await;
    }
    let f = SearchFilter::new().tags(Terms::any(["tlp:green"]));
    let got: Vec<_> = misp(&s)
        .search()
        .attributes_paged(f, 100)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 242);
}

#[tokio::test]
async fn paging_stops_at_the_result_count_without_an_empty_page() {
    let s = server().await;
    for (page, from) in [(1, 0), (2, 50)] {
        Mock::given(method("POST"))
            .and(path("/misp/attributes/restSearch"))
            .and(body_json(
                json!({"last": "1d", "page": page, "limit": 50, "returnFormat": "json"}),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("X-Result-Count", "100")
                    .set_body_json(attributes(50, from)),
            )
            .expect(1)
            .mount(&s)
            .await;
    }
    // No mock for page 3: the catch-all fails the test if it is asked for.
    let got: Vec<_> = misp(&s)
        .search()
        .attributes_paged(SearchFilter::new().last("1d"), 50)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 100);
}

#[tokio::test]
async fn an_export_is_the_servers_bytes() {
    let s = server().await;
    let csv = "uuid,event_id,category,type,value\n5f0a,12,Network activity,ip-dst,198.51.100.7\n";
    Mock::given(method("POST"))
        .and(path("/misp/attributes/restSearch"))
        .and(body_json(json!({"eventid": "12", "returnFormat": "csv"})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(csv, "text/csv"))
        .expect(1)
        .mount(&s)
        .await;
    let f = SearchFilter::new().param("eventid", "12");
    let chunks: Vec<_> = misp(&s)
        .search()
        .export(Controller::Attributes, &f, "csv")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.concat(), csv.as_bytes());
}

#[tokio::test]
async fn an_unknown_export_format_is_refused() {
    let s = server().await;
    let f = SearchFilter::new().param("eventid", "12");
    let r = misp(&s)
        .search()
        .export(Controller::Events, &f, "pdf")
        .await;
    assert!(r.is_err());
    assert!(s.received_requests().await.unwrap().is_empty());
}
