#!/usr/bin/env bash
# test.sh BUILD - run every test: the C unit tests (cmocka), then the
# black-box API tests (node --test) against kompasd from BUILD and a
# throwaway PostgreSQL cluster made here and removed afterwards.
#   VALGRIND=1  run the unit tests and kompasd under valgrind
#   KOMPAS_HTTP_MODE=events  run the API tests' kompasd with event-loop
#               workers instead of kompas.conf's mode (every KOMPAS_*
#               setting in the environment reaches the kompasd the tests
#               start, unless a test sets it itself)
# Prints a closing line "total: N passed, M failed"; exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
passed=0
failed=0
status=0

vg=()
if [ "${VALGRIND:-}" = 1 ]; then
    vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
        --errors-for-leak-kinds=definite,indirect --suppressions=tools/valgrind.supp)
fi

echo "== unit tests ($build)"
# Run cmocka binaries and add their counts to the totals.
run_cmocka() {
    local t out rc p f
    for t in "$@"; do
        [ -x "$t" ] || continue
        # a unit test that hangs fails after 5 minutes instead of holding CI
        out=$(timeout 300 "${vg[@]}" "$t" 2>&1)
        rc=$?
        printf '%s\n' "$out" | grep -v '^{"time"'
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        if [ $rc -ne 0 ]; then
            status=1
            [ -n "$f" ] || failed=$((failed + 1))
        fi
    done
}
run_cmocka "$build"/tests/test_*

tmp=$(mktemp -d /tmp/kompas-test-XXXXXX)
chmod 755 "$tmp"
cleanup() {
    tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! tools/pgcluster.sh init "$tmp/pg" --fast || ! tools/pgcluster.sh start "$tmp/pg"; then
    echo "test: could not start PostgreSQL" >&2
    echo "total: $passed passed, $((failed + 1)) failed"
    exit 1
fi
tools/pgcluster.sh createdb "$tmp/pg" kompas

sock=$(tools/pgcluster.sh socket "$tmp/pg")
# kompasd's own unprivileged role, and the owner for migrations and fixtures.
export KOMPAS_TEST_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_TEST_OWNER_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
(umask 077; "$build/kompasd" gen-keyfile > "$tmp/kompas.key")
export KOMPAS_CRYPTO_KEY_FILE="$tmp/kompas.key"
echo "== database tests"
run_cmocka "$build"/tests/db/test_*

echo "== API tests ($build/kompasd)"
KOMPAS_DATABASE_MIGRATE_CONNINFO="$KOMPAS_TEST_OWNER_CONNINFO" "$build/kompasd" -c kompas.conf migrate ||
    { echo "test: migrations failed" >&2; echo "total: $passed passed, $((failed + 1)) failed"; exit 1; }
if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules ]; then
    (cd tests && npm ci --no-audit --no-fund --loglevel=error) || { echo "test: npm ci failed" >&2; exit 1; }
fi

export KOMPASD="$PWD/$build/kompasd"
export KOMPAS_TEST_PGDIR="$tmp/pg"
export KOMPAS_TEST_TMP="$tmp"
[ "${VALGRIND:-}" = 1 ] && export KOMPAS_TEST_WRAPPER="${vg[*]}"
out="$tmp/node-test.out"
# TESTS="tests/api/a.test.mjs ..." runs only those files (make test TESTS=...).
# One file at a time (the default on a 2-CPU machine anyway): the files
# share one database, and some (keys.test.mjs: rotate-keys re-seals every
# row) must not see another file's fixtures half-made.
node --test --test-concurrency=1 --test-reporter=spec ${TESTS:-tests/api/*.test.mjs tests/browser/*.test.mjs} 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
p=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$out" | tail -n 1)
f=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$out" | tail -n 1)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ "$rc" -ne 0 ]; then
    status=1
    [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
fi

echo "total: $passed passed, $failed failed"
exit $status
