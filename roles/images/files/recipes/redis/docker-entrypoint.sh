#!/bin/sh
# Entry point of the tersane Redis image: like the official image, arguments
# that start with "-" or a path ending in ".conf" are passed to redis-server.
set -e
case "$1" in
    -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data 2>/dev/null || :
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
