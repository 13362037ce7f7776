#!/usr/bin/env bash
# README quick start, command 1: installs what is missing, builds mytools, and runs the main job
# against the local AWS emulator (moto, request signatures checked like AWS).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMT_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target mytools >/dev/null
exec python3 -B tests/demo.py build/cmd/mytools
