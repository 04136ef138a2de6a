#!/bin/sh
# memory.sh - the monitor's memory follows what it received, never what a peer claims: 300
# runs that each claim the largest world (65536) and speak as its last rank, from a 44 KB run
# log (--once) and as 300 messages from another process to a --listen monitor, keep the monitor
# under 64 MB (it took 3.7 GB when ranks were arrays sized by the claimed world). Past the
# limit on runs (1024), the records of new runs are refused, counted and reported by --once.
# Usage: memory.sh TRAINWATCH WORLD_CLAIMS
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
CLAIMS=$2
T=$(mktemp -d /tmp/tw-memory-XXXXXX)
monitor=
cleanup() {
    [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
LIMIT_KB=65536

# 1. The 44 KB run log.
"$CLAIMS" log "$T/world.twlog" 300 || fail "cannot write the run log"
size=$(wc -c <"$T/world.twlog")
/usr/bin/time -f '%M' -o "$T/rss" "$TW" --once "$T/world.twlog" >"$T/once.txt" 2>"$T/once.err"
rc=$?
rss=$(tail -n 1 "$T/rss")
[ "$rc" -eq 0 ] && ok "--once on a $size-byte log of 300 runs claiming world 65536: exit 0" ||
    fail "--once exited $rc: $(head -c 300 "$T/once.err")"
[ "$rss" -lt "$LIMIT_KB" ] && ok "--once: max RSS $rss KB" || fail "--once: max RSS $rss KB"
n=$(grep -c '^w0' "$T/once.txt")
[ "$n" -eq 300 ] && ok "--once lists the 300 runs" || fail "--once lists $n runs of 300"

# 2. The same 300 messages from another process to a listening monitor.
PORT=$(port_block) || exit 1
"$TW" --jsonl --listen "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
monitor=$!
sleep 0.5
"$CLAIMS" send "tcp://127.0.0.1:$PORT" 300 || fail "cannot send"
i=0
while [ "$(grep -c '"type":"metric"' "$T/live.jsonl")" -lt 300 ] && [ "$i" -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
got=$(grep -c '"type":"metric"' "$T/live.jsonl")
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$monitor/status")
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
monitor=
[ "$got" -eq 300 ] && ok "--listen received the 300 messages" || fail "--listen received $got of 300"
[ "$rss" -lt "$LIMIT_KB" ] && ok "--listen: peak RSS $rss KB after 300 claims of world 65536" ||
    fail "--listen: peak RSS $rss KB"

# 3. Past the limit on runs: refused, counted, reported; the monitor stays small.
"$CLAIMS" log "$T/many.twlog" 1100 || fail "cannot write the run log"
/usr/bin/time -f '%M' -o "$T/rss" "$TW" --once "$T/many.twlog" >"$T/many.txt" 2>"$T/many.err"
rss=$(tail -n 1 "$T/rss")
n=$(grep -c '^w0' "$T/many.txt")
[ "$n" -eq 1024 ] && ok "1100 runs: the first 1024 are kept" || fail "1100 runs: $n kept"
grep -q '^152 records refused over the monitor.s limits (152 of new runs past 1024 runs' "$T/many.txt" &&
    ok "the excess is reported: $(grep 'refused' "$T/many.txt")" ||
    fail "no report of the refused records: $(tail -n 3 "$T/many.txt")"
[ "$rss" -lt "$LIMIT_KB" ] && ok "1100 runs: max RSS $rss KB" || fail "1100 runs: max RSS $rss KB"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
