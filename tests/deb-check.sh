#!/usr/bin/env bash
# Builds the .deb from a configured build directory (cpack -G DEB), installs it with dpkg -i,
# checks it like a user would (mytools --version, the mkpassword link, man -w mytools-db, a
# completion from the installed bash and fish files, the declared Depends), and removes it.
# Usage: tests/deb-check.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: tests/deb-check.sh BUILD_DIR}" && pwd)
out=$(mktemp -d /tmp/mt-deb.XXXXXX)
fail() { echo "deb-check: $*" >&2; exit 1; }

exec 9>/tmp/mytools-deb.lock   # one install of the package at a time on this machine
flock 9
cleanup() { flock /tmp/apt.lock dpkg -r mytools >/dev/null 2>&1 || true; rm -rf "$out"; }
trap cleanup EXIT

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$out"/mytools_*.deb) || fail "no .deb built"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libcurl4 libreadline8 libssl3 libsodium libyaml libcjson; do
  grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/mytools ./usr/bin/mkpassword ./usr/share/man/man1/mytools.1 \
         ./usr/share/man/man1/mytools-db.1 ./usr/share/man/man1/mkpassword.1 \
         ./usr/share/man/man5/mytools.yaml.5 ./usr/share/bash-completion/completions/mytools \
         ./usr/share/zsh/vendor-completions/_mytools \
         ./usr/share/fish/vendor_completions.d/mytools.fish; do
  grep -q " $f\( \|$\)" <<<"$contents" || fail "$f not in the package"
done

flock /tmp/apt.lock dpkg -i "$deb" >/dev/null || fail "dpkg -i failed"
/usr/bin/mytools --version | grep -q '^mytools ' || fail "mytools --version"
[ "$(/usr/bin/mkpassword --length 12 | tr -d '\n' | wc -c)" = 12 ] || fail "mkpassword link"
man -w mytools-db | grep -q '^/usr/share/man/man1/mytools-db.1' || fail "man -w mytools-db"
got=$(PATH=/usr/bin:/bin HOME="$out" bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  source /usr/share/bash-completion/completions/mytools
  COMP_LINE="mytools db to"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(mytools db to); COMP_CWORD=2
  _mytools; echo "${COMPREPLY[*]}"')
[ "$got" = token ] || fail "bash completion from the installed file gave '$got'"
# fish finds the installed file by itself (vendor_completions.d, autoloaded by command name)
got=$(PATH=/usr/bin:/bin HOME="$out" XDG_CONFIG_HOME="$out" XDG_DATA_HOME="$out" fish -c \
      'complete -C "mkpassword --ha"')
[ "$got" = --hash ] || fail "fish completion from the installed file gave '$got'"
echo "deb-check: ok ($(basename "$deb"))"
