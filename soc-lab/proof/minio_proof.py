"""minio-py 7.2.20 (Minio + MinioAdmin) against the lab's S3 store with the MinIO admin API.

Reads LAB_S3_URL, LAB_S3_USER (root access key) and LAB_S3_PASSWORD (root secret key); exits
non-zero on the first surprise.
"""

import io
import json
import os
import sys
from urllib.parse import urlparse

from minio import Minio, MinioAdmin
from minio.credentials import StaticProvider
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.commonconfig import CopySource


def check(cond, message):
    if not cond:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def denied(fn, what):
    try:
        fn()
    except S3Error as e:
        check(e.code == "AccessDenied", f"{what}: expected AccessDenied, got {e.code}")
        return
    check(False, f"{what} was allowed")


def main():
    endpoint = urlparse(os.environ["LAB_S3_URL"]).netloc
    root_ak, root_sk = os.environ["LAB_S3_USER"], os.environ["LAB_S3_PASSWORD"]
    s3 = Minio(endpoint, access_key=root_ak, secret_key=root_sk, secure=False)
    admin = MinioAdmin(endpoint=endpoint, credentials=StaticProvider(root_ak, root_sk), secure=False)

    try:
        Minio(endpoint, access_key=root_ak, secret_key="wrong-secret", secure=False).list_buckets()
        check(False, "a wrong secret key was accepted")
    except S3Error as e:
        check(e.code == "SignatureDoesNotMatch", f"wrong secret: {e.code}")
    try:
        Minio(endpoint, access_key="NOBODY", secret_key="wrong-secret", secure=False).list_buckets()
        check(False, "an unknown key was accepted")
    except S3Error as e:
        check(e.code == "InvalidAccessKeyId", f"unknown key: {e.code}")

    bucket = "soc-evidence"
    s3.make_bucket(bucket)
    check(s3.bucket_exists(bucket), "bucket exists after make_bucket")
    check(not s3.bucket_exists("no-such-bucket"), "missing bucket does not exist")
    check(bucket in [b.name for b in s3.list_buckets()], "bucket listed")

    payload = b"pcap bytes " * 1000
    r = s3.put_object(bucket, "cases/42/capture.pcap", io.BytesIO(payload), len(payload),
                      content_type="application/vnd.tcpdump.pcap", metadata={"case": "42"})
    import hashlib
    check(r.etag == hashlib.md5(payload).hexdigest(), f"etag is the MD5: {r.etag}")
    for i in range(5):
        s3.put_object(bucket, f"cases/{i}/note.txt", io.BytesIO(b"note %d" % i), 6)
    s3.put_object(bucket, "README", io.BytesIO(b"hello"), 5)

    resp = s3.get_object(bucket, "cases/42/capture.pcap")
    try:
        check(resp.read() == payload, "object reads back")
    finally:
        resp.close()
        resp.release_conn()
    part = s3.get_object(bucket, "cases/42/capture.pcap", offset=5, length=6)
    check(part.read() == payload[5:11], "range read")
    part.close()
    part.release_conn()
    stat = s3.stat_object(bucket, "cases/42/capture.pcap")
    check(stat.size == len(payload) and stat.content_type == "application/vnd.tcpdump.pcap",
          f"stat: {stat.size} {stat.content_type}")
    check(stat.metadata.get("x-amz-meta-case") == "42", f"user metadata: {dict(stat.metadata)}")

    top = [o.object_name for o in s3.list_objects(bucket)]
    check(top == ["README", "cases/"], f"delimited listing: {top}")
    deep = [o.object_name for o in s3.list_objects(bucket, prefix="cases/", recursive=True)]
    check(len(deep) == 6, f"recursive listing: {deep}")
    v1 = [o.object_name for o in s3.list_objects(bucket, recursive=True, use_api_v1=True)]
    check(len(v1) == 7, f"V1 listing: {v1}")

    s3.copy_object(bucket, "copy.pcap", CopySource(bucket, "cases/42/capture.pcap"))
    check(s3.stat_object(bucket, "copy.pcap").size == len(payload), "copy")

    # Multipart: 12 MiB of unknown length in 5 MiB parts (minio-py uploads 5 + 5 + 2 MiB).
    big = bytes((i * 7 + i // 4099) % 251 for i in range(12 * 1024 * 1024))
    r = s3.put_object(bucket, "dumps/memory.raw", io.BytesIO(big), length=-1,
                      part_size=5 * 1024 * 1024, content_type="application/octet-stream")
    chunks = [big[i:i + 5 * 1024 * 1024] for i in range(0, len(big), 5 * 1024 * 1024)]
    multipart_etag = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest()
    check(r.etag == f"{multipart_etag}-3", f"multipart etag: {r.etag}")
    got = s3.get_object(bucket, "dumps/memory.raw")
    try:
        check(got.read() == big, "the multipart object reads back whole")
    finally:
        got.close()
        got.release_conn()
    check(s3.stat_object(bucket, "dumps/memory.raw").size == len(big), "multipart size")

    # The multipart calls one by one: list, abort, and S3's refusals.
    from minio.datatypes import Part
    def s3_code(fn):
        try:
            fn()
        except S3Error as e:
            return e.code
        return None
    headers = {"Content-Type": "application/octet-stream"}
    upload = s3._create_multipart_upload(bucket, "dumps/partial.raw", dict(headers))
    check(s3._list_multipart_uploads(bucket).uploads[0].upload_id == upload, "upload listed")
    small = s3._upload_part(bucket, "dumps/partial.raw", b"tiny part", None, upload, 1)
    last = s3._upload_part(bucket, "dumps/partial.raw", b"last part", None, upload, 2)
    parts = s3._list_parts(bucket, "dumps/partial.raw", upload).parts
    check([(p.part_number, p.etag, p.size) for p in parts] ==
          [(1, small, 9), (2, last, 9)], f"list parts: {parts}")
    check(s3_code(lambda: s3._complete_multipart_upload(
        bucket, "dumps/partial.raw", upload, [Part(1, small), Part(2, last)])) == "EntityTooSmall",
        "a small part before the last is refused")
    check(s3_code(lambda: s3._complete_multipart_upload(
        bucket, "dumps/partial.raw", upload, [Part(2, last), Part(1, small)])) == "InvalidPartOrder",
        "parts out of order are refused")
    check(s3_code(lambda: s3._complete_multipart_upload(
        bucket, "dumps/partial.raw", upload, [Part(1, last)])) == "InvalidPart",
        "a part with the wrong etag is refused")
    one = s3._complete_multipart_upload(bucket, "dumps/partial.raw", upload, [Part(2, last)])
    check(one.etag == hashlib.md5(hashlib.md5(b"last part").digest()).hexdigest() + "-1",
          f"single-part etag: {one.etag}")
    check(s3_code(lambda: s3._list_parts(bucket, "dumps/partial.raw", upload)) == "NoSuchUpload",
          "a completed upload is gone")
    s3.remove_object(bucket, "dumps/partial.raw")
    upload = s3._create_multipart_upload(bucket, "dumps/aborted.raw", dict(headers))
    s3._upload_part(bucket, "dumps/aborted.raw", b"x", None, upload, 1)
    s3._abort_multipart_upload(bucket, "dumps/aborted.raw", upload)
    check(s3_code(lambda: s3._abort_multipart_upload(bucket, "dumps/aborted.raw", upload))
          == "NoSuchUpload", "an aborted upload is gone")
    check(s3_code(lambda: s3._upload_part(bucket, "dumps/aborted.raw", b"x", None, upload, 2))
          == "NoSuchUpload", "no part after an abort")
    check(not s3._list_multipart_uploads(bucket).uploads, "nothing left in progress")
    check(s3_code(lambda: s3.stat_object(bucket, "dumps/aborted.raw")) == "NoSuchKey",
          "an aborted upload leaves no object")
    s3.remove_object(bucket, "dumps/memory.raw")

    try:
        s3.get_bucket_policy(bucket)
        check(False, "a bucket without policy returned one")
    except S3Error as e:
        check(e.code == "NoSuchBucketPolicy", f"no policy: {e.code}")
    public = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/README"]}]}
    s3.set_bucket_policy(bucket, json.dumps(public))
    check(json.loads(s3.get_bucket_policy(bucket))["Statement"][0]["Action"] == ["s3:GetObject"],
          "bucket policy reads back")
    s3.delete_bucket_policy(bucket)

    try:
        s3.remove_bucket(bucket)
        check(False, "a non-empty bucket was removed")
    except S3Error as e:
        check(e.code == "BucketNotEmpty", f"non-empty bucket: {e.code}")

    # Admin API: a least-privilege analyst.
    info = json.loads(admin.info())
    check(info["mode"] == "online", f"admin info: {info.get('mode')}")
    admin.policy_add("evidence-read", policy={"Version": "2012-10-17", "Statement": [
        # minio-py asks for the bucket's location before object calls; a real MinIO
        # authorises that as s3:GetBucketLocation, so a usable policy grants it.
        {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{bucket}"]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/cases/*"]},
        {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/cases/42/*"]},
    ]})
    check("evidence-read" in json.loads(admin.policy_list()), "policy listed")
    admin.user_add("analyst", "analyst-secret-123")
    admin.attach_policy(["evidence-read"], user="analyst")
    users = json.loads(admin.user_list())
    check(users["analyst"]["policyName"] == "evidence-read", f"list users: {users}")
    check(json.loads(admin.user_info("analyst"))["status"] == "enabled", "user info")

    analyst = Minio(endpoint, access_key="analyst", secret_key="analyst-secret-123", secure=False)
    got = analyst.get_object(bucket, "cases/1/note.txt")
    check(got.read() == b"note 1", "analyst reads what the policy allows")
    got.close()
    got.release_conn()
    check(len(list(analyst.list_objects(bucket, recursive=True))) == 8, "analyst lists the bucket")
    denied(lambda: analyst.get_object(bucket, "cases/42/capture.pcap"), "explicit deny")
    denied(lambda: analyst.get_object(bucket, "README"), "read outside cases/")
    denied(lambda: analyst.put_object(bucket, "cases/x", io.BytesIO(b"x"), 1), "write")
    denied(lambda: analyst.remove_object(bucket, "README"), "delete")
    denied(lambda: analyst.make_bucket("analyst-bucket"), "make bucket")

    sa = json.loads(admin.add_service_account(
        access_key="analyst-svc-0001", secret_key="svc-secret-00000001", name="ingest",
        policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]},
    ))
    check(sa["credentials"]["accessKey"] == "analyst-svc-0001", f"service account: {sa}")
    accounts = json.loads(admin.list_service_account(root_ak))["accounts"]
    check(any(a["accessKey"] == "analyst-svc-0001" for a in accounts), f"listed: {accounts}")
    svc = Minio(endpoint, access_key="analyst-svc-0001", secret_key="svc-secret-00000001", secure=False)
    svc.put_object(bucket, "from-svc", io.BytesIO(b"svc"), 3)
    denied(lambda: svc.make_bucket("svc-bucket"), "service account outside its policy")
    admin.delete_service_account("analyst-svc-0001")

    admin.user_disable("analyst")
    try:
        analyst.list_objects(bucket).__next__()
        check(False, "a disabled user was accepted")
    except S3Error as e:
        check(e.code == "InvalidAccessKeyId", f"disabled user: {e.code}")
    admin.user_remove("analyst")

    errors = list(s3.remove_objects(bucket, [DeleteObject(o.object_name)
                                             for o in s3.list_objects(bucket, recursive=True)]))
    check(not errors, f"multi-delete: {errors}")
    s3.remove_bucket(bucket)
    check(not s3.bucket_exists(bucket), "bucket removed")

    print("minio-py OK: buckets/objects/range/copy/list v1+v2/multipart/policy, admin users, policies, "
          "attach, service accounts; least-privilege user allowed and denied exactly per policy")


if __name__ == "__main__":
    main()
