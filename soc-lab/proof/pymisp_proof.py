"""PyMISP 2.5 against the lab's MISP: events, attributes, objects, tags, restSearch, orgs, users,
auth keys, server settings and workers, and a local feed.

Run by soc-lab/tests/proof.rs with LAB_MISP_URL, LAB_MISP_KEY and LAB_MALICIOUS set. Exits
non-zero on the first surprise.
"""

import json
import os
import sys
import tempfile
import time
import uuid

from pymisp import MISPEvent, MISPFeed, MISPObject, MISPOrganisation, MISPUser, PyMISP
from pymisp.exceptions import MISPServerError


def check(cond, message):
    if not cond:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


url = os.environ["LAB_MISP_URL"]
key = os.environ["LAB_MISP_KEY"]
malicious = [m for m in os.environ["LAB_MALICIOUS"].split(",") if m]
bad_ip = next(m for m in malicious if m.count(".") == 3 and m.replace(".", "").isdigit())
bad_domain = next(m for m in malicious if "." in m and "/" not in m and "@" not in m and not m.replace(".", "").isdigit())

misp = PyMISP(url, key, ssl=False)
check(misp.describe_types["types"] and "ip-dst" in misp.types, "describeTypes came from the server")
check(misp.get_user(pythonify=True).email == os.environ.get("LAB_MISP_USER", "admin@admin.test"), "users/view/me")

# Events with attributes, an object and tags.
event = MISPEvent()
event.info = "Proof: phishing infrastructure"
event.distribution = 0
event.threat_level_id = 2
event.analysis = 1
event.add_tag("tlp:amber")
ip_attr = event.add_attribute("ip-dst", bad_ip, to_ids=True, comment="C2")
ip_attr.add_tag("proof:c2")
event.add_attribute("domain", bad_domain)
obj = MISPObject("domain-ip", standalone=False)
obj.add_attribute("domain", value="proof-object.example")
obj.add_attribute("ip", value="203.0.113.7")
event.add_object(obj)
created = misp.add_event(event, pythonify=True)
check(isinstance(created, MISPEvent) and created.id, f"event created: {created}")
check(len(created.attributes) == 2 and len(created.objects) == 1, "attributes and object created")
check([t.name for t in created.tags] == ["tlp:amber"], "event tag kept")

read = misp.get_event(created.id, pythonify=True)
check(read.uuid == created.uuid and read.info == event.info, "event read back by id")
check(misp.get_event(created.uuid, pythonify=True).id == created.id, "event read back by uuid")
ip_read = next(a for a in read.attributes if a.type == "ip-dst")
check(ip_read.value == bad_ip and ip_read.to_ids is True and ip_read.category == "Network activity", "attribute defaults")
check([t.name for t in ip_read.tags] == ["proof:c2"], "attribute tag kept")
raw = misp.get_event(created.id)
check(isinstance(raw["Event"]["id"], str) and isinstance(raw["Event"]["timestamp"], str), "ids and timestamps are strings")

read.info = "Proof: phishing infrastructure (updated)"
read.add_attribute("url", f"http://{bad_domain}/login")
updated = misp.update_event(read, pythonify=True)
check(updated.info.endswith("(updated)") and len(updated.attributes) == 3, "event updated")

obj_read = misp.get_object(created.objects[0].id, pythonify=True)
check(obj_read.name == "domain-ip" and len(obj_read.attributes) == 2, "object read back")

benign = MISPEvent()
benign.info = "Proof: benign traffic"
benign.add_tag("tlp:green")
for i in range(3):
    benign.add_attribute("ip-dst", f"198.51.100.{i + 1}", to_ids=False)
benign = misp.add_event(benign, pythonify=True)
check(benign.id != created.id, "second event created")

r = misp.tag(created.attributes[1].uuid, "proof:tagged")
check(r.get("saved") is True, f"tag attached: {r}")
check(misp.publish(created.id).get("message"), "event published")
check(misp.get_event(created.id, pythonify=True).published is True, "event is published")

