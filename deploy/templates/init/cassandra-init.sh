#!/bin/bash
# Cassandra's roles, rendered by `cargo xtask deploy`: runs once after Cassandra is healthy, and
# again safely. The image starts with one superuser whose password everyone knows; this job
# makes our own administrator (CASSANDRA_SUPERUSER_PASSWORD), disables the initial one, and makes
# TheHive's role, which may create keyspaces (so it owns the one it creates) and nothing more.
set -euo pipefail
host=cassandra
admin=(cqlsh "$host" -u soc_admin -p "$CASSANDRA_SUPERUSER_PASSWORD")
for attempt in $(seq 1 30); do
    if "${admin[@]}" -e "DESCRIBE KEYSPACES" >/dev/null 2>&1; then
        break
    fi
    if cqlsh "$host" -u cassandra -p "$CASSANDRA_IMAGE_DEFAULT_PASSWORD" \
        -e "CREATE ROLE IF NOT EXISTS soc_admin WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '$CASSANDRA_SUPERUSER_PASSWORD'" \
        >/dev/null 2>&1; then
        echo "cassandra-init: administrator soc_admin created"
        continue
    fi
    echo "cassandra-init: waiting for authentication to be ready ($attempt)"
    sleep 5
done
unusable=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
"${admin[@]}" -e "ALTER ROLE cassandra WITH PASSWORD = '$unusable' AND SUPERUSER = false AND LOGIN = false"
"${admin[@]}" -e "CREATE ROLE IF NOT EXISTS thehive WITH LOGIN = true AND PASSWORD = '$CASSANDRA_THEHIVE_PASSWORD'"
"${admin[@]}" -e "ALTER ROLE thehive WITH PASSWORD = '$CASSANDRA_THEHIVE_PASSWORD'"
"${admin[@]}" -e "GRANT CREATE ON ALL KEYSPACES TO thehive"
echo "cassandra-init: the initial superuser disabled, role thehive ready"
