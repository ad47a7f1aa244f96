#!/usr/bin/env bash
# Installs the OS packages kindmap needs (PostgreSQL + PostGIS, Python venv support, npm, Chromium)
# when they are missing; otherwise says exactly what to install. Idempotent: does nothing when all
# is there.
set -euo pipefail

pg_version() {
  # The PostgreSQL major version in use: KINDMAP_PG_VERSION, else the installed server,
  # else the distribution's default (Debian 12: 15, Ubuntu 24.04: 16).
  if [ -n "${KINDMAP_PG_VERSION:-}" ]; then echo "$KINDMAP_PG_VERSION"; return; fi
  local installed
  installed=$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$installed" ]; then echo "$installed"; return; fi
  apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -1
}

missing=()
version=$(pg_version || true)
[ -n "$version" ] || { command -v apt-get >/dev/null && apt-get update -qq >/dev/null 2>&1 || true; version=$(pg_version || true); }
version=${version:-15}
[ -x "/usr/lib/postgresql/$version/bin/initdb" ] || missing+=("postgresql-$version")
[ -f "/usr/share/postgresql/$version/extension/postgis.control" ] || missing+=("postgresql-$version-postgis-3")
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv")
# The pages' front-end packages come from npm (package-lock.json); their browser tests drive
# Debian's Chromium (never a browser downloaded by Playwright).
command -v npm >/dev/null || missing+=("npm")
[ -x /usr/bin/chromium ] || missing+=("chromium")
# As root, the server runs as the postgres user through runuser (util-linux).
if [ "$(id -u)" -eq 0 ]; then command -v runuser >/dev/null || missing+=("util-linux"); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "kindmap: installing missing OS packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "kindmap: cannot install packages without root. Run:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