# restSearch: events answer a list, attributes a dict with an Attribute list.
raw_events = misp.search(controller="events", tags=["tlp:amber"])
check(isinstance(raw_events, list) and [e["Event"]["id"] for e in raw_events] == [str(created.id)], f"events by tag: {raw_events}")
raw_attrs = misp.search(controller="attributes", value=bad_ip)
check(isinstance(raw_attrs, dict) and [a["value"] for a in raw_attrs["Attribute"]] == [bad_ip], "attributes answer a dict")
check(raw_attrs["Attribute"][0]["Event"]["id"] == str(created.id), "attributes carry their Event")
not_amber = misp.search(controller="events", tags=["!tlp:amber"], pythonify=True)
check([e.id for e in not_amber] == [benign.id], "tag negation")
complex_q = misp.build_complex_query(or_parameters=["tlp:amber", "tlp:green"], not_parameters=["tlp:green"])
check([e.id for e in misp.search(controller="events", tags=complex_q, pythonify=True)] == [created.id], "OR/NOT tags")
wild = misp.search(controller="attributes", value=f"%{bad_domain[3:]}%", pythonify=True)
check(len(wild) == 2, f"value wildcard: {[a.value for a in wild]}")
check(all(a.type in ("domain", "url") for a in wild), "wildcard hits the domain and the URL")
by_type = misp.search(controller="attributes", type_attribute="ip-dst", pythonify=True)
check(len(by_type) == 5, f"type filter: {len(by_type)}")
page1 = misp.search(controller="attributes", type_attribute="ip-dst", limit=2, page=1, pythonify=True)
page3 = misp.search(controller="attributes", type_attribute="ip-dst", limit=2, page=3, pythonify=True)
check(len(page1) == 2 and len(page3) == 1 and page1[0].uuid != page3[0].uuid, "limit and page")
check(len(misp.search(controller="attributes", to_ids=0, pythonify=True)) == 3, "to_ids filter")
check([e.id for e in misp.search(controller="events", published=True, pythonify=True)] == [created.id], "published")
check([e.id for e in misp.search(controller="events", last="1d", pythonify=True)] == [created.id], "last 1d")
tagged = misp.search(controller="attributes", tags="proof:tagged", include_event_tags=True, pythonify=True)
check(len(tagged) == 1 and {"proof:tagged", "tlp:amber"} <= {t.name for t in tagged[0].tags}, "includeEventTags")
meta = misp.search(controller="events", eventid=created.id, metadata=True)
check("Attribute" not in meta[0]["Event"], "metadata leaves attributes out")
check(misp.search(controller="events", value="nothing-like-this", pythonify=True) == [], "empty search")

# Organisations, users and auth keys.
org = MISPOrganisation()
org.name = "Proof Partner CERT"
org = misp.add_organisation(org, pythonify=True)
check(org.id and org.name == "Proof Partner CERT", f"organisation created: {org}")
check(misp.get_organisation(org.id, pythonify=True).uuid == org.uuid, "organisation read back")
user = MISPUser()
user.email = "analyst@proof-partner.example"
user.org_id = org.id
user.role_id = 3
user = misp.add_user(user, pythonify=True)
check(user.id and str(user.org_id) == str(org.id), f"user created: {user}")
new_key = misp.get_new_authkey(user)
check(len(new_key) == 40, "a 40-character key was issued once")
as_user = PyMISP(url, new_key, ssl=False)
check(as_user.get_user(pythonify=True).email == user.email, "the new key authenticates")
roles = [r.name for r in misp.roles(pythonify=True)]
check("admin" in roles and "User" in roles, f"roles: {roles}")
try:
    PyMISP(url, "x" * 40, ssl=False)
    check(False, "a wrong key must be refused")
except Exception:
    pass

# Server settings start broken as the seed describes; workers are down and feeds cannot run.
setting = misp.get_server_setting("SimpleBackgroundJobs.enabled")
check(setting["value"] is False, f"background jobs start disabled: {setting}")
check(misp.get_server_setting("SimpleBackgroundJobs.redis_host")["value"] == "127.0.0.1", "redis host starts wrong")
check(misp.get_server_setting("MISP.redis_password").get("errors"), "redacted settings are refused")
workers = misp.get_workers()
check(workers["default"]["ok"] is False and workers["default"]["workers"] == [], "workers start down")

