#!/bin/sh
# tools/screenshots.sh - copy the curated screenshots of the main pages, as
# the browser suite took them (build/artifacts/screenshots/, written by
# tests/browser/pages.test.mjs and friends), into clients/web/docs/screenshots/
# for clients/web/README.md. Run the suite first, e.g.
#   make test TESTS="tests/browser/pages.test.mjs tests/browser/stats.test.mjs tests/browser/danish-phone.test.mjs"
#   tools/screenshots.sh
set -eu
cd "$(dirname "$0")/.."
src=build/artifacts/screenshots
dst=clients/web/docs/screenshots
mkdir -p "$dst"
missing=0
for name in \
    tour-login-390 tour-coordinator-queue-1366 tour-coordinator-queue-390 \
    tour-coordinator-request-1366 guide-request-390 menu-open-390 \
    tour-coordinator-volunteers-1366 tour-coordinator-events-month-1366 \
    stats-analyst-1366 stats-coordinator-390 tour-guide-mine-390 \
    tour-association-referrals-390; do
    if [ -f "$src/$name.png" ]; then
        cp "$src/$name.png" "$dst/$name.png"
    else
        echo "screenshots: $src/$name.png is missing (run the browser tests first)" >&2
        missing=1
    fi
done
exit $missing
