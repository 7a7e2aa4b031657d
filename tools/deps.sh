#!/usr/bin/env bash
# deps.sh - install the Debian packages Kompas needs to build, run and test,
# but only those missing. Uses sudo when not root.
set -euo pipefail

pkgs=(build-essential pkg-config libmicrohttpd-dev libpq-dev libjansson-dev libsodium-dev libcurl4-openssl-dev libgnutls28-dev
      postgresql postgresql-client libcmocka-dev nodejs npm wrk curl clang-format valgrind
      jq clang libclang-rt-14-dev libseccomp-dev openssl chromium python3 python3-aiosmtpd)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from elsewhere (a newer Node on PATH): accept that.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    filtered=()
    for p in "${missing[@]}"; do
        case "$p" in nodejs|npm) ;; *) filtered+=("$p") ;; esac
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "deps: installing ${missing[*]}"
# Kompas runs its own private clusters: do not let the package create and
# start a system-wide one.
if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    "${sudo[@]:-env}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${sudo[@]:-env}" tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
