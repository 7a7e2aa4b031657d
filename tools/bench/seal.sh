#!/bin/sh
# seal.sh - the sealer of tools/bench/data.sql (run by its \copy ... FROM
# PROGRAM): the staged plain contact details of the requests, as COPY text,
# through `kompasd seal-requests`, whose output (sealed values and blind
# indexes) goes back into the \copy. Needs the libpq environment of the
# database (PGHOST, PGDATABASE, PGUSER as the schema owner), KOMPASD (the
# binary) and KOMPAS_CRYPTO_KEY_FILE (the key file kompasd will serve with).
set -eu
: "${KOMPASD:?KOMPASD is not set}"
: "${KOMPAS_CRYPTO_KEY_FILE:?KOMPAS_CRYPTO_KEY_FILE is not set}"
psql -X -q -v ON_ERROR_STOP=1 \
    -c "COPY (SELECT id, name, phone, email, address, notes FROM bench_stage.req_plain) TO STDOUT" |
    "$KOMPASD" -c "${KOMPAS_CONFIG:-kompas.conf}" seal-requests
