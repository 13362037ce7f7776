#!/usr/bin/env bash
# Installs the Debian packages mytools builds and tests with. Idempotent: apt runs only when
# something is missing. Needs root (as on the project's machines) or sudo.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config clang
  libssl-dev libcurl4-openssl-dev libyaml-dev libcjson-dev libsodium-dev libreadline-dev
  libcmocka-dev
  faketime pwgen hyperfine time xclip xvfb mandoc openssl strace
  valgrind libclang-rt-14-dev util-linux golang-go golang-github-aws-aws-sdk-go-v2-dev
  postgresql mariadb-server mariadb-client
  dnsmasq-base dnsutils iproute2 util-linux
  redis-server redis-tools
  python3
  bash-completion zsh fish man-db dpkg-dev
  tmux
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The oracles the tests compare against live in the machine image's Python: botocore (the `aws`
# CLI v1) and moto_server. They cannot be installed here (no PyPI), only checked.
python3 -c 'import botocore, moto' || { echo "setup: python3 needs botocore and moto" >&2; exit 1; }
command -v moto_server >/dev/null || { echo "setup: moto_server not on PATH" >&2; exit 1; }
command -v aws >/dev/null || { echo "setup: the aws CLI is not on PATH" >&2; exit 1; }
