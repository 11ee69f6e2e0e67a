#!/usr/bin/env bash
# berth's own work at one size, finer than GNU time's 10 ms steps: the CPU time (`perf stat`'s
# task-clock, every thread) of whole `berth` processes (release build), the parse alone, `check`
# and `build` (into tmpfs), each target's three commands interleaved RUNS times so that a busy
# neighbour slows them alike; prints the median and quartiles of each and the command's median
# minus the parse's: berth's own work (the 50 ms goal of docs/performance.md).
#
#   bash bench/own-work.sh [N] [RUNS]        (defaults: 1000 workloads, 21 runs; needs perf)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-1000}"
runs="${2:-21}"
command -v perf >/dev/null || { echo "error: needs perf (linux-perf)" >&2; exit 2; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p berth -p berth-bench
berth="$CARGO_TARGET_DIR/release/berth"
generate="$CARGO_TARGET_DIR/release/berth-generate"

work="$(mktemp -d)"
out_root="$(mktemp -d "${BUILD_OUT:-/dev/shm}/berth-own.XXXXXX")"
trap 'rm -rf "$work" "$out_root"' EXIT

# The CPU milliseconds of one berth run with the given arguments.
cpu_ms() {
  perf stat -x, -e task-clock -o "$work/stat" "$berth" "$@" >/dev/null 2>&1 </dev/null || true
  rm -rf "$out_root/out"
  grep task-clock "$work/stat" | cut -d, -f1
}

# "median p25 p75" of the numbers in a file.
quartiles() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR / 4) + 1], v[int(3 * NR / 4) + 1] }'
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $n workloads, $runs runs each, CPU ms (task-clock)"
printf '%-8s %-6s %8s %8s %8s %8s\n' target verb median p25 p75 own
for target in ecs fargate eks; do
  "$generate" "$n" --target "$target" >"$work/berth.kdl"
  (cat "$work/berth.kdl"; echo '}') >"$work/parse.kdl"
  : >"$work/parse" ; : >"$work/check" ; : >"$work/build"
  for _ in $(seq "$runs"); do
    cpu_ms check "$work/parse.kdl" --target "$target" >>"$work/parse"
    cpu_ms check "$work/berth.kdl" --target "$target" >>"$work/check"
    cpu_ms build "$work/berth.kdl" --target "$target" --out "$out_root/out" >>"$work/build"
  done
  read -r parse_median _ < <(quartiles "$work/parse")
  for verb in parse check build; do
    read -r median p25 p75 < <(quartiles "$work/$verb")
    awk -v t="$target" -v v="$verb" -v m="$median" -v a="$p25" -v b="$p75" -v p="$parse_median" \
      'BEGIN { printf "%-8s %-6s %8.1f %8.1f %8.1f %8.1f\n", t, v, m, a, b, m - p }'
  done
done
