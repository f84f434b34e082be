#!/usr/bin/env bash
# Builds the libFuzzer executables (Fuzz/<Name>/main.swift) once, with AddressSanitizer, then runs
# each target for FUZZ_SECONDS on a working copy of its corpus, and stops at the first crash,
# trap, leak, timeout or memory blow-up with the reproducer and the command that replays it.
#
#   scripts/fuzz.sh [TARGET...]      all targets under Fuzz/ when none is named
#
# FUZZ_SECONDS (60) per target; FUZZ_TIMEOUT (10) seconds for one input before it counts as a
# hang; FUZZ_RSS_MB (2048) memory limit. The committed seeds (Fuzz/corpus/<Name>/,
# Fuzz/regressions/<Name>/) are only read: new inputs go to .build-fuzz/corpus/<Name>/, which
# later runs reuse, and findings to .build-fuzz/artifacts/<Name>/.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
scratch=.build-fuzz

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for main in Fuzz/*/main.swift; do
        name=${main#Fuzz/}
        targets+=("${name%/main.swift}")
    done
fi

# SwiftPM's --sanitize fuzzer builds executables as libraries, so that libFuzzer's main is the
# entry. AddressSanitizer comes through -Xswiftc and -Xcc rather than a second --sanitize:
# SwiftPM would pass the two as separate -sanitize= flags in no fixed order, swiftc keeps only
# the last, and every reordering would also rebuild everything. Dead-code stripping must stay
# off or the linker drops the coverage counters.
build=(env MODELGATE_FUZZ=1 "$SWIFT" build -c release --scratch-path "$scratch" --sanitize fuzzer
    -Xswiftc "-sanitize=fuzzer,address" -Xcc -fsanitize=address --disable-dead-strip)
mkdir -p "$scratch"
started=$SECONDS
for target in "${targets[@]}"; do
    if ! "${build[@]}" --product "Fuzz$target" >"$scratch/build.log" 2>&1; then
        grep -v 'Cannot export local symbol' "$scratch/build.log" | tail -40 >&2
        echo "fuzz: building Fuzz$target failed (log: $scratch/build.log)" >&2
        exit 1
    fi
done
# Both instrumentations in every parser's module, or the run would be blind (no coverage) or
# miss memory errors (no ASan) without saying so.
for module in Artifacts GitKit Learning Pipeline Yams; do
    symbols=$(nm "$scratch/release/$module.build/"*.o 2>/dev/null)
    if ! grep -q __sancov <<<"$symbols" || ! grep -q __asan_report <<<"$symbols"; then
        echo "fuzz: $module was built without coverage or AddressSanitizer instrumentation" >&2
        exit 1
    fi
done
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - started)) s; ${seconds} s each"

# Swift's own crash handler would fight libFuzzer's; ASan reports a Swift trap (SIGILL) with its
# stack; leaks in the toolchain's own libraries are suppressed by name (Fuzz/lsan-suppressions.txt).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=handle_sigill=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/Fuzz/lsan-suppressions.txt:print_suppressions=0
# The entries' scratch files go to a directory of this run, in memory when /dev/shm is there
# (disk metadata operations would otherwise dominate the tar and CSV targets), removed at the end
# even when a finding stopped a target before it could clean up.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-fuzz.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export TIMEFORMAT='%U %S'

# A figure from libFuzzer's closing statistics (-print_final_stats) in $log.
final() { sed -n "s/^stat::$1: *//p" "$log"; }

summary=()
for target in "${targets[@]}"; do
    binary=$scratch/release/Fuzz$target
    corpus=$scratch/corpus/$target
    artifacts=$scratch/artifacts/$target
    log=$scratch/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    seeds=("Fuzz/corpus/$target")
    [ -d "Fuzz/regressions/$target" ] && seeds+=("Fuzz/regressions/$target")
    options=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -print_final_stats=1
        -artifact_prefix="$artifacts/")
    [ -f "Fuzz/dict/$target.dict" ] && options+=(-dict="Fuzz/dict/$target.dict")
    echo "fuzz: $target …"
    status=0
    { time "$binary" "${options[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1; } 2>"$log.time" || status=$?
    read -r user system <"$log.time"
    summary+=("$(printf '%-13s %10s %8s %8s %6s %7s' "$target" "$(final number_of_executed_units)" \
        "$(final average_exec_per_sec)" "$(awk "BEGIN { print $user + $system }")" \
        "$(final new_units_added)" "$(final peak_rss_mb)")")
    if [ "$status" -ne 0 ]; then
        finding=$(sed -n "s/.*Test unit written to //p" "$log" | tail -1)
        grep -v '^0x\|^[[:space:]]*$' "$log" | tail -45 | "$SWIFT" demangle --simplified >&2
        echo >&2
        echo "fuzz: $target failed (exit $status); full log: $log" >&2
        if [ -n "$finding" ]; then
            echo "  reproducer: $finding" >&2
            echo "  replay:     SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=handle_sigill=1 $binary $finding" >&2
            echo "  minimise:   SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=handle_sigill=1 $binary -minimize_crash=1" \
                "-runs=100000 -timeout=$timeout -exact_artifact_path=Fuzz/regressions/$target/NAME $finding" >&2
            echo "  then keep Fuzz/regressions/$target/NAME (a name that says what it breaks) with the fix" >&2
        fi
        exit 1
    fi
done

echo
echo "target            execs   exec/s  cpu (s)    new  rss MB"
printf '%s\n' "${summary[@]}"
