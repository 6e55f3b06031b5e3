#!/bin/sh
# Creates TheHive's attachment bucket on the S3 store; safe to run again (an existing bucket is success).
# Runs in the curl image: requests are signed with curl's built-in AWS SigV4.
set -eu

s3="http://s3:${S3_INTERNAL_PORT}"
sign="aws:amz:${S3_REGION}:s3"
creds="${S3_ROOT_ACCESS_KEY}:${S3_ROOT_SECRET_KEY}"

if [ "${S3_BACKEND}" = "garage" ]; then
    # Garage starts without a cluster layout and without keys: assign this node, then import
    # the generated root key and let it create buckets. Every step tolerates "already done".
    admin="http://s3:3903/v2"
    auth="Authorization: Bearer ${GARAGE_ADMIN_TOKEN}"
    layout=$(curl -fsS -H "$auth" "$admin/GetClusterLayout")
    if echo "$layout" | grep -q '"version":0'; then
        node=$(curl -fsS -H "$auth" "$admin/GetClusterStatus" | grep -o '"id":"[0-9a-f]\{64\}"' | head -n 1 | cut -d'"' -f4)
        [ -n "$node" ] || { echo "s3-init: no Garage node id in the cluster status" >&2; exit 1; }
        curl -fsS -H "$auth" -H 'Content-Type: application/json' -X POST "$admin/UpdateClusterLayout" \
            -d "{\"roles\":[{\"id\":\"$node\",\"zone\":\"dc1\",\"capacity\":1000000000,\"tags\":[]}]}" >/dev/null
        curl -fsS -H "$auth" -H 'Content-Type: application/json' -X POST "$admin/ApplyClusterLayout" \
            -d '{"version":1}' >/dev/null
        echo "s3-init: Garage layout applied"
    fi
    if ! curl -fsS -o /dev/null -H "$auth" "$admin/GetKeyInfo?id=${S3_ROOT_ACCESS_KEY}"; then
        curl -fsS -H "$auth" -H 'Content-Type: application/json' -X POST "$admin/ImportKey" \
            -d "{\"accessKeyId\":\"${S3_ROOT_ACCESS_KEY}\",\"secretAccessKey\":\"${S3_ROOT_SECRET_KEY}\",\"name\":\"soc-root\"}" >/dev/null
        echo "s3-init: Garage root key imported"
    fi
    curl -fsS -H "$auth" -H 'Content-Type: application/json' -X POST "$admin/UpdateKey?id=${S3_ROOT_ACCESS_KEY}" \
        -d '{"allow":{"createBucket":true}}' >/dev/null
fi

# TheHive's attachments, and the Elasticsearch snapshot repository of `cargo xtask deploy backup`.
for bucket in "${S3_BUCKET}" "${S3_SNAPSHOT_BUCKET}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "$sign" --user "$creds" -I "$s3/$bucket")
    case "$code" in
        200) echo "s3-init: bucket $bucket exists"; continue ;;
        404) ;;
        *) echo "s3-init: HEAD $s3/$bucket answered $code" >&2; exit 1 ;;
    esac
    curl -fsS --aws-sigv4 "$sign" --user "$creds" -X PUT "$s3/$bucket" >/dev/null
    echo "s3-init: bucket $bucket created"
done
