#!/bin/sh
# Sets the kibana_system password on the SIEM Elasticsearch (Kibana 8 may not log in as `elastic`).
# Idempotent: setting the same password again is a no-op.
set -eu
curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'Content-Type: application/json' \
    -X POST http://es-siem:9200/_security/user/kibana_system/_password \
    -d "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}" >/dev/null
echo "es-siem-setup: kibana_system password set"
