"""elasticsearch-py 8.19 against the lab's Elasticsearch: index, bulk, search, page, operate.

Reads LAB_ES_URL, LAB_ES_USER and LAB_ES_PASSWORD; exits non-zero on the first surprise.
"""

import os
import sys

from elasticsearch import ApiError, Elasticsearch, helpers

DOCS = 3000


def check(cond, message):
    if not cond:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    es = Elasticsearch(
        os.environ["LAB_ES_URL"],
        basic_auth=(os.environ["LAB_ES_USER"], os.environ["LAB_ES_PASSWORD"]),
        request_timeout=60,
    )
    bad = Elasticsearch(os.environ["LAB_ES_URL"], basic_auth=("elastic", "wrong"))
    try:
        bad.info()
        check(False, "a wrong password was accepted")
    except ApiError as e:
        check(e.meta.status == 401, f"wrong password gives 401, got {e.meta.status}")

    info = es.info()
    check(info["version"]["number"].startswith("8.19"), f"version 8.19, got {info['version']}")
    check(info["tagline"] == "You Know, for Search", "tagline")
    check(es.ping(), "ping answers")

    es.ilm.put_lifecycle(
        name="soc-logs-30d",
        policy={
            "phases": {
                "hot": {"actions": {"rollover": {"max_age": "1d"}}},
                "delete": {"min_age": "30d", "actions": {"delete": {}}},
            }
        },
    )
    pol = es.ilm.get_lifecycle(name="soc-logs-30d")
    check("delete" in pol["soc-logs-30d"]["policy"]["phases"], f"ILM policy reads back: {pol}")

    es.indices.put_index_template(
        name="soc-logs",
        index_patterns=["soc-logs-*"],
        priority=100,
        template={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0,
                         "index.lifecycle.name": "soc-logs-30d"},
            "mappings": {"properties": {
                "@timestamp": {"type": "date"},
                "host": {"type": "keyword"},
                "message": {"type": "text"},
                "severity": {"type": "integer"},
            }},
        },
    )
    check(es.indices.exists_index_template(name="soc-logs"), "index template exists")

    index = "soc-logs-2025.01.01"
    es.indices.create(index=index)
    try:
        es.indices.create(index=index)
        check(False, "creating an existing index succeeded")
    except ApiError as e:
        check(e.error == "resource_already_exists_exception", f"duplicate create: {e.error}")
    mapping = es.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    check(mapping["host"]["type"] == "keyword", f"template mapping applied: {mapping}")
    settings = es.indices.get_settings(index=index)[index]["settings"]["index"]
    check(settings["number_of_replicas"] == "0", f"template settings applied: {settings}")
    explain = es.ilm.explain_lifecycle(index=index)["indices"][index]
    check(explain["managed"] and explain["policy"] == "soc-logs-30d", f"ILM explain: {explain}")

    hosts = ["web-01", "web-02", "db-01"]
    words = ["failed login", "accepted password", "connection reset", "malware detected"]

    def actions():
        for i in range(DOCS):
            yield {
                "_index": index,
                "_id": str(i),
                "_source": {
                    "@timestamp": f"2025-01-01T{i % 24:02d}:{i % 60:02d}:00Z",
                    "host": hosts[i % 3],
                    "message": f"{words[i % 4]} for user u{i % 50}",
                    "severity": i % 10,
                },
            }

    ok, errors = helpers.bulk(es, actions(), chunk_size=500)
    check(ok == DOCS and not errors, f"bulk indexed {ok} with errors {errors}")
    results = list(helpers.streaming_bulk(
        es,
        [{"_op_type": "create", "_index": index, "_id": "0", "_source": {"host": "x"}},
         {"_op_type": "update", "_index": index, "_id": "1", "doc": {"severity": 99}}],
        raise_on_error=False,
    ))
    check(not results[0][0] and results[0][1]["create"]["status"] == 409,
          f"create of an existing id conflicts: {results[0]}")
    check(results[1][0], f"partial update succeeds: {results[1]}")
    es.indices.refresh(index=index)

    count = es.count(index=index)["count"]
    check(count == DOCS, f"count {count} == {DOCS}")
    r = es.search(index=index, query={"term": {"host": "web-01"}}, size=5)
    check(r["hits"]["total"]["value"] == DOCS // 3, f"term total {r['hits']['total']}")
    check(len(r["hits"]["hits"]) == 5, "size 5")
    r = es.search(index=index, query={"match": {"message": "FAILED login"}}, track_total_hits=True)
    check(r["hits"]["total"]["value"] == DOCS // 4, f"match total {r['hits']['total']}")
    r = es.search(index=index, query={"match": {"message": {"query": "failed password", "operator": "and"}}})
    check(r["hits"]["total"]["value"] == 0, "match with operator and")
    r = es.search(index=index, query={"range": {"severity": {"gte": 8}}})
    check(r["hits"]["total"]["value"] == 601, f"range total (doc 1 updated to 99) {r['hits']['total']}")
    r = es.search(index="soc-logs-*", query={"bool": {
        "filter": [{"term": {"host": "db-01"}}],
        "must": [{"match": {"message": "malware"}}],
        "must_not": [{"range": {"severity": {"lt": 5}}}],
    }})
    check(all(h["_source"]["host"] == "db-01" and h["_source"]["severity"] >= 5
              for h in r["hits"]["hits"]) and r["hits"]["total"]["value"] > 0,
          f"bool query: {r['hits']['total']}")
    r = es.search(index=index, q='host:web-02 AND message:"connection reset"')
    check(r["hits"]["total"]["value"] > 0 and all(
        h["_source"]["host"] == "web-02" for h in r["hits"]["hits"]), "query_string")
    r = es.search(index=index, query={"range": {"@timestamp": {"gte": "2025-01-01T23:00:00Z"}}},
                  sort=[{"severity": "desc"}], size=3, _source=["host", "severity"])
    first = r["hits"]["hits"][0]
    check(first["_source"].keys() == {"host", "severity"}, f"_source filter: {first}")
    check(first["sort"][0] >= r["hits"]["hits"][-1]["sort"][0], "sorted descending")

    scanned = sum(1 for _ in helpers.scan(es, index=index, query={"query": {"match_all": {}}}, size=700))
    check(scanned == DOCS, f"scan read {scanned} of {DOCS}")

    doc = es.get(index=index, id="1")
    check(doc["_source"]["severity"] == 99 and doc["_version"] == 2, f"get after update: {doc}")
    es.delete(index=index, id="1")
    check(not es.exists(index=index, id="1"), "deleted document is gone")

    cat = es.cat.indices(index="soc-logs-*", format="json")
    check(cat[0]["index"] == index and cat[0]["docs.count"] == str(DOCS - 1), f"cat indices: {cat}")
    text = es.cat.indices(v=True)
    check("health" in text and index in text, f"cat text: {text}")
    health = es.cluster.health(wait_for_status="green", timeout="5s")
    check(health["status"] == "green", f"cluster green with replicas 0: {health}")
    es.indices.create(index="replicated", settings={"number_of_replicas": 1})
    health = es.cluster.health()
    check(health["status"] == "yellow" and health["unassigned_shards"] == 1, f"yellow: {health}")
    why = es.cluster.allocation_explain()
    check(why["node_allocation_decisions"][0]["deciders"][0]["decider"] == "same_shard",
          f"allocation explain: {why}")
    jvm = es.nodes.stats(metric="jvm")
    node = next(iter(jvm["nodes"].values()))
    check(0 < node["jvm"]["mem"]["heap_used_percent"] < 100, "heap percent")

    es.snapshot.create_repository(name="s3-backups", repository={
        "type": "s3", "settings": {"bucket": "es-snapshots", "endpoint": "127.0.0.1:9000"}})
    repo = es.snapshot.get_repository(name="s3-backups")
    check(repo["s3-backups"]["type"] == "s3", f"repository reads back: {repo}")
    check(es.snapshot.verify_repository(name="s3-backups")["nodes"], "repository verifies")

    try:
        es.indices.delete(index="soc-logs-*")
        check(False, "a wildcard delete was accepted")
    except ApiError as e:
        check(e.meta.status == 400 and "Wildcard expressions" in str(e.info),
              f"wildcard delete refused: {e}")
    try:
        es.indices.get(index="nope")
        check(False, "a missing index was found")
    except ApiError as e:
        check(e.error == "index_not_found_exception", f"missing index: {e.error}")
    es.indices.delete(index=index)
    check(not es.indices.exists(index=index), "index deleted by name")

    print(f"elasticsearch-py OK: {DOCS} docs bulked, searched (term/match/range/bool/query_string), "
          f"scanned, cat/health/ILM/template/snapshot repo checked, wildcard delete refused")


if __name__ == "__main__":
    main()
