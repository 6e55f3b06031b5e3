"""thehive4py 2.1.0 against the lab's TheHive: organisations, users and keys, alerts with
observables (and the duplicate refusal), the query API with filters, sort and pages, promotion,
merge, tasks, logs, comments, and an analyzer run through the Cortex connector.

Environment: LAB_THEHIVE_URL, LAB_THEHIVE_KEY (the platform admin), LAB_CORTEX_URL,
LAB_CORTEX_KEY (a Cortex superadmin), LAB_MALICIOUS (comma-separated indicators).
"""

import os
import sys
import time

from cortex4py.api import Api as CortexApi
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import Eq, Gte, In, Like
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Asc, Desc

URL = os.environ["LAB_THEHIVE_URL"]
ADMIN_KEY = os.environ["LAB_THEHIVE_KEY"]
MALICIOUS = os.environ["LAB_MALICIOUS"].split(",")
ORG = "proof-soc"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


admin = TheHiveApi(url=URL, apikey=ADMIN_KEY)
me = admin.user.get_current()
check(me["login"] == "admin@thehive.local", f"current user is the admin, got {me}")
check(me["profile"] == "admin", f"admin profile, got {me['profile']}")

# Organisations, users, keys.
org = admin.organisation.create({"name": ORG, "description": "proof organisation"})
check(org["name"] == ORG and org["_type"] == "Organisation", f"organisation created: {org}")
check(admin.organisation.get(ORG)["_id"] == org["_id"], "organisation read back by name")
user = admin.user.create(
    {"login": "analyst@proof.local", "name": "Proof Analyst", "profile": "org-admin", "organisation": ORG}
)
check(user["login"] == "analyst@proof.local" and not user["hasKey"], f"user created: {user}")
key = admin.user.renew_apikey(user["_id"])
check(isinstance(key, str) and len(key) >= 20, f"a key string, got {key!r}")
check(admin.user.get_apikey(user["_id"]) == key, "the key reads back")
admin.user.set_password(user["_id"], "proof-password-1")
try:
    admin.alert.create({"type": "t", "source": "s", "sourceRef": "r", "title": "x", "description": "y"})
    raise AssertionError("the admin organisation cannot hold alerts")
except TheHiveError as e:
    check(e.response.status_code == 403, f"403 for an admin-org alert, got {e.response.status_code}")

hive = TheHiveApi(url=URL, apikey=key, organisation=ORG)
check(hive.user.get_current()["organisation"] == ORG, "the analyst works in the proof organisation")
basic = TheHiveApi(url=URL, username="analyst@proof.local", password="proof-password-1", organisation=ORG)
check(basic.user.get_current()["login"] == "analyst@proof.local", "basic auth works")
try:
    TheHiveApi(url=URL, apikey="not-a-key").user.get_current()
    raise AssertionError("a wrong key is refused")
except TheHiveError as e:
    check(e.response.status_code == 401, f"401 for a wrong key, got {e.response.status_code}")

# Alerts with observables; the duplicate is refused as TheHive does (400, not 409).
alert = hive.alert.create(
    {
        "type": "edr-detection",
        "source": "wazuh-manager-01",
        "sourceRef": "proof-0001",
        "title": "Beacon to a known C2",
        "description": f"Host talked to {MALICIOUS[0]}",
        "severity": 3,
        "tags": ["wazuh", "proof"],
        "observables": [
            {"dataType": "ip", "data": MALICIOUS[0], "ioc": True},
            {"dataType": "domain", "data": ["example.org", "example.net"]},
        ],
    }
)
check(alert["_type"] == "Alert" and alert["severityLabel"] == "HIGH", f"alert created: {alert}")
check(alert["observableCount"] == 3, f"3 observables, got {alert['observableCount']}")
try:
    hive.alert.create(
        {"type": "edr-detection", "source": "wazuh-manager-01", "sourceRef": "proof-0001", "title": "again", "description": "again"}
    )
    raise AssertionError("a duplicate sourceRef is refused")
except TheHiveError as e:
    check(e.response.status_code == 400, f"400 for a duplicate, got {e.response.status_code}")
    check("already exist" in str(e), f"the real message, got {e}")

