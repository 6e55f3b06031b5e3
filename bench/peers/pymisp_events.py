#!/usr/bin/env python3
"""The peer of `cargo xtask bench misp-get-event`: PyMISP reading an event against the same
loopback responder, one at a time or with threads in flight (JSON, not pythonified).

usage: pymisp_events.py URL --requests N --concurrency C
Prints one JSON line: seconds (wall), cpu_seconds (the process's CPU time).
"""
import argparse
import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

warnings.simplefilter("ignore")

from pymisp import PyMISP  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--concurrency", type=int, default=1)
    a = p.parse_args()
    misp = PyMISP(a.url, "BenchKey0123456789abcdefghijklmnopqrstuv", ssl=False, timeout=60)

    def get(_):
        return misp.get_event(1042, pythonify=False)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    if a.concurrency <= 1:
        for i in range(a.requests):
            get(i)
    else:
        with ThreadPoolExecutor(a.concurrency) as pool:
            for _ in pool.map(get, range(a.requests)):
                pass
    print(json.dumps({"seconds": time.perf_counter() - wall0, "cpu_seconds": time.process_time() - cpu0}))


if __name__ == "__main__":
    main()
