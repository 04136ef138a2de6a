# lib.sh - helpers the end-to-end scripts share (sourced: . "$(dirname "$0")/lib.sh").
# They count into $passes / $failures; each script ends with
#   echo "$passes passed, $failures failed"; [ "$failures" -eq 0 ]

passes=0
failures=0

ok() {
    echo "ok - $*"
    passes=$((passes + 1))
}

fail() {
    echo "FAIL - $*"
    failures=$((failures + 1))
    # a UI test (a tmux server $SOCK with a session "ui"): what the screen showed
    if [ -n "${SOCK:-}" ] && tm has-session -t ui 2>/dev/null; then
        echo "--- the screen:"
        screen 2>&1 | head -n 40
        echo "---"
    fi
}

# wait_exit PID TENTHS: waits up to TENTHS tenths of a second for PID to exit; true if it did.
wait_exit() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ "$i" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ! kill -0 "$1" 2>/dev/null
}

# wait_until TWENTIETHS COMMAND...: runs COMMAND every 50 ms, up to TWENTIETHS times, until it
# succeeds; true if it did.
wait_until() {
    wu_n=$1
    shift
    wu_i=0
    while ! "$@" && [ "$wu_i" -lt "$wu_n" ]; do
        sleep 0.05
        wu_i=$((wu_i + 1))
    done
    "$@"
}

# kill_after_epoch PID TRAINER_OUT EPOCH [SECONDS]: once train_mlp has printed EPOCH in
# TRAINER_OUT (at most 30 s), and SECONDS more (default 0), SIGKILLs process PID and reaps it.
kill_after_epoch() {
    ka_i=0
    while ! grep -q "^epoch *$3/" "$2" && [ "$ka_i" -lt 600 ]; do
        sleep 0.05
        ka_i=$((ka_i + 1))
    done
    sleep "${4:-0}"
    kill -9 "$1"
    wait "$1" 2>/dev/null
}

# epoch_value FILE METRIC SPLIT EPOCH: the final value of that epoch in a trainwatch --jsonl
# file, to 4 decimals; the last line wins (a restarted run writes a replaced epoch again).
epoch_value() {
    grep '"type":"epoch_value"' "$1" | grep "\"metric\":\"$2\",\"split\":\"$3\",\"epoch\":$4," |
        grep '"final":true' | sed 's/.*"value":\([^,]*\),.*/\1/' | tail -n 1 | xargs printf '%.4f'
}

# printed_value TRAINER_OUT EPOCH COLUMN: what train_mlp printed for EPOCH in COLUMN
# ("epoch   3/8  ... val_loss 0.5750 ..." -> 0.5750).
printed_value() {
    grep "^epoch *$2/" "$1" | sed "s/.* $3 \([0-9.]*\).*/\1/"
}

# values_match LABEL JSONL TRAINER_OUT EPOCH...: the final val loss of each EPOCH in the
# trainwatch --jsonl file equals what train_mlp printed (4 decimals): one ok, or a FAIL per
# epoch that differs.
values_match() {
    vm_label=$1 vm_jsonl=$2 vm_out=$3
    shift 3
    vm_bad=0
    for vm_e in "$@"; do
        vm_got=$(epoch_value "$vm_jsonl" loss val "$vm_e")
        vm_exp=$(printed_value "$vm_out" "$vm_e" val_loss)
        if [ -z "$vm_exp" ] || [ "$vm_got" != "$vm_exp" ]; then
            vm_bad=1
            fail "$vm_label: epoch $vm_e val loss: monitor '$vm_got', trainer '$vm_exp'"
        fi
    done
    [ "$vm_bad" -eq 0 ] && ok "$vm_label: val loss of epochs $* equal what the trainer printed"
}

# check_epochs JSONL TRAINER_OUT FIRST LAST: the final epoch values FIRST..LAST of a
# trainwatch --jsonl file (loss/train, loss/val, accuracy/val, auc/val) against what train_mlp
# printed; prints each difference; true when there is none.
check_epochs() {
    ce_bad=0
    for ce_e in $(seq "$3" "$4"); do
        for ce_pair in "loss train loss" "loss val val_loss" "accuracy val val_accuracy" \
            "auc val val_auc"; do
            set -- "$1" "$2" "$3" "$4" $ce_pair
            ce_got=$(epoch_value "$1" "$5" "$6" "$ce_e" 2>/dev/null)
            ce_want=$(printed_value "$2" "$ce_e" "$7")
            if [ -z "$ce_want" ] || [ "$ce_got" != "$ce_want" ]; then
                echo "  $5/$6 epoch $ce_e: got '$ce_got', the trainer printed '$ce_want'"
                ce_bad=1
            fi
        done
    done
    return $ce_bad
}