got = hive.alert.get(alert["_id"])
check(got["title"] == "Beacon to a known C2", "alert read back")
hive.alert.update(alert["_id"], {"status": "InProgress", "tags": ["wazuh", "proof", "triaged"]})
got = hive.alert.get(alert["_id"])
check(got["stage"] == "InProgress" and "triaged" in got["tags"], f"alert updated: {got}")
hive.alert.unfollow(alert["_id"])
check(hive.alert.get(alert["_id"])["follow"] is False, "unfollowed")

# Many alerts, then filters, sort and pages.
for i in range(25):
    hive.alert.create(
        {
            "type": "ids",
            "source": "suricata",
            "sourceRef": f"proof-bulk-{i:03}",
            "title": f"Bulk alert {i}",
            "description": "bulk",
            "severity": 1 + i % 4,
            "tags": ["bulk"],
        }
    )
check(hive.alert.count() == 26, f"26 alerts, got {hive.alert.count()}")
check(hive.alert.count(filters=Eq("source", "suricata")) == 25, "25 from suricata")
high = hive.alert.find(filters=Eq("source", "suricata") & Gte("severity", 3), sortby=Asc("sourceRef"))
check(len(high) == 12, f"12 alerts with severity >= 3, got {len(high)}")
check([a["sourceRef"] for a in high] == sorted(a["sourceRef"] for a in high), "sorted ascending")
check(all(a["severity"] >= 3 for a in high), "filter honoured")
picked = hive.alert.find(filters=In("sourceRef", ["proof-bulk-001", "proof-bulk-002", "nope"]))
check(len(picked) == 2, f"_in picks 2, got {len(picked)}")
liked = hive.alert.find(filters=Like("title", "Bulk alert 1"))
check(len(liked) == 11, f"_like substring finds 1 and 10-19, got {len(liked)}")
seen = []
for start in range(0, 30, 10):
    page = hive.alert.find(filters=Eq("source", "suricata"), sortby=Desc("sourceRef"), paginate=Paginate(start, start + 10))
    seen.extend(a["sourceRef"] for a in page)
check(len(seen) == 25 and len(set(seen)) == 25, f"pages cover every alert once, got {len(seen)}")
check(seen[0] == "proof-bulk-024", f"descending order, first {seen[0]}")

# Observables on an alert.
obs = hive.alert.create_observable(alert["_id"], {"dataType": "url", "data": "http://example.org/a"})
check(isinstance(obs, list) and obs[0]["dataType"] == "url", f"observable create answers a list: {obs}")
observables = hive.alert.find_observables(alert["_id"])
check(len(observables) == 4, f"4 observables on the alert, got {len(observables)}")
ip_obs = [o for o in observables if o["dataType"] == "ip"][0]
check(ip_obs["ioc"] is True and ip_obs["tlpLabel"] == "AMBER", f"observable fields: {ip_obs}")

# Promote, merge, tasks, logs, comments.
case = hive.alert.promote_to_case(alert["_id"])
check(case["_type"] == "Case" and case["number"] >= 1, f"case created: {case}")
check(hive.alert.get(alert["_id"])["stage"] == "Imported", "alert imported")
case_obs = hive.case.find_observables(case["_id"])
check(len(case_obs) == 4, f"the case has the alert's observables, got {len(case_obs)}")
second = hive.alert.find(filters=Eq("sourceRef", "proof-bulk-000"))[0]
merged = hive.alert.merge_into_case(second["_id"], case["_id"])
check(merged["_id"] == case["_id"], "merge answers the case")
check(hive.alert.get(second["_id"])["caseId"] == case["_id"], "merged alert points at the case")
task = hive.case.create_task(case["_id"], {"title": "Contain the host", "group": "response"})
check(task["status"] == "Waiting", f"task created: {task}")
hive.task.update(task["_id"], {"status": "InProgress"})
check(hive.task.get(task["_id"])["status"] == "InProgress", "task updated")
log = hive.task.create_log(task["_id"], {"message": "Host isolated by EDR"})
check(log["message"] == "Host isolated by EDR", f"log created: {log}")
check(len(hive.task.find_logs(task["_id"])) == 1, "the task has its log")
comment = hive.comment.create_in_case(case["_id"], {"message": "Escalated to tier 2"})
check(comment["message"] == "Escalated to tier 2", "comment created")
check(len(hive.case.find_comments(case["_id"])) == 1, "the case has its comment")
hive.case.update(case["_id"], {"status": "TruePositive", "summary": "Contained", "impactStatus": "WithImpact"})
check(hive.case.get(case["_id"])["stage"] == "Closed", "case closed")

