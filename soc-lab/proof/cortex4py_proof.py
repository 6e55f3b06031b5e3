"""cortex4py 2.1.0 against the lab's Cortex: organisations, users and keys, analyzers, jobs.

Run by soc-lab/tests/proof.rs with LAB_CORTEX_URL, LAB_CORTEX_KEY (the superadmin's key) and
LAB_MALICIOUS set. Exits non-zero on the first surprise.
"""

import ipaddress
import os
import sys

from cortex4py.api import Api
from cortex4py.exceptions import AuthenticationError, AuthorizationError, NotFoundError
from cortex4py.query import And, Eq


def check(cond, message):
    if not cond:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


url = os.environ["LAB_CORTEX_URL"]
admin = Api(url, os.environ["LAB_CORTEX_KEY"])
malicious = [m for m in os.environ["LAB_MALICIOUS"].split(",") if m]


def is_ip(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


bad_ip = next(m for m in malicious if is_ip(m))
good_ip = "9.9.9.9"
check(good_ip not in malicious, "the benign address must not be listed as malicious")

status = admin.status().json()
check("Cortex" in status["versions"], f"status carries versions: {status}")
check("authByKey" in status["config"]["capabilities"], "status lists authByKey")

# Organisations, as the superadmin (the cortex organisation cannot hold analyzers).
org = admin.organizations.create({"name": "proof-soc", "description": "cortex4py proof", "status": "Active"})
check(org.id == "proof-soc" and org.status == "Active", f"organisation created: {org}")
check(admin.organizations.get_by_id("proof-soc").description == "cortex4py proof", "organisation read back")
org = admin.organizations.update("proof-soc", {"description": "cortex4py proof (updated)"})
check(org.description == "cortex4py proof (updated)", "organisation updated")
names = [o.name for o in admin.organizations.find_all({}, range="all")]
check("proof-soc" in names and "cortex" in names, f"organisations listed: {names}")
check(admin.organizations.count({}) >= 2, "organisations counted")

# Users and keys.
user = admin.users.create({
    "login": "analyst@proof-soc", "name": "Proof analyst",
    "roles": ["read", "analyze", "orgadmin"], "organization": "proof-soc",
})
check(user.id == "analyst@proof-soc" and user.organization == "proof-soc", f"user created: {user}")
check(admin.users.set_password(user.id, "Pr00f-password!"), "password set")
key = admin.users.renew_key(user.id)
check(len(key) >= 20, "a key was generated")
check(admin.users.get_key(user.id) == key, "the key reads back")
check(admin.users.get_by_id(user.id).hasKey is True, "the user has a key")
members = [u.id for u in admin.organizations.get_users("proof-soc", {})]
check(members == [user.id], f"organisation users: {members}")
user = admin.users.update(user.id, {"name": "Proof analyst (renamed)"})
check(user.name == "Proof analyst (renamed)", "user updated")

analyst = Api(url, key)
try:
    Api(url, "not-a-valid-key").analyzers.find_all({})
    check(False, "a wrong key must be refused")
except AuthenticationError:
    pass
try:
    analyst.organizations.create({"name": "nope", "description": "", "status": "Active"})
    check(False, "an orgadmin must not create organisations")
except AuthorizationError:
    pass

# Analyzers.
definitions = {d.id: d for d in analyst.analyzers.definitions()}
for wanted in ("AbuseIPDB_1_0", "VirusTotal_GetReport_3_1", "MISP_2_1", "Lab_Reputation_1_0"):
    check(wanted in definitions, f"definition {wanted} is offered")
check(definitions["AbuseIPDB_1_0"].dataTypeList == ["ip"], "AbuseIPDB takes IP addresses")
abuse = analyst.analyzers.enable("AbuseIPDB_1_0", {
    "configuration": {"key": "proof-api-key", "days": 30},
    "jobCache": 10, "jobTimeout": 30, "rate": 1000, "rateUnit": "Day",
})
check(abuse.name == "AbuseIPDB_1_0" and abuse.dataTypeList == ["ip"], f"analyzer enabled: {abuse}")
rep = analyst.analyzers.enable("Lab_Reputation_1_0", {"configuration": {}, "jobCache": 0})
check(analyst.analyzers.get_by_name("AbuseIPDB_1_0").id == abuse.id, "analyzer found by name")
check(analyst.analyzers.get_by_id(abuse.id).workerDefinitionId == "AbuseIPDB_1_0", "analyzer read back")
by_type = sorted(a.name for a in analyst.analyzers.get_by_type("ip"))
check(by_type == ["AbuseIPDB_1_0", "Lab_Reputation_1_0"], f"analyzers for ip: {by_type}")
check(len(analyst.organizations.get_analyzers()) == 2, "the organisation lists its analyzers")

# Jobs: a malicious and a benign address.
job_bad = analyst.analyzers.run_by_id(abuse.id, {"data": bad_ip, "dataType": "ip", "tlp": 2, "message": "proof"})
job_good = analyst.analyzers.run_by_name("AbuseIPDB_1_0", {"data": good_ip, "dataType": "ip", "tlp": 2})
check(job_bad.status in ("Waiting", "InProgress", "Success"), f"job created: {job_bad.status}")
bad = analyst.jobs.get_report_async(job_bad.id, timeout="1minute")
good = analyst.jobs.get_report_async(job_good.id, timeout="1minute")
check(bad.status == "Success" and good.status == "Success", f"jobs finished: {bad.status}, {good.status}")
bad_tax = bad.report["summary"]["taxonomies"]
good_tax = good.report["summary"]["taxonomies"]
check(bad_tax[0]["level"] == "malicious" and bad_tax[0]["namespace"] == "AbuseIPDB", f"malicious verdict: {bad_tax}")
check(good_tax[0]["level"] == "safe", f"benign verdict: {good_tax}")
check(bad.report["success"] is True and "full" in bad.report, "the report is real-shaped")
check(analyst.jobs.get_report(job_bad.id).report == bad.report, "get_report agrees with waitreport")
check(isinstance(analyst.jobs.get_artifacts(job_bad.id), list), "artifacts listed")

# The job cache answers the same job; force runs a new one.
again = analyst.analyzers.run_by_id(abuse.id, {"data": bad_ip, "dataType": "ip", "tlp": 2})
check(again.id == job_bad.id, "the job cache returns the cached job")
forced = analyst.analyzers.run_by_id(abuse.id, {"data": bad_ip, "dataType": "ip", "tlp": 2}, force=1)
check(forced.id != job_bad.id, "force bypasses the job cache")

# A URL through the reputation analyzer.
bad_url = next((m for m in malicious if m.startswith("http")), None)
if bad_url:
    job_url = analyst.analyzers.run_by_id(rep.id, {"data": bad_url, "dataType": "url"})
    rep_report = analyst.jobs.get_report_async(job_url.id, timeout="30second").report
    check(rep_report["summary"]["taxonomies"][0]["level"] == "malicious", "the URL is malicious")

# Search and delete.
jobs = analyst.jobs.find_all({}, range="all", sort="-createdAt")
ids = [j.id for j in jobs]
check(job_bad.id in ids and job_good.id in ids, f"jobs searched: {ids}")
check(ids == sorted(ids, key=lambda i: next(j.createdAt for j in jobs if j.id == i), reverse=True), "sorted by -createdAt")
found = analyst.jobs.find_one_by(And(Eq("data", good_ip), Eq("dataType", "ip")))
check(found is not None and found.id == job_good.id, "job found by data")
check(len(analyst.jobs.find_all({}, range="0-1")) == 1, "range pages the jobs")
check(analyst.jobs.delete(job_good.id), "job deleted")
check(analyst.jobs.get_by_id(job_good.id).status == "Deleted", "a deleted job reads as Deleted")
check(job_good.id not in [j.id for j in analyst.jobs.find_all({}, range="all")], "deleted jobs leave searches")
try:
    analyst.jobs.get_by_id("NoSuchJob00000000000")
    check(False, "an unknown job must be 404")
except NotFoundError:
    pass

# Disable an analyzer and revoke the key.
check(analyst.analyzers.disable(rep.id), "analyzer disabled")
check([a.name for a in analyst.analyzers.find_all({}, range="all")] == ["AbuseIPDB_1_0"], "one analyzer left")
check(admin.users.revoke_key(user.id), "key revoked")
try:
    analyst.analyzers.find_all({})
    check(False, "a revoked key must be refused")
except AuthenticationError:
    pass

print(f"cortex4py proof ok: org, user, key, 2 analyzers, {len(ids)} jobs, verdicts malicious/safe, cache, search, delete")
