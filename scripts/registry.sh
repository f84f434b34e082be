#!/bin/sh
# Starts or stops a throwaway OCI registry (Debian's docker-registry) on a loopback port.
# Usage: scripts/registry.sh start DIR [PORT] [USER PASSWORD]   prints 127.0.0.1:PORT
#        scripts/registry.sh stop DIR
# DIR holds the config, the storage and the pid file; with USER and PASSWORD the registry
# requires basic authentication (htpasswd -B, from apache2-utils).
set -eu
command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR [PORT] [USER PASSWORD]" >&2
    exit 64
fi
case "$command" in
start)
    port="${3:-5000}"
    mkdir -p "$dir/storage"
    {
        echo "version: 0.1"
        echo "log: {level: error}"
        echo "storage: {filesystem: {rootdirectory: $dir/storage}, delete: {enabled: true}}"
        echo "http: {addr: 127.0.0.1:$port}"
    } > "$dir/config.yml"
    if [ $# -ge 5 ]; then
        htpasswd -Bbn "$4" "$5" > "$dir/htpasswd"
        echo "auth: {htpasswd: {realm: modelgate, path: $dir/htpasswd}}" >> "$dir/config.yml"
    fi
    docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then echo "127.0.0.1:$port"; exit 0; fi
        sleep 0.1
    done
    echo "the registry did not start; see $dir/registry.log" >&2
    exit 3
    ;;
stop)
    if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi
    rm -f "$dir/pid"
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT] [USER PASSWORD]" >&2
    exit 64
    ;;
esac
