#!/usr/bin/env python3
"""The peer of `cargo xtask bench misp-search`: PyMISP's attribute search against the same
local server, as a PyMISP user writes it (JSON, not pythonified: its fastest mode).

usage: pymisp_search.py URL KEY
Prints one JSON line: seconds (the search), attributes, peak_rss_kib (the process's peak).
"""
import json
import resource
import sys
import time
import warnings

warnings.simplefilter("ignore")

from pymisp import PyMISP  # noqa: E402


def main():
    url, key = sys.argv[1], sys.argv[2]
    misp = PyMISP(url, key, ssl=False, timeout=600)
    started = time.perf_counter()
    found = misp.search(controller="attributes", return_format="json", last="3650d", pythonify=False)
    seconds = time.perf_counter() - started
    attributes = found["Attribute"] if isinstance(found, dict) else found
    # Touch every attribute as a consumer would.
    size = sum(len(a["value"]) for a in attributes)
    assert size > 0
    print(json.dumps({
        "seconds": seconds,
        "attributes": len(attributes),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
