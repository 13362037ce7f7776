#!/usr/bin/env bash
# mkpassword -n 1000000 -l 32 -s against pwgen -sy 32 1000000 and openssl rand (similar output
# size), side by side with hyperfine. Usage: bash bench/mkpassword.sh BIN
set -euo pipefail
bin=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
hyperfine -N --warmup 1 --runs 3 --export-json "$out" \
  "$bin mkpassword -n 1000000 -l 32 -s" "pwgen -sy 32 1000000" "openssl rand -base64 24000000" \
  >/dev/null 2>&1
python3 - "$out" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"]
ours = statistics.median(r[0]["times"])
print("| command | median wall | mkpassword is faster by |\n|---|---|---|")
for x in r:
    m = statistics.median(x["times"])
    print("| `%s` | %.0f ms | %s |" % (x["command"].split("/")[-1] if x is r[0] else x["command"],
                                   m * 1000, "—" if x is r[0] else "%.1f×" % (m / ours)))
PY
