#!/usr/bin/env bash
# berth's own work at one size, finer than GNU time's 10 ms steps: the CPU time (`perf stat`'s
# task-clock, every thread) and the wall time (its duration_time) of whole `berth` processes
# (release build), the parse alone, `check` and `build` (into tmpfs), each target's three
# commands interleaved RUNS times so that a busy neighbour slows them alike; prints the median
# and quartiles of each and the command's median minus the parse's: berth's own work (the 50 ms
# goal of docs/performance.md), in CPU and in wall time.
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

# "CPU-ms wall-ms" of one berth run with the given arguments.
measure() {
  perf stat -x, -e task-clock,duration_time -o "$work/stat" "$berth" "$@" >/dev/null 2>&1 \
    </dev/null || true
  rm -rf "$out_root/out"
  awk -F, '$3 == "task-clock" { cpu = $1 } $3 == "duration_time" { wall = $1 / 1e6 }
    END { printf "%.2f %.2f\n", cpu, wall }' "$work/stat"
}

# "median p25 p75" of the numbers in a file.
quartiles() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR / 4) + 1], v[int(3 * NR / 4) + 1] }'
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $n workloads, $runs runs each"
echo "CPU ms (task-clock, every thread) | wall ms (duration_time); own = median - the parse's median"
printf '%-8s %-6s %7s %7s %7s %7s | %7s %7s %7s %7s\n' target verb median p25 p75 own \
  median p25 p75 own
for target in ecs fargate eks; do
  "$generate" "$n" --target "$target" >"$work/berth.kdl"
  (cat "$work/berth.kdl"; echo '}') >"$work/parse.kdl"
  : >"$work/parse" ; : >"$work/check" ; : >"$work/build"
  for _ in $(seq "$runs"); do
    measure check "$work/parse.kdl" --target "$target" >>"$work/parse"
    measure check "$work/berth.kdl" --target "$target" >>"$work/check"
    measure build "$work/berth.kdl" --target "$target" --out "$out_root/out" >>"$work/build"
  done
  for verb in parse check build; do
    cut -d' ' -f1 "$work/$verb" >"$work/$verb.cpu"
    cut -d' ' -f2 "$work/$verb" >"$work/$verb.wall"
  done
  read -r parse_cpu _ < <(quartiles "$work/parse.cpu")
  read -r parse_wall _ < <(quartiles "$work/parse.wall")
  for verb in parse check build; do
    read -r cpu cpu25 cpu75 < <(quartiles "$work/$verb.cpu")
    read -r wall wall25 wall75 < <(quartiles "$work/$verb.wall")
    awk -v t="$target" -v v="$verb" -v m="$cpu" -v a="$cpu25" -v b="$cpu75" -v p="$parse_cpu" \
      -v w="$wall" -v c="$wall25" -v d="$wall75" -v q="$parse_wall" \
      'BEGIN { printf "%-8s %-6s %7.1f %7.1f %7.1f %7.1f | %7.1f %7.1f %7.1f %7.1f\n",
        t, v, m, a, b, m - p, w, c, d, w - q }'
  done
done
