//! Paged streams read `X-Total` and stop at the end.

use futures_util::TryStreamExt;
use serde_json::{json, Value};
use thehive_client::model::Alert;
use thehive_client::query::{Filter, Query, Search};
use wiremock::matchers::query_param;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::support::{fixture_json, given, hive, server, ExactQuery};

/// Answers a page of `total` alerts, reading `from`/`to` from the page operation.
struct AlertPages {
    total: u64,
}

impl Respond for AlertPages {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let ops = body["query"].as_array().unwrap();
        let page = ops.last().unwrap();
        assert_eq!(page["_name"], "page");
        assert_eq!(page["extraData"], json!(["total"]));
        assert_eq!(
            ops[1]["_name"], "filter",
            "the filter travels with every page"
        );
        let (from, to) = (page["from"].as_u64().unwrap(), page["to"].as_u64().unwrap());
        let template = fixture_json("alert.json");
        let items: Vec<Value> = (from..to.min(self.total))
            .map(|i| {
                let mut a = template.clone();
                a["_id"] = json!(format!("~{i}"));
                a
            })
            .collect();
        ResponseTemplate::new(200)
            .insert_header("X-Total", self.total.to_string().as_str())
            .set_body_json(items)
    }
}

#[tokio::test]
async fn stream_walks_every_page_once() {
    let s = server().await;
    given("POST", "/api/v1/query")
        .and(query_param("name", "alerts"))
        .respond_with(AlertPages { total: 5 })
        .expect(3)
        .mount(&s)
        .await;
    let h = hive(&s);
    let search = Search::new().filter(Filter::eq("stage", "New"));
    let all: Vec<Alert> = h.alerts().stream(&search, 2).try_collect().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|a| a.meta.id.as_str()).collect();
    assert_eq!(ids, ["~0", "~1", "~2", "~3", "~4"]);
    let pages: Vec<Value> = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let expected = |from: u64, to: u64| {
        json!({"query": [
            {"_name": "listAlert"},
            {"_name": "filter", "_eq": {"_field": "stage", "_value": "New"}},
            {"_name": "sort", "_fields": [{"_createdAt": "asc"}]},
            {"_name": "page", "from": from, "to": to, "extraData": ["total"]}
        ]})
    };
    assert_eq!(pages, [expected(0, 2), expected(2, 4), expected(4, 6)]);
}

#[tokio::test]
async fn page_reports_total_and_next() {
    let s = server().await;
    given("POST", "/api/v1/query")
        .and(ExactQuery(Vec::new()))
        .respond_with(AlertPages { total: 3 })
        .expect(2)
        .mount(&s)
        .await;
    let h = hive(&s);
    let q = Query::new("listAlert").filter(Filter::any());
    let first = h.query().page::<Alert>(&q, 0, 2).await.unwrap();
    assert_eq!(
        (first.items.len(), first.total, first.next),
        (2, Some(3), Some(2))
    );
    let last = h.query().page::<Alert>(&q, 2, 4).await.unwrap();
    assert_eq!(
        (last.items.len(), last.total, last.next),
        (1, Some(3), None)
    );
    assert!(
        h.query().page::<Alert>(&q, 4, 4).await.is_err(),
        "an empty page is refused before sending"
    );
}
