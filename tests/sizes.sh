#!/bin/sh
# sizes.sh SOURCE_ROOT - no source file of the library or the monitor over 800 lines and no
# function over 80 lines, unless a reason is written next to it: "length: WHY" in a comment
# in the file's first 20 lines (for the file) or in the 6 lines above a function's name
# (for that function). Prints every violation; exits 1 if any.
set -eu
cd "$1"
status=0
for f in publisher/*.[ch] publisher/*/*.[ch] monitor/*.[ch] monitor/*/*.[ch]; do
    [ -f "$f" ] || continue
    lines=$(wc -l <"$f")
    if [ "$lines" -gt 800 ] && ! head -20 "$f" | grep -q 'length:'; then
        echo "sizes: $f has $lines lines (over 800, no 'length:' reason at its top)" >&2
        status=1
    fi
    case $f in *.c) ;; *) continue ;; esac
    # A definition: an identifier at column 0 followed by '(' (the return type is on the line
    # above), through the next '}' at column 0.
    awk -v file="$f" '
        { hist[NR % 8] = $0 }
        /^[A-Za-z_][A-Za-z0-9_]*\(/ && name == "" {
            name = $0; sub(/\(.*/, "", name); start = NR; reason = 0
            for (i = 1; i <= 6; i++) if (hist[(NR - i) % 8] ~ /length:/) reason = 1
        }
        /^}/ && name != "" {
            n = NR - start + 1
            if (n > 80 && !reason) {
                printf "sizes: %s:%d: %s has %d lines (over 80, no \"length:\" reason above it)\n", file, start, name, n > "/dev/stderr"
                bad = 1
            }
            name = ""
        }
        END { exit bad }' "$f" || status=1
done
[ "$status" -eq 0 ] && echo "sizes: every file within 800 lines and every function within 80, or a reason given"
exit "$status"
