#!/bin/sh
# Least-privilege users on the index Elasticsearch, rendered by `cargo xtask deploy`: TheHive and
# Cortex each read and write only their own indices (and may manage their index templates and
# read cluster health), instead of running as the `elastic` superuser.
# Idempotent: roles and users are PUT, the same definition again changes nothing.
set -eu
es="http://es-index:9200"
auth="elastic:${INDEX_ELASTIC_PASSWORD}"
put() {
    curl -fsS -u "$auth" -H 'Content-Type: application/json' -X PUT "$es/$1" -d "$2" >/dev/null
}
put _security/role/soc_thehive \
    '{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["thehive*"],"privileges":["all"]}]}'
put _security/role/soc_cortex \
    '{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["cortex*"],"privileges":["all"]}]}'
put _security/user/thehive "{\"password\":\"${THEHIVE_ES_PASSWORD}\",\"roles\":[\"soc_thehive\"]}"
put _security/user/cortex "{\"password\":\"${CORTEX_ES_PASSWORD}\",\"roles\":[\"soc_cortex\"]}"
echo "es-index-setup: users thehive and cortex ready"
