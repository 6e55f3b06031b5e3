#!/bin/sh
# The SIEM Elasticsearch's service users, rendered by `cargo xtask deploy`:
# - kibana_system's password (Kibana 8 may not log in as `elastic`);
# - soc_logstash: writes the SIEM indices (and manages their templates and lifecycle), nothing else;
# - soc_elastalert: reads the SIEM indices and owns its own status indices.
# Idempotent: roles and users are PUT, setting the same password again is a no-op.
set -eu
es="http://es-siem:9200"
auth="elastic:${ELASTIC_PASSWORD}"
req() {
    curl -fsS -u "$auth" -H 'Content-Type: application/json' -X "$1" "$es/$2" -d "$3" >/dev/null
}
req POST _security/user/kibana_system/_password "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}"
req PUT _security/role/soc_logstash_writer \
    "{\"cluster\":[\"monitor\",\"manage_index_templates\",\"manage_ilm\"],\"indices\":[{\"names\":[\"${SIEM_INDEX_PREFIX}-*\"],\"privileges\":[\"create_index\",\"create_doc\",\"write\",\"manage\",\"auto_configure\"]}]}"
req PUT _security/role/soc_elastalert \
    "{\"cluster\":[\"monitor\"],\"indices\":[{\"names\":[\"${SIEM_INDEX_PREFIX}-*\"],\"privileges\":[\"read\",\"view_index_metadata\"]},{\"names\":[\"elastalert*\"],\"privileges\":[\"all\"]}]}"
req PUT _security/user/soc_logstash "{\"password\":\"${LOGSTASH_ES_PASSWORD}\",\"roles\":[\"soc_logstash_writer\"]}"
req PUT _security/user/soc_elastalert "{\"password\":\"${ELASTALERT_ES_PASSWORD}\",\"roles\":[\"soc_elastalert\"]}"
echo "es-siem-setup: kibana_system, soc_logstash and soc_elastalert ready"
