#!/usr/bin/env bash
# Entry point of the tersane PostgreSQL image.
#
# On first start (no PG_VERSION in $PGDATA) it creates the cluster with the
# superuser POSTGRES_USER / POSTGRES_PASSWORD, the database POSTGRES_DB, runs
# /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz against a server that listens
# on its unix socket only, stops that server and then starts the real one.
# Each POSTGRES_* variable may be given as *_FILE instead (a mounted secret).
set -Eeuo pipefail

read_env() {
    local var="$1" default="${2:-}" file_var="${1}_FILE"
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        echo "error: both $var and $file_var are set; set only one" >&2
        exit 1
    fi
    local value="$default"
    if [ -n "${!var:-}" ]; then
        value="${!var}"
    elif [ -n "${!file_var:-}" ]; then
        value="$(< "${!file_var}")"
    fi
    export "$var"="$value"
    unset "$file_var"
}

run_init_files() {
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then echo "init: running $f"; "$f"
                else
                    echo "init: sourcing $f"
                    # shellcheck source=/dev/null # init scripts are the operator's
                    . "$f"
                fi ;;
            *.sql)    echo "init: applying $f"; psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) echo "init: applying $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" ;;
            */\*)     ;;
            *)        echo "init: ignoring $f" ;;
        esac
    done
}

initialise() {
    read_env POSTGRES_USER postgres
    read_env POSTGRES_PASSWORD
    read_env POSTGRES_DB "$POSTGRES_USER"
    read_env POSTGRES_INITDB_ARGS
    local auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
        echo "error: the database is not initialised and POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words by contract
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host="$auth" $POSTGRES_INITDB_ARGS
    printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
    export PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD"
    if [ "$POSTGRES_DB" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
    fi
    run_init_files
    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGUSER PGPASSWORD
    echo "init: done"
}

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA"
        chown -R postgres:postgres "$PGDATA"
        chmod 700 "$PGDATA"
        exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA" 2>/dev/null || :
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        initialise
    fi
fi

exec "$@"
