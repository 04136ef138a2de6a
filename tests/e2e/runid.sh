#!/bin/sh
# runid.sh - run identity with real processes: one launch is one run, two launches never
# merge, a claimed rank is reported, a forked child leaves its parent's run alone.
#  1. two torchrun-like jobs (each one agent process, the parent of its two ranks; run id
#     "none"; the same program, directory, rendezvous port and second; default names) are two
#     runs, each exactly its own ranks' values, live (one listening monitor) and from the logs;
#  2. two srun steps of one Slurm job under one TRAINWATCH_RUN name are two runs, shown apart
#     in the UI (tmux) as "srun-job" and "srun-job #2";
#  3. a rank claimed by two processes at once is reported (--once) and never summed;
#  4. a process that forks after creating its publisher (the child destroys its copy and
#     exits) keeps its registry entry and socket: a monitor that finds runs by itself follows
#     it to the end, with every epoch.
# Usage: runid.sh TRAINWATCH RANK_WORKER
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
WORKER=$2
T=$(mktemp -d /tmp/tw-runid-XXXXXX)
SOCK=twrunid$$
monitor=
cleanup() {
    [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
PORT=$(port_block) || exit 1
for s in 1 2 3; do "$WORKER" --expect --seed $s >"$T/expect$s.txt" || fail "--expect"; done

# runs_match LABEL JSONL SEED...: the final train epoch values of JSONL, grouped by run id,
# are one run per SEED (in any order), each equal to that seed's one-process values (1e-9,
# relative) and merged from 2 ranks of 2; no other run has final values.
runs_match() {
    rm_label=$1 rm_jsonl=$2
    shift 2
    grep '"type":"epoch_value"' "$rm_jsonl" | grep '"final":true' |
        sed 's/.*"run":"\([^"]*\)","metric":"\([^"]*\)","split":"train","epoch":\([0-9]*\),"value":\([^,]*\),\("stderr":[^,]*,\)*"ranks":\([0-9]*\),"world":\([0-9]*\),.*/\1 \2 \3 \4 \6 \7/' \
            >"$T/finals.txt"
    for rm_s in "$@"; do
        awk -v s="$rm_s" '{ print s, $0 }' "$T/expect$rm_s.txt"
    done >"$T/want.txt"
    awk -v label="$rm_label" -v nseeds=$# '
        NR == FNR { want[$1, $2 " " $3] = $4; seeds[$1] = 1; next }
        { key = $2 " " $3; val[$1, key] = $4; ranks[$1, key] = $5 " " $6; runs[$1] = 1; n[$1]++ }
        END {
            bad = 0; nr = 0
            for (r in runs) {
                nr++; match_ = ""
                for (s in seeds) {
                    ok = 1; k = 0
                    for (w in want) {
                        split(w, p, SUBSEP); if (p[1] != s) continue
                        k++
                        if (!((r, p[2]) in val)) { ok = 0; break }
                        d = val[r, p[2]] - want[w]; if (d < 0) d = -d
                        if (d > 1e-9 * (want[w] < 0 ? -want[w] : want[w]) + 1e-12) { ok = 0; break }
                        if (ranks[r, p[2]] != "2 2") { ok = 0; break }
                    }
                    if (ok && k == n[r]) match_ = s
                }
                if (match_ == "") { print "FAIL - " label ": run " r ": its values are no job'"'"'s own"; bad++ }
                else if (used[match_]++) { print "FAIL - " label ": two runs have seed " match_ "'"'"'s values"; bad++ }
            }
            if (nr != nseeds) { print "FAIL - " label ": " nr " runs with final values, expected " nseeds; bad++ }
            if (!bad) print "ok - " label ": " nr " runs, each exactly its own job'"'"'s values from its 2 ranks"
            exit bad > 0
        }' "$T/want.txt" "$T/finals.txt"
    rm_rc=$?
    [ "$rm_rc" -eq 0 ] && passes=$((passes + 1)) || failures=$((failures + 1))
}

# job SEED [ENV...]: one launch of two ranks, both children of one agent process (sh -c), as
# torchrun's agent starts its local workers.
job() {
    j_seed=$1
    shift
    env "$@" WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 W="$WORKER" SEED="$j_seed" sh -c '
        RANK=0 "$W" --seed "$SEED" --epochs 3 --delay-ms 300 &
        RANK=1 "$W" --seed "$SEED" --epochs 3 --delay-ms 300 &
        wait'
}

# 1. Two torchrun jobs started together, run id none.
TORCH="TORCHELASTIC_RUN_ID=none TORCHELASTIC_RESTART_COUNT=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500"
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
monitor=$!
sleep 0.5
# shellcheck disable=SC2086
job 1 $TORCH TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT" &
a=$!
# shellcheck disable=SC2086
job 2 $TORCH TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT" &
b=$!
wait "$a" "$b"
wait_exit "$monitor" 150 || fail "the live monitor did not see both jobs end"
monitor=
runs_match "torchrun x2, live" "$T/live.jsonl" 1 2
"$TW" --jsonl "$T/runs" >"$T/logs.jsonl" 2>"$T/logs.err"
runs_match "torchrun x2, from the run logs" "$T/logs.jsonl" 1 2
names=$(grep '"type":"run"' "$T/logs.jsonl" | sed 's/.*"name":"\([^"]*\)".*/\1/' | sort -u)
echo "$names" | grep -qv '^rank_worker-[0-9a-f]\{4\}$' &&
    fail "default names: $(echo $names)" || ok "default names: the program and a suffix: $(echo $names)"

# 2. Two srun steps of one Slurm job, one run name.
PORT2=$((PORT + 1))
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT2" >"$T/srun.jsonl" 2>"$T/srun.err" &
monitor=$!
sleep 0.5
for step in 0 1; do
    env SLURM_JOB_ID=777 SLURM_STEP_ID=$step SLURM_NTASKS=2 TRAINWATCH_RUN=srun-job \
        TRAINWATCH_LOG_DIR="$T/srun-logs" TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT2" \
        W="$WORKER" SEED=$((step + 1)) sh -c '
        SLURM_PROCID=0 "$W" --seed "$SEED" --epochs 3 --delay-ms 300 &
        SLURM_PROCID=1 "$W" --seed "$SEED" --epochs 3 --delay-ms 300 &
        wait' &
done
wait_exit "$monitor" 150 || fail "the srun monitor did not see both steps end"
monitor=
runs_match "srun steps 0 and 1" "$T/srun.jsonl" 1 2
ids=$(grep '"type":"epoch_value"' "$T/srun.jsonl" | sed 's/.*"run":"\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ')
[ "$ids" = "slurm:777.0 slurm:777.1 " ] && ok "srun: run ids $ids" || fail "srun: run ids '$ids'"
TERM=xterm-256color tm -f /dev/null new-session -d -s ui -x 150 -y 40 "$TW $T/srun-logs; sleep 30"
if wait_for 'srun-job #2' 10 && screen | grep -q 'srun-job '; then
    ok "the UI shows the two runs of one name apart: srun-job, srun-job #2"
else
    fail "the UI does not tell the two srun-job runs apart"
fi
tm kill-server 2>/dev/null

# 3. Rank 1 claimed by two processes of one launch.
PORT3=$((PORT + 2))
"$TW" --once --wait 8 --listen "tcp://127.0.0.1:$PORT3" >"$T/claim.txt" 2>"$T/claim.err" &
monitor=$!
sleep 0.5
env WORLD_SIZE=2 TRAINWATCH_RUN=claimed TRAINWATCH_LOG_DIR=off \
    TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT3" W="$WORKER" sh -c '
    RANK=0 "$W" --seed 3 --epochs 3 --delay-ms 1200 &
    RANK=1 "$W" --seed 3 --epochs 3 --delay-ms 1200 &
    RANK=1 "$W" --seed 3 --epochs 3 --delay-ms 1200 &
    wait'
wait_exit "$monitor" 150 && wait "$monitor"
monitor=
grep -q '^  claimed: run id local-[0-9a-f]*$' "$T/claim.txt" &&
    ok "--once names the run and gives its id: $(grep 'run id' "$T/claim.txt")" ||
    fail "--once: no run id line: $(head -n 5 "$T/claim.txt")"
grep -q 'rank 1 claimed by two processes' "$T/claim.txt" &&
    ok "a rank claimed twice is reported: $(grep -o 'rank 1 claimed[^;]*' "$T/claim.txt" | head -n 1)" ||
    fail "no report of the rank claimed twice: $(head -n 5 "$T/claim.txt")"

# 4. A forked child exits: the parent's run stays registered, visible and complete.
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
"$TW" --jsonl --until-end >"$T/fork.jsonl" 2>"$T/fork.err" &
monitor=$!
sleep 0.5
TRAINWATCH_RUN=forked TRAINWATCH_LOG_DIR="$T/runs4" "$WORKER" --seed 1 --epochs 3 \
    --delay-ms 700 --fork-child &
w=$!
sleep 1
n=$(ls "$XDG_RUNTIME_DIR"/trainwatch/*.run 2>/dev/null | wc -l)
s=$(ls "$XDG_RUNTIME_DIR"/trainwatch/*.sock 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && [ "$s" -eq 1 ] && ok "after the child exited, the registry entry and socket are there" ||
    fail "after the child exited: $n registry entries, $s sockets"
wait "$w"
wait_exit "$monitor" 100 || fail "the discovering monitor did not see the forked run end"
monitor=
got=$(grep '"type":"epoch_value"' "$T/fork.jsonl" | grep '"final":true' | grep -c '"split":"train"')
[ "$got" -eq 9 ] && ok "the forking process's run is complete: 9 final epoch values" ||
    fail "the forking process's run: $got final epoch values of 9 ($(head -c 200 "$T/fork.err"))"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
