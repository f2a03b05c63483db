#!/bin/sh
# On a machine WITH internet access: everything needed to install the cockpit on servers without
# it (a 政务 intranet), for x86-64 and aarch64 alike. Every pinned package has wheels for both, so
# nothing is compiled on the server.
#
#   deploy/offline/make-bundle.sh [OUT_DIR]     → OUT_DIR/cockpit-<version>-offline.tar.gz
#
# The bundle holds the committed code (git archive: no data, keys or .venv) and
# wheelhouse/<arch>/ with the wheels of requirements.txt for CPython 3.11 (Debian 12's python3).
# Copy it to the server and run deploy/offline/install.sh there (docs/operations.md).
set -eu
cd "$(dirname "$0")/../.."
out=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
version=$(git describe --always --dirty 2>/dev/null || date +%Y%m%d)
name="cockpit-$version"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
git archive HEAD | tar -x -C "$stage/$name"
for arch in x86_64 aarch64; do
    # glibc 2.17 (manylinux2014) up to Debian 12's 2.36
    platforms=$(for v in $(seq 17 36); do printf -- '--platform manylinux_2_%s_%s ' "$v" "$arch"; done)
    # shellcheck disable=SC2086
    python3 -m pip download --disable-pip-version-check --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
        $platforms --platform "manylinux2014_$arch" \
        -r requirements.txt -d "$stage/$name/wheelhouse/$arch"
done
tar -czf "$out/$name-offline.tar.gz" -C "$stage" "$name"
echo "$out/$name-offline.tar.gz"
