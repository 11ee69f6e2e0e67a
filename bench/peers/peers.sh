#!/usr/bin/env bash
# Side by side with the peers: installs the AWS CDK app and the cdk8s app (cdk-app.js,
# cdk8s-app.js) into a temporary directory with npm, then synthesises each at N services next to
# `berth build` of a generated workspace of the same N, in one run, and prints times, peak memory
# and ratios. Nothing it installs or writes is kept.
#
#   bash bench/peers/peers.sh [N...]        (default: 200 1000; needs node, npm and the npm registry)
#
# The berth binary is built in release first (cargo build --release -p berth -p berth-bench).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 1000)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p berth -p berth-bench
berth="$CARGO_TARGET_DIR/release/berth"
generate="$CARGO_TARGET_DIR/release/berth-generate"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/cdk-app.js" "$here/cdk8s-app.js" "$work/"
(
  cd "$work"
  npm init -y >/dev/null
  npm install --silent --no-audit --no-fund --save-exact \
    aws-cdk-lib@2.276.0 constructs@10.8.1 cdk8s@2.70.106 cdk8s-plus-32@2.5.92 >/dev/null
)

# Runs a command and prints "wall-seconds cpu-seconds peak-MiB". CPU time (user + system, every
# thread) is what the ratios use: on a shared machine the wall time is mostly waiting for a core.
measure() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      cat "$work/stderr" >&2; return 1; }
    awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }' "$work/time"
  else
    local TIMEFORMAT='%R %U %S'
    { time "$@" >/dev/null 2>"$work/stderr"; } 2>"$work/time" || { cat "$work/stderr" >&2; return 1; }
    awk '{ printf "%.2f %.2f ?\n", $1, $2 + $3 }' "$work/time"
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

row() {
  printf '%-6s %-31s %6s %6s %5s   %-28s %6s %6s %5s %7s\n' "$@"
}

echo "node $(node --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); one run each"
echo "wall and CPU (user + system) seconds, peak MiB; the ratio is peer CPU / berth CPU"
row N peer wall cpu MiB berth wall cpu MiB ratio
for n in "${sizes[@]}"; do
  "$generate" "$n" --target fargate >"$work/fargate.kdl"
  "$generate" "$n" --target eks >"$work/eks.kdl"
  read -r cdk_w cdk_c cdk_m < <(cd "$work" && N="$n" OUT="$work/cdk.out" measure node cdk-app.js)
  read -r fg_w fg_c fg_m < <(measure "$berth" build "$work/fargate.kdl" --out "$work/berth-fargate")
  row "$n" "cdk synth (VPC, ALB, Fargate)" "$cdk_w" "$cdk_c" "$cdk_m" \
    "berth build --target fargate" "$fg_w" "$fg_c" "$fg_m" "$(ratio "$cdk_c" "$fg_c")"
  read -r k8s_w k8s_c k8s_m < <(cd "$work" && N="$n" OUT="$work/dist" measure node cdk8s-app.js)
  read -r eks_w eks_c eks_m < <(measure "$berth" build "$work/eks.kdl" --out "$work/berth-eks")
  row "$n" "cdk8s synth (Deploy, Svc, HPA)" "$k8s_w" "$k8s_c" "$k8s_m" \
    "berth build --target eks" "$eks_w" "$eks_c" "$eks_m" "$(ratio "$k8s_c" "$eks_c")"
  rm -rf "$work/cdk.out" "$work/dist" "$work/berth-fargate" "$work/berth-eks"
done
