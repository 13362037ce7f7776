#!/usr/bin/env bash
# Side-by-side benchmarks, in one run on this machine:
#   db token   — mytools (release build, cached SSO credentials, config of 2,000 databases) vs
#                `aws rds generate-db-auth-token` vs Node's @aws-sdk/rds-signer
# Prints a markdown table (median wall time, peak RSS, ratios) that README quotes.
# Usage: bash bench/run.sh [runs]     (needs hyperfine, node/npm; installs rds-signer into bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
out=$PWD/bench/out
mkdir -p "$out"

echo "building a release binary" >&2
cmake -S . -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DMT_TESTS=OFF >/dev/null
cmake --build "$out/build" -j "$(nproc)" --target mytools >/dev/null
bin=$out/build/cmd/mytools

if [ ! -d "$out/node/node_modules/@aws-sdk/rds-signer" ]; then
  echo "installing @aws-sdk/rds-signer into $out/node" >&2
  mkdir -p "$out/node"
  (cd "$out/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @aws-sdk/rds-signer >/dev/null)
fi

python3 -B bench/dbtoken.py "$bin" "$out" "$runs"
python3 -B bench/sso.py "$bin" "$runs"
python3 -B bench/assume_role.py "$bin" "$runs"
echo; echo "### mkpassword (one million 32-character passwords with symbols)"; echo; bash bench/mkpassword.sh "$bin"
