#!/bin/sh
# Run once by the postgis image when it initialises its data directory (docker-entrypoint-initdb.d),
# as the image's superuser (POSTGRES_USER: kindmap_admin, used for nothing else): kindmap's owner
# role and API role, the owner's database and its PostGIS — README's "An external PostGIS" set-up.
# `kindmap demo` (or `kindmap db upgrade`) then migrates as the owner and grants the API role
# exactly what it may do (store/privileges.py); `kindmap serve` connects as the API role.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
    -v owner="$KINDMAP_OWNER" -v owner_password="$KINDMAP_OWNER_PASSWORD" \
    -v api="$KINDMAP_API_ROLE" -v api_password="$KINDMAP_API_PASSWORD" \
    -v database="$KINDMAP_DATABASE" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"api" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'api_password';
CREATE DATABASE :"database" OWNER :"owner";
\connect :"database"
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
