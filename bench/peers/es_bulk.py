#!/usr/bin/env python3
"""elasticsearch-py's bulk helpers, timed: the peer of es-ops' bulk helper.

usage: es_bulk.py URL --docs N --mode streaming|parallel

Indexes N documents of about 150 bytes (the same documents the Rust side sends) and prints
one JSON line: {"mode", "docs", "seconds", "ok", "failed"}.
"""
import argparse
import json
import sys
import time

from elasticsearch import Elasticsearch, helpers

PAD = "x" * 60


def actions(n):
    for i in range(n):
        yield {
            "_op_type": "index",
            "_index": "bench",
            "_id": f"d{i}",
            "_source": {
                "@timestamp": "2026-01-01T00:00:00Z",
                "host": f"host-{i % 17:02d}",
                "level": "info",
                "n": i,
                "msg": f"event {i:08d} {PAD}",
            },
        }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--docs", type=int, default=1_000_000)
    p.add_argument("--mode", choices=["streaming", "parallel"], required=True)
    a = p.parse_args()
    es = Elasticsearch(a.url, request_timeout=120)
    ok = failed = 0
    t0 = time.perf_counter()
    if a.mode == "streaming":
        results = helpers.streaming_bulk(es, actions(a.docs), chunk_size=500, raise_on_error=False)
    else:
        results = helpers.parallel_bulk(es, actions(a.docs), chunk_size=500, thread_count=4, raise_on_error=False)
    for success, _ in results:
        if success:
            ok += 1
        else:
            failed += 1
    seconds = time.perf_counter() - t0
    print(json.dumps({"mode": a.mode, "docs": a.docs, "seconds": seconds, "ok": ok, "failed": failed}))
    return 0 if ok == a.docs else 1


if __name__ == "__main__":
    sys.exit(main())
