#!/bin/sh
# abi.sh NM LIBRARY EXPECTED - the shared library exports exactly the symbols listed in
# EXPECTED ("TYPE NAME" lines, sorted): nothing hidden leaks out, nothing public goes missing.
set -eu
nm=$1 lib=$2 expected=$3
actual=$("$nm" -D --defined-only "$lib" | awk '{print $2, $3}' | LC_ALL=C sort)
if ! printf '%s\n' "$actual" | diff -u "$expected" -; then
    echo "abi: the exported symbols of $lib differ from $expected (- expected, + actual)" >&2
    exit 1
fi
echo "abi: $(printf '%s\n' "$actual" | wc -l) exported symbols, as expected"