# The Cortex connector: configured through the admin config API (not wrapped by thehive4py, so
# through its session), an analyzer enabled in Cortex with cortex4py, then a job run from TheHive.
superadmin = CortexApi(os.environ["LAB_CORTEX_URL"], os.environ["LAB_CORTEX_KEY"])
superadmin.organizations.create({"name": "proof-soc", "description": "proof organisation", "status": "Active"})
cortex_user = superadmin.users.create(
    {"login": "thehive", "name": "TheHive connector", "roles": ["read", "analyze", "orgadmin"], "organization": "proof-soc"}
)
cortex_key = superadmin.users.renew_key(cortex_user.id)
cortex = CortexApi(os.environ["LAB_CORTEX_URL"], cortex_key)
definitions = {d.id: d for d in cortex.analyzers.definitions()}
check("AbuseIPDB_1_0" in definitions, f"Cortex offers AbuseIPDB_1_0, got {sorted(definitions)}")
# AbuseIPDB needs its API key configured, as in a real Cortex.
cortex.analyzers.enable("AbuseIPDB_1_0", {"name": "AbuseIPDB_1_0", "configuration": {"key": "lab-abuseipdb-key"}})
check(hive.cortex.list_analyzers() == [], "no analyzers before a Cortex server is configured")
admin.session.make_request(
    "PUT",
    path="/api/v1/admin/config/cortex",
    json={"servers": [{"name": "lab-cortex", "url": os.environ["LAB_CORTEX_URL"], "auth": {"type": "bearer", "key": cortex_key}}]},
)
analyzers = hive.cortex.list_analyzers_by_type("ip")
check(any(a["name"] == "AbuseIPDB_1_0" for a in analyzers), f"AbuseIPDB offered for ip: {analyzers}")
analyzer = [a for a in analyzers if a["name"] == "AbuseIPDB_1_0"][0]
ip_case_obs = [o for o in case_obs if o["dataType"] == "ip"][0]
job = hive.cortex.create_analyzer_job(
    {"analyzerId": analyzer["id"], "cortexId": "lab-cortex", "artifactId": ip_case_obs["_id"]}
)
deadline = time.time() + 30
while job["status"] not in ("Success", "Failure") and time.time() < deadline:
    time.sleep(0.2)
    job = hive.cortex.get_analyzer_job(job["_id"])
check(job["status"] == "Success", f"the job succeeded: {job}")
levels = [t["level"] for t in job["report"]["summary"]["taxonomies"]]
check("malicious" in levels, f"a listed IP is malicious, got {levels}")
check(len(hive.cortex.find_analyzer_jobs()) == 1, "the job is listed")
reports = hive.observable.get(ip_case_obs["_id"])["reports"]
check("AbuseIPDB_1_0" in reports or analyzer["name"] in reports, f"the observable has the report summary: {reports}")

# Deletes.
ids = [a["_id"] for a in hive.alert.find(filters=Eq("source", "suricata"))]
hive.alert.bulk_delete(ids=ids[:5])
check(hive.alert.count(filters=Eq("source", "suricata")) == 20, "bulk delete removed 5")
hive.alert.delete(ids[5])
try:
    hive.alert.get(ids[5])
    raise AssertionError("a deleted alert is gone")
except TheHiveError as e:
    check(e.response.status_code == 404, f"404 for a deleted alert, got {e.response.status_code}")

print("thehive4py: organisation, user, key, 26 alerts, pages, promote, merge, task, log, comment, cortex job: ok")
sys.exit(0)
