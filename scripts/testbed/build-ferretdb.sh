#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (MongoDB wire protocol on SQLite) for the test bed into $1.
# `go install ...@v1.24.2` fails twice here: the proxy refuses the deprecation lookup, and the
# module zip lacks build/version/version.txt, which FerretDB panics without. So: download the
# module through a tiny wrapper module, copy it, write the version file, and build from its own go.mod.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")/ferretdb" && pwd)"
version=v1.24.2
json="$(cd "$here" && go mod download -json "github.com/FerretDB/FerretDB@${version}")"
src="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)"
[ -d "$src" ] || { echo "FerretDB module source not found after download" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"/
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
mkdir -p "$(dirname "$out")"
if ! (cd "$work" && go build -trimpath -o "$out.tmp" ./cmd/ferretdb); then
  echo "Build with $(go version) failed; retrying with the toolchain FerretDB ${version} was built with" >&2
  (cd "$work" && GOTOOLCHAIN=go1.24.3 go build -trimpath -o "$out.tmp" ./cmd/ferretdb)
fi
mv "$out.tmp" "$out"
