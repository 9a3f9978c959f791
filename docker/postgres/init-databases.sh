#!/usr/bin/env bash
# Creates, or brings up to date, the two application databases and their login roles:
#   AIRFLOW_DB_NAME owned by AIRFLOW_DB_USER  - Airflow's metadata DB and the Celery result backend
#   AUDIT_DB_NAME   owned by AUDIT_DB_USER    - the audit store (never Airflow's metadata DB: task
#                                               code must not touch that, and audit rows outlive
#                                               any Airflow upgrade or metadata reset)
# Both roles are plain logins: no superuser, no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS; each
# owns its own database only, and PUBLIC may not connect to either, so neither role reaches the
# other's data. The PostgreSQL superuser (POSTGRES_USER) is used by this script alone.
#
# Idempotent: docker-compose's one-shot `postgres-init` service runs it on every `up`, so a
# database volume from an earlier deployment, an interrupted earlier run and a changed password in
# .env are all brought to this state; a second run changes nothing. Connection settings come from
# the usual libpq variables (PGHOST, PGPORT, PGPASSWORD).
set -euo pipefail

for name in POSTGRES_USER POSTGRES_DB AIRFLOW_DB_NAME AIRFLOW_DB_USER AIRFLOW_DB_PASSWORD \
    AUDIT_DB_NAME AUDIT_DB_USER AUDIT_DB_PASSWORD; do
    if [[ -z "${!name:-}" ]]; then
        echo "init-databases: ${name} must be set" >&2
        exit 1
    fi
done
if [[ "$AIRFLOW_DB_USER" == "$POSTGRES_USER" || "$AUDIT_DB_USER" == "$POSTGRES_USER" ||
    "$AIRFLOW_DB_USER" == "$AUDIT_DB_USER" || "$AIRFLOW_DB_NAME" == "$AUDIT_DB_NAME" ||
    "$AIRFLOW_DB_NAME" == "$POSTGRES_DB" || "$AUDIT_DB_NAME" == "$POSTGRES_DB" ]]; then
    echo "init-databases: the Airflow and audit roles and databases must be distinct from each" \
        "other and from the superuser's (${POSTGRES_USER}, ${POSTGRES_DB})" >&2
    exit 1
fi

# One statement at a time, each safe to repeat: CREATE only what is missing (\gexec runs the
# generated statement; CREATE DATABASE cannot run inside a DO block), then ALTER to the wanted
# state. psql variables (:"ident", :'literal') quote names and passwords; nothing is echoed.
ensure() {
    local db="$1" user="$2" password="$3"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v db="$db" -v user="$user" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"user";
SQL
    echo "init-databases: database ${db} owned by ${user} (no superuser rights), up to date"
}

ensure "$AIRFLOW_DB_NAME" "$AIRFLOW_DB_USER" "$AIRFLOW_DB_PASSWORD"
ensure "$AUDIT_DB_NAME" "$AUDIT_DB_USER" "$AUDIT_DB_PASSWORD"
