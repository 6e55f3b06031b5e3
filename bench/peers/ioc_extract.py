#!/usr/bin/env python3
"""The peers of `cargo xtask bench extract`: PyPI indicator extractors on the same corpus.

usage: ioc_extract.py TOOL FILE   (TOOL: iocextract or ioc-finder)
Reads FILE, extracts every indicator, counts the distinct ones. Prints one JSON line: seconds
(read + extract + count), indicators.

iocextract is fed line by line: on a whole file its IP expressions take time quadratic in the
input (1 MB of logs did not finish in minutes), while its matches never span lines. ioc-finder
takes the whole text, as its documentation shows.
"""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")


def with_iocextract(path):
    import iocextract  # imported before the clock starts, in main

    found = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            found.update(iocextract.extract_iocs(line, refang=True))
    return len(found)


def with_ioc_finder(path):
    from ioc_finder import find_iocs  # imported before the clock starts, in main

    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = find_iocs(text)
    n = 0
    for value in found.values():
        if isinstance(value, dict):
            n += sum(len(v) for v in value.values())
        else:
            n += len(value)
    return n


def main():
    tool, path = sys.argv[1], sys.argv[2]
    run = {"iocextract": with_iocextract, "ioc-finder": with_ioc_finder}[tool]
    __import__({"iocextract": "iocextract", "ioc-finder": "ioc_finder"}[tool])
    started = time.perf_counter()
    n = run(path)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "indicators": n}))


if __name__ == "__main__":
    main()
