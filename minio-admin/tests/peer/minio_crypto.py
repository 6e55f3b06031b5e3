#!/usr/bin/env python3
"""minio-py's admin payload encryption, for the cross-check tests of minio-admin.

usage: minio_crypto.py encrypt|decrypt SECRET_KEY < input > output
"""
import io
import sys

from minio import crypto


class _Body:
    """The part of a urllib3 response minio-py's DecryptReader reads."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, n=-1):
        return self._data.read(n)

    def close(self):
        pass

    def release_conn(self):
        pass


def main():
    action, secret = sys.argv[1], sys.argv[2]
    data = sys.stdin.buffer.read()
    if action == "encrypt":
        out = crypto.encrypt(data, secret)
    elif action == "decrypt":
        out = crypto.decrypt(_Body(data), secret)
    else:
        raise SystemExit(f"unknown action {action!r}")
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
