#!/usr/bin/env bash
# Side-by-side benchmarks, in one run on this machine:
#   db token   — mytools (release build, cached SSO credentials, config of 2,000 databases) vs
#                `aws rds generate-db-auth-token` vs Node's @aws-sdk/rds-signer vs Go's
#                aws-sdk-go-v2 feature/rds/auth.BuildAuthToken (the seed design)
#   scale      — warm db token with 20 / 2,000 / 20,000 databases; 100,000 credentials sections
# Prints a markdown table (median wall time, peak RSS, ratios) that README quotes.
# Usage: bash bench/run.sh [runs]     (needs hyperfine, node/npm, go; installs rds-signer into bench/out)
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

# the Go peer (the seed's own design), built offline from Debian's Go packages
gobin=$out/go/token
if [ ! -x "$gobin" ] || [ bench/go/token.go -nt "$gobin" ]; then
  echo "building the Go peer (aws-sdk-go-v2 BuildAuthToken)" >&2
  mkdir -p "$out/go/gopath/src/mttoken"
  cp bench/go/token.go "$out/go/gopath/src/mttoken/main.go"
  (cd "$out/go/gopath/src/mttoken" && GO111MODULE=off GOPATH="$out/go/gopath:/usr/share/gocode" \
     GOCACHE="$out/go/cache" GOFLAGS= go build -o "$gobin" .)
fi

python3 -B bench/dbtoken.py "$bin" "$out" "$runs" "$gobin"
python3 -B bench/scale.py "$bin" "$runs"
python3 -B bench/sso.py "$bin" "$runs"
python3 -B bench/assume_role.py "$bin" "$runs"
echo; echo "### mkpassword (one million 32-character passwords with symbols)"; echo; bash bench/mkpassword.sh "$bin"