feed_dir = tempfile.mkdtemp(prefix="misp-feed-")
feed_events = []
for i, value in enumerate([bad_domain, "feed-only.example"]):
    ev_uuid = str(uuid.uuid4())
    ev = {"Event": {
        "uuid": ev_uuid, "info": f"Proof feed event {i}", "date": "2025-11-24", "analysis": "2",
        "threat_level_id": "1", "timestamp": str(int(time.time())), "published": True,
        "Orgc": {"name": "Proof Feed Provider", "uuid": "5b0b1d2e-0000-4000-8000-00000000feed"},
        "Tag": [{"name": "feed:proof"}],
        "Attribute": [{"type": "domain", "category": "Network activity", "value": value, "to_ids": True, "uuid": str(uuid.uuid4())}],
    }}
    with open(os.path.join(feed_dir, f"{ev_uuid}.json"), "w") as f:
        json.dump(ev, f)
    feed_events.append(ev_uuid)
with open(os.path.join(feed_dir, "manifest.json"), "w") as f:
    json.dump({u: {"info": "Proof feed", "timestamp": str(int(time.time()))} for u in feed_events}, f)

feed = MISPFeed()
feed.name = "Proof local feed"
feed.provider = "Proof Feed Provider"
feed.url = feed_dir
feed.source_format = "misp"
feed.input_source = "local"
feed.enabled = True
feed.caching_enabled = True
feed = misp.add_feed(feed, pythonify=True)
check(feed.id and feed.input_source == "local", f"feed created: {feed}")
try:
    misp.fetch_feed(feed.id)
    check(False, "fetching must fail while background jobs are broken")
except MISPServerError:
    pass  # MISP dies with a RuntimeException from BackgroundJobsTool: a 500.

for name, value in [("MISP.redis_host", "redis"), ("SimpleBackgroundJobs.redis_host", "redis"),
                    ("SimpleBackgroundJobs.redis_password", "redispassword"),
                    ("SimpleBackgroundJobs.enabled", True)]:
    r = misp.set_server_setting(name, value, force=True)
    check(r.get("saved") is True, f"{name} set: {r}")
check(misp.get_server_setting("SimpleBackgroundJobs.enabled")["value"] is True, "background jobs enabled")
r = misp.set_server_setting("SimpleBackgroundJobs.redis_port", "not-a-port")
check("errors" in r, f"numeric settings are checked: {r}")
misp.restart_workers()
workers = misp.get_workers()
check(all(workers[q]["ok"] for q in ("default", "cache", "prio")), f"workers are up: {workers}")
final = {s["setting"]: s for s in misp.server_settings()["finalSettings"]}
check(final["SimpleBackgroundJobs.redis_host"]["value"] == "redis", "serverSettings shows the fix")

r = misp.cache_feed(feed.id)
check(r.get("saved") is True, f"feed cached: {r}")
r = misp.fetch_feed(feed.id)
check(r.get("result", "").startswith("Pull queued for background execution. Job ID:"), f"feed fetch queued: {r}")
pulled = misp.search(controller="events", uuid=feed_events, pythonify=True)
check(sorted(e.uuid for e in pulled) == sorted(feed_events), "the feed's events were pulled")
check(all("feed:proof" in [t.name for t in e.tags] for e in pulled), "feed events keep their tags")
r = misp.fetch_feed(feed.id)
check(len(misp.search(controller="events", uuid=feed_events, pythonify=True)) == 2, "fetching again is idempotent")
hits = misp.search(controller="attributes", value=bad_domain, pythonify=True)
check(len(hits) == 2, "the malicious domain is now in two events")
check(misp.get_feed(feed.id, pythonify=True).cache_timestamp, "the feed has a cache timestamp")

# Clean up what the proof made.
check(misp.delete_event(benign.id).get("saved") is True, "event deleted")
check("errors" in misp.get_event(benign.id), "a deleted event is gone")
check(misp.delete_user(user).get("saved") is True, "user deleted")

print(f"pymisp proof ok: 2 events + {len(pulled)} feed events, object, tags, restSearch shapes and filters, org, user, auth key, settings fixed, workers up, local feed fetched")
