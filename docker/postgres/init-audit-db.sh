#!/usr/bin/env bash
# Creates the audit store's own database and login role (run by the postgres image once, on an
# empty data volume). The audit store is never Airflow's metadata DB: task code must not touch
# that, and the audit rows outlive any Airflow upgrade or metadata reset.
set -eo pipefail

if [[ -z "${AUDIT_DB_NAME:-}" || -z "${AUDIT_DB_USER:-}" || -z "${AUDIT_DB_PASSWORD:-}" ]]; then
    echo "init-audit-db: AUDIT_DB_NAME, AUDIT_DB_USER and AUDIT_DB_PASSWORD must be set" >&2
    exit 1
fi

# psql variables (:"ident", :'literal') quote the names and the password safely.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v audit_db="$AUDIT_DB_NAME" -v audit_user="$AUDIT_DB_USER" \
    -v audit_password="$AUDIT_DB_PASSWORD" <<'SQL'
CREATE ROLE :"audit_user" LOGIN PASSWORD :'audit_password';
CREATE DATABASE :"audit_db" OWNER :"audit_user";
REVOKE ALL ON DATABASE :"audit_db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"audit_db" TO :"audit_user";
SQL
echo "init-audit-db: database ${AUDIT_DB_NAME} owned by ${AUDIT_DB_USER} created"
