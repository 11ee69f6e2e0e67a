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

# Runs a command and prints "seconds peak-MiB": GNU time when installed, else the shell's clock.
measure() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      cat "$work/stderr" >&2; return 1; }
    awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
  else
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f ?\n", e - s }'
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }'; }

echo "node $(node --version), $(nproc) cores; seconds and peak MiB of one run each"
printf '%-7s %-34s %8s %8s   %-30s %8s %8s %8s\n' N "peer" s MiB "berth" s MiB ratio
for n in "${sizes[@]}"; do
  "$generate" "$n" --target fargate >"$work/fargate.kdl"
  "$generate" "$n" --target eks >"$work/eks.kdl"
  read -r cdk_s cdk_m < <(cd "$work" && N="$n" OUT="$work/cdk.out" measure node cdk-app.js)
  read -r fg_s fg_m < <(measure "$berth" build "$work/fargate.kdl" --out "$work/berth-fargate")
  printf '%-7s %-34s %8s %8s   %-30s %8s %8s %8s\n' "$n" "cdk synth (VPC, ALB, Fargate)" "$cdk_s" "$cdk_m" \
    "berth build --target fargate" "$fg_s" "$fg_m" "$(ratio "$cdk_s" "$fg_s")"
  read -r k8s_s k8s_m < <(cd "$work" && N="$n" OUT="$work/dist" measure node cdk8s-app.js)
  read -r eks_s eks_m < <(measure "$berth" build "$work/eks.kdl" --out "$work/berth-eks")
  printf '%-7s %-34s %8s %8s   %-30s %8s %8s %8s\n' "$n" "cdk8s synth (Deploy, Svc, HPA)" "$k8s_s" "$k8s_m" \
    "berth build --target eks" "$eks_s" "$eks_m" "$(ratio "$k8s_s" "$eks_s")"
  rm -rf "$work/cdk.out" "$work/dist" "$work/berth-fargate" "$work/berth-eks"
done