# The UI in tmux, on a private server ($SOCK, set by the script) with one session "ui":
# tm runs tmux there, screen prints the pane, wait_for PATTERN SECONDS polls the screen for an
# extended regular expression.
tm() { tmux -L "$SOCK" "$@"; }
screen() { tm capture-pane -p -t ui; }
wait_for() {
    i=0
    while [ "$i" -lt $(($2 * 10)) ]; do
        screen | LC_ALL=C.UTF-8 grep -Eq -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# epochs_match LABEL EXPECT JSONL WORLD: every "metric epoch value [stderr]" line of EXPECT
# (from rank_worker --expect) has exactly one final train epoch value in the trainwatch --jsonl
# file JSONL, merged from all WORLD ranks and equal to it within 1e-9 (relative), and its
# "stderr" equal to the one-process standard error within 1e-7 (relative) when EXPECT has one:
# one ok for the lot, one FAIL per value that is missing, partial, written more than once or
# different.
epochs_match() {
    grep '"type":"epoch_value"' "$3" | grep '"final":true' |
        sed 's/.*"metric":"\([^"]*\)","split":"train","epoch":\([0-9]*\),"value":\([^,]*\),"stderr":\([^,]*\),"ranks":\([0-9]*\),"world":\([0-9]*\),.*/\1 \2 \3 \5 \4/' |
        awk -v world="$4" -v label="$1" '
        NR == FNR { want[$1 " " $2] = $3; if (NF >= 4) wse[$1 " " $2] = $4; next }
        { got[$1 " " $2] = $3; ranks[$1 " " $2] = $4; gse[$1 " " $2] = $5; times[$1 " " $2]++ }
        END {
            n = 0; bad = 0
            for (k in want) {
                n++
                if (!(k in got)) { print "FAIL - " label ": " k ": no final value"; bad++; continue }
                g = got[k]; w = want[k]; d = g - w; if (d < 0) d = -d
                tol = 1e-9 * (w < 0 ? -w : w) + 1e-12
                if (ranks[k] != world) { print "FAIL - " label ": " k ": from " ranks[k] " ranks of " world; bad++ }
                else if (times[k] != 1) { print "FAIL - " label ": " k ": written " times[k] " times"; bad++ }
                else if (d > tol) { printf "FAIL - %s: %s: %.17g, one process %.17g\n", label, k, g, w; bad++ }
                else if (k in wse) {
                    ws = wse[k]; gs = gse[k]
                    if (ws == "nan" || ws == "-nan") { if (gs != "null") { print "FAIL - " label ": " k ": stderr " gs ", one process none"; bad++ } }
                    else if (gs == "null") { print "FAIL - " label ": " k ": no stderr, one process " ws; bad++ }
                    else { d = gs - ws; if (d < 0) d = -d
                           if (d > 1e-7 * (ws < 0 ? -ws : ws) + 1e-15) { printf "FAIL - %s: %s: stderr %.17g, one process %.17g\n", label, k, gs, ws; bad++ } }
                }
            }
            if (!bad) printf "ok - %s: all %d epoch values (and standard errors) from %d ranks equal the one-process values\n", label, n, world
        }' "$2" - >"$3.match"
    cat "$3.match"
    passes=$((passes + $(grep -c '^ok - ' "$3.match")))
    failures=$((failures + $(grep -c '^FAIL - ' "$3.match")))
}

# copy_tree SRC DEST: the source tree SRC into the existing directory DEST as committed plus
# what is not ignored (never build directories), for the tests that build a copy (pip
# install, ./dev install).
copy_tree() {
    if git -C "$1" rev-parse >/dev/null 2>&1; then
        (cd "$1" && git ls-files -co --exclude-standard -z | xargs -0 tar cf -) | tar xf - -C "$2"
    else
        (cd "$1" && tar cf - --exclude='./build*' .) | tar xf - -C "$2"
    fi
}

# port_block: prints the first of 64 consecutive TCP ports this script may use, and keeps them
# for it until it exits. Blocks lie between 10000 and the kernel's ephemeral range (so that no
# outgoing connection of another test takes one meanwhile). A block is claimed under a lock in
# ${TMPDIR:-/tmp}/trainwatch-e2e-ports (a directory per block holding the owner's pid; a dead
# owner's block is taken over), and skipped while any of its ports is bound or connected
# (/proc/net/tcp, tcp6): concurrent scripts, and two test runs on one machine, never share one.
port_block() {
    pb_dir=${TMPDIR:-/tmp}/trainwatch-e2e-ports
    mkdir -p "$pb_dir" 2>/dev/null
    pb_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || pb_lo=32768
    pb_n=$(((pb_lo - 10000) / 64))
    (
        flock 9
        # the blocks any of whose ports appears in the kernel's tables (any state)
        busy=$(awk -v n="$pb_n" 'function hex(s,  i, v) {
                v = 0
                for (i = 1; i <= length(s); i++)
                    v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
                return v
            }
            FNR > 1 { k = split($2, a, ":"); p = hex(a[k]); if (p >= 10000) print int((p - 10000) / 64) }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -un | tr '\n' ' ')
        start=$(($$ % pb_n))
        i=0
        while [ "$i" -lt "$pb_n" ]; do
            b=$(((start + i) % pb_n))
            i=$((i + 1))
            case " $busy " in *" $b "*) continue ;; esac
            owner=$(cat "$pb_dir/$b" 2>/dev/null) || owner=""
            if [ -n "$owner" ] && [ "$owner" != "$$" ] && kill -0 "$owner" 2>/dev/null; then
                continue
            fi
            echo "$$" >"$pb_dir/$b" && echo $((10000 + b * 64)) && exit 0
        done
        echo "port_block: no free block of 64 TCP ports between 10000 and $pb_lo" >&2
        exit 1
    ) 9>>"$pb_dir/lock"
}
