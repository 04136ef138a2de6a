#!/bin/sh
# names.sh - end to end: hostile names (escape sequences, C1 controls, backspaces, newlines,
# bidi overrides, invalid UTF-8, CJK) from a run log reach no terminal raw: not through
# --once, --check, error messages or the UI; --once cuts them by display columns; --jsonl
# and --on-alert write valid JSON for them, whatever their length.
# Usage: names.sh TRAINWATCH CRAFT_LOG
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
CRAFT=$2
T=$(mktemp -d /tmp/tw-names-XXXXXX)
SOCK="$T/tmux.sock"
cleanup() {
    tmux -S "$SOCK" kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
ESC=$(printf '\033')
BEL=$(printf '\007')
BS=$(printf '\010')
C1=$(printf '\302\233')  # U+009B (CSI), as UTF-8
RAWC1=$(printf '\233')   # a raw 0x9b byte
RLO=$(printf '\342\200\256')

# raw FILE: how many bytes a terminal would act on (ESC, BEL, backspace, C1, U+202E) FILE has.
raw() {
    n=0
    for b in "$ESC" "$BEL" "$BS" "$C1" "$RLO"; do
        n=$((n + $(LC_ALL=C grep -c "$b" "$1")))
    done
    echo $((n + $(LC_ALL=C grep -c "$RAWC1" "$1")))
}

RUN=$(printf 'r\033[31mRED\302\233\23331m\b\bXY\nforged line\342\200\256dlrow')
METRIC=$(printf 'loss\033]0;pwned\007\033[2J')
"$CRAFT" "$T/inj.twlog" "$RUN" "$METRIC" 12

# 1. --once, --check: nothing raw; the newline does not forge a line.
"$TW" --once "$T/inj.twlog" >"$T/once.txt" 2>&1
"$TW" --check "$T/inj.twlog" >"$T/check.txt" 2>&1
for f in once check; do
    n=$(raw "$T/$f.txt")
    if [ "$n" -eq 0 ]; then ok "--$f: no control or bidi character reaches the output"; else
        fail "--$f: $n lines carry raw control bytes: $(cat -v "$T/$f.txt" | head -n 3)"
    fi
done
if [ "$(wc -l <"$T/once.txt")" -eq 3 ] && ! grep -q '^forged' "$T/once.txt"; then
    ok "--once: a newline in a run id forges no line (a header and two rows)"
else
    fail "--once: $(wc -l <"$T/once.txt") lines: $(cat -v "$T/once.txt")"
fi

# 2. A file name with an escape sequence, in an error message on stderr.
mkdir "$T/dir"
printf 'x' >"$T/dir/a$(printf '\033]0;pwned\007').twlog"
"$TW" --once "$T/dir" >/dev/null 2>"$T/err.txt"
if [ "$(raw "$T/err.txt")" -eq 0 ] && grep -q 'not a trainwatch run log' "$T/err.txt"; then
    ok "an error message names a hostile file name without its escape sequence"
else
    fail "stderr: $(cat -v "$T/err.txt")"
fi

# 3. CJK run ids: --once cuts by display columns, never inside a character; columns align.
CJK=$(printf '中文%.0s' 1 2 3 4 5 6 7 8 9 10)
"$CRAFT" "$T/cjk.twlog" "$CJK" "损失" 12
"$TW" --once "$T/cjk.twlog" >"$T/cjk.txt"
if iconv -f UTF-8 -t UTF-8 "$T/cjk.txt" >/dev/null 2>&1; then
    ok "--once on a CJK run id writes valid UTF-8"
else
    fail "--once cut a character: $(od -c "$T/cjk.txt" | head -n 4)"
fi
hdr=$(head -n 1 "$T/cjk.txt" | awk '{print index($0, "status")}')
row=$(sed -n 2p "$T/cjk.txt" | sed 's/ended.*//' | wc -L)
if [ "$row" -eq $((hdr - 1)) ]; then ok "--once: the status column lines up after a CJK run id"; else
    fail "--once: status at column $row, header at $((hdr - 1)): $(head -n 2 "$T/cjk.txt")"
fi

# json_lines FILE: how many lines of FILE are not valid UTF-8 JSON (or 999 without python3).
json_lines() {
    /usr/bin/python3 -c '
import json, sys
bad = 0
for line in open(sys.argv[1], "rb"):
    try:
        json.loads(line.decode("utf-8"))
    except ValueError:
        bad += 1
print(bad)' "$1" 2>/dev/null || echo 999
}

# 4. --jsonl: invalid UTF-8 and C1 in a run id; every line valid JSON in valid UTF-8.
"$CRAFT" "$T/bad8.twlog" "$(printf 'run\377\376\302\233')" loss 12
"$TW" --jsonl "$T/bad8.twlog" >"$T/bad8.jsonl"
n=$(wc -l <"$T/bad8.jsonl")
bad=$(json_lines "$T/bad8.jsonl")
if [ "$bad" -eq 0 ] && [ "$n" -gt 40 ] && grep -q '"run":"run\\ufffd\\ufffd\\u009b"' "$T/bad8.jsonl"; then
    ok "--jsonl: a run id with invalid UTF-8 and C1: $n lines, all valid JSON"
else
    fail "--jsonl: $bad of $n lines are not valid JSON: $(head -c 200 "$T/bad8.jsonl")"
fi

# 5. Alerts whose JSON passes 2 KB (127 escaped controls in the run id and the metric):
# --check --jsonl prints them, --on-alert gets them whole.
"$CRAFT" "$T/ctl.twlog" "$(head -c 127 /dev/zero | tr '\0' '\001')" \
    "loss$(head -c 123 /dev/zero | tr '\0' '\002')" 12 1 0 0
# no run end and last written a minute ago: its writer is gone (a log still growing would be
# followed: logs.sh, section 7)
touch -d '1 minute ago' "$T/ctl.twlog"
"$TW" --check --jsonl "$T/ctl.twlog" >"$T/ctl.jsonl"
n=$(grep -c '"type":"alert"' "$T/ctl.jsonl")
if [ "$n" -eq 2 ] && [ "$(json_lines "$T/ctl.jsonl")" -eq 0 ]; then
    ok "--check --jsonl prints both alerts of over 2 KB of JSON"
else
    fail "--check --jsonl printed $n of 2 long alerts"
fi
"$TW" --check --on-alert "cat >>$T/hook.jsonl" "$T/ctl.twlog" >/dev/null
i=0
while [ "$(wc -l <"$T/hook.jsonl" 2>/dev/null || echo 0)" -lt 2 ] && [ "$i" -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ -s "$T/hook.jsonl" ] && [ "$(json_lines "$T/hook.jsonl")" -eq 0 ]; then
    ok "--on-alert gets a long alert as whole, valid JSON"
else
    fail "--on-alert: $(head -c 200 "$T/hook.jsonl" 2>/dev/null)"
fi

# 6. The UI: the bidi override and the escapes never reach the terminal (bytes captured by
# script), and the run is drawn.
if command -v tmux >/dev/null 2>&1 && command -v script >/dev/null 2>&1; then
    tmux -S "$SOCK" new-session -d -s ui -x 120 -y 30 \
        "script -q -c '$TW $T/inj.twlog' $T/typescript"
    i=0
    while ! tmux -S "$SOCK" capture-pane -p -t ui | grep -q 'dlrow' && [ "$i" -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    tmux -S "$SOCK" send-keys -t ui q
    sleep 0.5
    n=$(LC_ALL=C grep -c "$RLO" "$T/typescript")
    if [ "$i" -lt 50 ] && [ "$n" -eq 0 ]; then
        ok "the UI draws the run without writing U+202E to the terminal"
    else
        fail "the UI: drawn=$((i < 50)), U+202E written $n times"
    fi
else
    ok "# skipped the UI check: no tmux or script"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
