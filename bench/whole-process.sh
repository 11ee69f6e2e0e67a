#!/usr/bin/env bash
# The scale table of docs/performance.md: whole `berth check` and `berth build` processes (release
# build) of generated workspaces at each size and target, with wall time, CPU time (user +
# system, and each apart: `build`'s system time is mostly the file system creating one file per
# artifact) and peak resident memory from GNU time, beside the parse alone (`parse` rows). One
# run each; CPU time is the figure to compare on a shared machine.
#
#   bash bench/whole-process.sh [N...]        (default: 10 100 1000 10000; needs /usr/bin/time)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000 10000)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p berth -p berth-bench
berth="$CARGO_TARGET_DIR/release/berth"
generate="$CARGO_TARGET_DIR/release/berth-generate"
[ -x /usr/bin/time ] || { echo "error: needs GNU time at /usr/bin/time" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-6s %6s %9s %9s %8s %8s %10s %9s\n' target verb N wall_s cpu_s user_s sys_s cpu_us/wl peak_MiB
for n in "${sizes[@]}"; do
  for target in ecs fargate eks; do
    "$generate" "$n" --target "$target" >"$work/berth.kdl"
    # The parse alone: the same file with one stray `}`, which berth reports after the parser
    # has read the whole file, and stops.
    (cat "$work/berth.kdl"; echo '}') >"$work/parse.kdl"
    for verb in parse check build; do
      extra=()
      [ "$verb" = build ] && extra=(--out "$work/out")
      if [ "$verb" = parse ]; then
        status=0
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
          "$berth" check "$work/parse.kdl" --target "$target" >/dev/null 2>&1 || status=$?
        [ "$status" = 1 ] || { echo "the parse-only run exited $status ($target, $n)" >&2; exit 1; }
      else
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
          "$berth" "$verb" "$work/berth.kdl" --target "$target" "${extra[@]}" >/dev/null 2>&1 || {
          echo "berth $verb failed on the generated workspace ($target, $n)" >&2; exit 1; }
      fi
      # The last line: GNU time first says when a command exited non-zero.
      tail -n 1 "$work/time" | awk -v t="$target" -v v="$verb" -v n="$n" '{ c = $2 + $3;
        printf "%-8s %-6s %6d %9.2f %9.3f %8.2f %8.2f %10.0f %9.1f\n", t, v, n, $1, c, $2, $3, c * 1e6 / n, $4 / 1024 }'
      rm -rf "$work/out"
    done
  done
done
