#!/usr/bin/env bash
# The scale table of docs/performance.md: whole `berth check` and `berth build` processes (release
# build) of generated workspaces at each size and target, beside the parse alone (`parse` rows),
# with wall time, CPU time (user + system, and each apart) and peak resident memory from GNU time.
# Each row is the median of REPEAT runs (default 5; the peak is the largest). `own_wall` and
# `own_cpu` are the row minus the parse row of the same file: berth's own work after parsing.
#
#   bash bench/whole-process.sh [N...]        (default: 10 100 1000 10000; needs /usr/bin/time)
#   REPEAT=9 BUILD_OUT=/dev/shm bash bench/whole-process.sh 1000
#
# `build` writes under a temporary directory of BUILD_OUT (default: the system's temporary
# directory); creating thousands of files is the file system's work, so a `build` row on a disk
# and one on tmpfs (`BUILD_OUT=/dev/shm`) tell berth's share from the file system's.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000 10000)
repeat="${REPEAT:-5}"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p berth -p berth-bench
berth="$CARGO_TARGET_DIR/release/berth"
generate="$CARGO_TARGET_DIR/release/berth-generate"
[ -x /usr/bin/time ] || { echo "error: needs GNU time at /usr/bin/time" >&2; exit 2; }

work="$(mktemp -d)"
out_root="$(mktemp -d "${BUILD_OUT:-${TMPDIR:-/tmp}}/berth-bench.XXXXXX")"
trap 'rm -rf "$work" "$out_root"' EXIT

# One run of berth with the given arguments; prints "wall user sys peak_KiB". `parse` runs are
# expected to exit 1 (the stray `}`), every other run 0.
measure() {
  local expected="$1"; shift
  local status=0
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$berth" "$@" >/dev/null 2>&1 || status=$?
  [ "$status" = "$expected" ] || { echo "berth $* exited $status" >&2; exit 1; }
  rm -rf "$out_root/out"
  # The last line: GNU time first says when a command exited non-zero.
  tail -n 1 "$work/time"
}

# The median of each column of REPEAT runs (the largest peak), as "wall user sys peak_KiB".
median_of() {
  local column
  for column in 1 2 3; do
    cut -d' ' -f"$column" "$1" | sort -n | awk '{ v[NR] = $1 } END { printf "%s ", v[int((NR + 1) / 2)] }'
  done
  cut -d' ' -f4 "$1" | sort -n | tail -n 1
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), median of $repeat runs, build into $out_root"
printf '%-8s %-6s %6s %8s %8s %8s %8s %9s %9s %10s %9s\n' \
  target verb N wall_s cpu_s user_s sys_s own_wall own_cpu cpu_us/wl peak_MiB
for n in "${sizes[@]}"; do
  for target in ecs fargate eks; do
    "$generate" "$n" --target "$target" >"$work/berth.kdl"
    # The parse alone: the same file with one stray `}`, which berth reports after the parser
    # has read the whole file, and stops.
    (cat "$work/berth.kdl"; echo '}') >"$work/parse.kdl"
    parse_wall=0
    parse_cpu=0
    for verb in parse check build; do
      : >"$work/runs"
      for _ in $(seq "$repeat"); do
        case "$verb" in
          parse) measure 1 check "$work/parse.kdl" --target "$target" >>"$work/runs" ;;
          check) measure 0 check "$work/berth.kdl" --target "$target" >>"$work/runs" ;;
          build) measure 0 build "$work/berth.kdl" --target "$target" --out "$out_root/out" >>"$work/runs" ;;
        esac
      done
      read -r wall user sys peak < <(median_of "$work/runs")
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
      if [ "$verb" = parse ]; then
        parse_wall="$wall"
        parse_cpu="$cpu"
      fi
      awk -v t="$target" -v v="$verb" -v n="$n" -v w="$wall" -v c="$cpu" -v u="$user" -v s="$sys" \
        -v pw="$parse_wall" -v pc="$parse_cpu" -v m="$peak" 'BEGIN {
        printf "%-8s %-6s %6d %8.2f %8.2f %8.2f %8.2f %9.3f %9.3f %10.0f %9.1f\n",
          t, v, n, w, c, u, s, w - pw, c - pc, c * 1e6 / n, m / 1024 }'
    done
  done
done
