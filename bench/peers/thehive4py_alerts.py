#!/usr/bin/env python3
"""The peer of `cargo xtask bench thehive-create-alert`: thehive4py creating alerts against the
same loopback responder, one at a time or with threads in flight.

usage: thehive4py_alerts.py URL --requests N --concurrency C
Prints one JSON line: seconds (wall), cpu_seconds (the process's CPU time).
"""
import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from thehive4py import TheHiveApi


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--concurrency", type=int, default=1)
    a = p.parse_args()
    api = TheHiveApi(url=a.url, apikey="bench-key-0123456789")

    def create(i):
        return api.alert.create(alert={
            "type": "edr", "source": "bench", "sourceRef": f"det-{i}", "title": "Macro dropper",
            "description": "Word spawned PowerShell", "severity": 3, "tags": ["phishing"],
            "observables": [{"dataType": "ip", "data": "203.0.113.7", "ioc": True}],
        })

    wall0, cpu0 = time.perf_counter(), time.process_time()
    if a.concurrency <= 1:
        for i in range(a.requests):
            create(i)
    else:
        with ThreadPoolExecutor(a.concurrency) as pool:
            for _ in pool.map(create, range(a.requests)):
                pass
    print(json.dumps({"seconds": time.perf_counter() - wall0, "cpu_seconds": time.process_time() - cpu0}))


if __name__ == "__main__":
    main()
