#!/bin/sh
# readme_example.sh - compiles the C example in README.md and checks it prints what the README
# says it prints. Usage: readme_example.sh README.md INCLUDE_DIR STATIC_LIB CC
set -eu
readme=$1 incdir=$2 lib=$3 cc=$4 sanitize=${5:-none}
san=""
[ "$sanitize" = none ] || san="-fsanitize=$sanitize"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The example is the ```c block and the expected output the ```text block between the markers.
sed -n '/<!-- readme-example: begin -->/,/<!-- readme-example: end -->/p' "$readme" >"$tmp/section"
awk '/^```c$/{on=1;next} /^```$/{on=0} on' "$tmp/section" >"$tmp/example.c"
awk '/^```text$/{on=1;next} /^```$/{on=0} on' "$tmp/section" >"$tmp/expected"
[ -s "$tmp/example.c" ] || { echo "no C example found in $readme"; exit 1; }
[ -s "$tmp/expected" ] || { echo "no expected output found in $readme"; exit 1; }

$cc $san -std=c11 -Wall -Wextra -Werror -I"$incdir" "$tmp/example.c" "$lib" -lm -o "$tmp/example"
"$tmp/example" >"$tmp/actual"
if ! diff -u "$tmp/expected" "$tmp/actual"; then
    echo "README example output differs from what the README says"
    exit 1
fi
echo "README example: compiled, output matches"
