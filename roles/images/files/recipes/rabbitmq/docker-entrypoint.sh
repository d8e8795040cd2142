#!/usr/bin/env bash
# Entry point of the tersane RabbitMQ image, like the official one: started as
# root with a rabbitmq* command it fixes the data directory's owner and drops to
# the rabbitmq user; long host names switch on RABBITMQ_USE_LONGNAME.
#
# The Erlang cookie is $HOME/.erlang.cookie. When none is there (nor mounted),
# one is generated from /dev/urandom at first start, readable by rabbitmq only.
set -euo pipefail

if [[ "${1:-}" == rabbitmq* ]] && [ "$(id -u)" = 0 ]; then
    if [ "$1" = rabbitmq-server ]; then
        find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' + 2>/dev/null || :
    fi
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ -z "${RABBITMQ_USE_LONGNAME:-}" ] && [ "$(hostname)" != "$(hostname -s)" ]; then
    export RABBITMQ_USE_LONGNAME=true
fi

cookie="${HOME:-/var/lib/rabbitmq}/.erlang.cookie"
if [ "${1:-}" = rabbitmq-server ] && [ ! -e "$cookie" ] && [ -z "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
    (umask 0377 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$cookie")
fi

exec "$@"
