#!/bin/sh
# Packaging and pushing a 200 MB model artifact: modelgate vs skopeo copy of the same layout.
# Usage: benchmarks/artifacts/run.sh [MODELGATE_BINARY] [SIZE_MB]
# Needs docker-registry, skopeo and GNU time (/usr/bin/time); writes under benchmarks/results/.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
binary="$(cd "$(dirname "${1:-$root/.build/release/modelgate}")" && pwd)/$(basename "${1:-modelgate}")"
size_mb="${2:-200}"
work="$root/benchmarks/results/artifacts"
rm -rf "$work" && mkdir -p "$work"
port=$(( 20000 + $$ % 20000 ))
registry="$("$root/scripts/registry.sh" start "$work/registry" "$port")"
trap '"$root/scripts/registry.sh" stop "$work/registry"' EXIT

# A repository whose stage writes a SIZE_MB model file (random bytes: nothing to compress).
repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.email bench@example.com && git config user.name bench
cat > modelgate.yml <<YAML
name: big
stages:
  - name: train
    cmd: sh train.sh
    deps: [train.sh]
    metrics: metrics.json
    outs: [model.bin]
    timeout: 10m
gates:
  - {metric: r2, min: 0.5}
YAML
printf 'head -c %s /dev/urandom > model.bin\nprintf %s > metrics.json\n' "$((size_mb * 1048576))" "'{\"r2\": 0.9}'" > train.sh
git add -A && git commit -qm "a ${size_mb} MB model"

measure() { # label, command...
    label="$1"; shift
    /usr/bin/time -v "$@" > "$work/$label.out" 2> "$work/$label.time" || { cat "$work/$label.time" >&2; exit 1; }
    wall=$(grep "Elapsed (wall clock)" "$work/$label.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$work/$label.time" | awk '{print $NF}')
    printf '%-34s wall %-9s peak RSS %6d MiB\n' "$label" "$wall" "$((rss / 1024))"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); model ${size_mb} MiB; registry $registry"
measure "modelgate run (train + store)" "$binary" run
measure "modelgate artifact verify" "$binary" artifact verify
measure "modelgate package (OCI layout)" "$binary" package --oci "$work/layout" --ref-name v1
measure "modelgate push (package + upload)" "$binary" push "$registry/bench/modelgate:v1" --insecure
measure "modelgate push again (no upload)" "$binary" push "$registry/bench/modelgate:v1" --insecure
measure "modelgate push, other repo (mount)" "$binary" push "$registry/bench/mounted:v1" --insecure
rm -f "$repo/.git/modelgate/store/registries.json"  # forget where blobs went: a full upload again
measure "modelgate push --chunk-size 16" "$binary" push "$registry/bench/chunked:v1" --insecure --chunk-size 16
measure "skopeo copy (same layout)" skopeo copy --preserve-digests --dest-tls-verify=false \
    "oci:$work/layout:v1" "docker://$registry/bench/skopeo:v1"
measure "modelgate pull (download + verify)" "$binary" pull "$registry/bench/modelgate:v1" --to "$work/pulled" --insecure
measure "skopeo copy to a layout (pull)" skopeo copy --src-tls-verify=false \
    "docker://$registry/bench/skopeo:v1" "oci:$work/skopeo-pulled:v1"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$binary" artifact export --to "$work/exported" > /dev/null
cmp "$work/exported/model.bin" "$work/pulled/model.bin" && echo "pulled model.bin is identical to the stored one"
