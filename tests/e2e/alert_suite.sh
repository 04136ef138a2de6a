#!/bin/sh
# alert_suite.sh - the overfitting rule's defaults against a suite of real training runs.
#
# Each row of alert_suite.txt is trained for real by examples/train_mlp (seeded), publishing
# as any trainer does (its socket in a private runtime directory) and writing its run log;
# then `trainwatch --check --until-end` reads the log with the default rules. The row's kind
# is checked against the run's own curves (from `trainwatch --jsonl`) first, so that a change
# of the trainer cannot make the suite judge the rules on mislabelled runs. Targets:
#   healthy: exit 0, no alert at all;
#   overfit: exit 1, and the first alert names an epoch from the validation loss's minimum to
#            5 epochs after it.
# The confusion table compares the default rules with trainwatch 0.1's overfitting rule
# (--alert overfitting,k=3,z=0,floor=0,samples=0: any rise for 3 epochs).
# Usage: alert_suite.sh TRAINWATCH TRAIN_MLP [SUITE] [--bench]
#   --bench: print SUMMARY lines (tests/bench/bench_summary.h) and exit 0 whatever the result.
set -u
TW=$1
TRAIN=$2
SUITE=${3:-$(dirname "$0")/alert_suite.txt}
BENCH=0
[ "${4:-}" = --bench ] && BENCH=1
T=$(mktemp -d /tmp/tw-suite-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
OLD_RULE=overfitting,k=3,z=0,floor=0,samples=0
fail=0

# curves LOG NVAL: one line "rise drop vmin end train_fell" from the run's final epoch values:
# the largest rise of validation loss over its running minimum (a fraction), the largest drop
# of validation accuracy below its running maximum (in samples of NVAL), the epoch of the
# validation loss's minimum, how far above it the last value is (a fraction), and 1 when the
# last training loss is below the one at that epoch.
curves() {
    "$TW" --jsonl "$1" | awk -v nval="$2" '
        function field(k,   s) {
            if (!match($0, "\"" k "\":[^,}]*")) return ""
            s = substr($0, RSTART, RLENGTH); sub(/^[^:]*:/, "", s); gsub(/"/, "", s); return s
        }
        /"type":"epoch_value"/ {
            e = field("epoch") + 0; key = field("metric") "/" field("split")
            v[key, e] = field("value") + 0; if (e > last) last = e
        }
        END {
            mn = 1e300; mx = -1e300
            for (e = 1; e <= last; e++) {
                l = v["loss/val", e]; a = v["accuracy/val", e]
                if (l < mn) { mn = l; vmin = e }
                if (l / mn - 1 > rise) rise = l / mn - 1
                if (a > mx) mx = a
                if ((mx - a) * nval > drop) drop = (mx - a) * nval
            }
            printf "%.6f %.1f %d %.6f %d\n", rise, drop, vmin, v["loss/val", last] / mn - 1,
                   v["loss/train", last] < v["loss/train", vmin]
        }'
}

# judge LOG KIND VMIN [--alert SPEC]: "ok" or "bad", and the epochs of the fired alerts.
judge() {
    log=$1 kind=$2 vmin=$3
    shift 3
    "$TW" --check --until-end "$@" "$log" >"$T/check.out" 2>&1
    rc=$?
    epochs=$(sed -n 's/.* epoch \([0-9]*\) [a-z]* fired: .*/\1/p' "$T/check.out" | tr '\n' ' ')
    first=$(printf '%s\n' $epochs | sort -n | head -1)
    if [ "$kind" = healthy ]; then
        [ "$rc" -eq 0 ] && [ -z "$epochs" ] && echo "ok" || echo "bad"
    elif [ "$rc" -eq 1 ] && [ -n "$first" ] && [ "$first" -ge "$vmin" ] &&
        [ "$first" -le $((vmin + 5)) ]; then
        echo "ok"
    else
        echo "bad"
    fi
    echo "${epochs:--}"
}

printf '%-8s %-8s %6s %7s %5s %7s | %-5s %-16s | %-5s %s\n' run kind rise drop vmin end \
    now "alert epochs" old "alert epochs"
hh=0 hf=0 oc=0 om=0 ohh=0 ohf=0 ooc=0 oom=0
while read -r name kind args; do
    case $name in '' | '#'*) continue ;; esac
    nval=$(printf '%s\n' "$args" | sed -n 's/.*--val \([0-9]*\).*/\1/p')
    # shellcheck disable=SC2086 # the arguments are words
    if ! TRAINWATCH_LOG_DIR="$T/$name" TRAINWATCH_RUN="$name" "$TRAIN" --quiet $args; then
        echo "FAIL: $name: train_mlp $args failed" >&2
        fail=1
        continue
    fi
    log=$(ls "$T/$name"/*.twlog)
    set -- $(curves "$log" "$nval")
    rise=$1 drop=$2 vmin=$3 end=$4 fell=$5
    if [ "$kind" = healthy ]; then
        label=$(awk -v r="$rise" -v d="$drop" 'BEGIN { print (r <= 0.003 && d <= 8) ? 1 : 0 }')
    else
        label=$(awk -v e="$end" -v f="$fell" 'BEGIN { print (e >= 0.05 && f) ? 1 : 0 }')
    fi
    if [ "$label" != 1 ]; then
        echo "FAIL: $name is not $kind (rise $rise, drop $drop, end $end, train fell $fell)" >&2
        fail=1
        continue
    fi
    now=$(judge "$log" "$kind" "$vmin")
    old=$(judge "$log" "$kind" "$vmin" --alert "$OLD_RULE")
    set -- $now
    nv=$1
    shift
    ne=$*
    set -- $old
    ov=$1
    shift
    oe=$*
    printf '%-8s %-8s %5.2f%% %7s %5s %6.1f%% | %-5s %-16.16s | %-5s %.16s\n' "$name" "$kind" \
        "$(awk -v r="$rise" 'BEGIN { print 100 * r }')" "$drop" "$vmin" \
        "$(awk -v e="$end" 'BEGIN { print 100 * e }')" "$nv" "$ne" "$ov" "$oe"
    if [ "$kind" = healthy ]; then
        [ "$nv" = ok ] && hh=$((hh + 1)) || hf=$((hf + 1))
        [ "$ov" = ok ] && ohh=$((ohh + 1)) || ohf=$((ohf + 1))
    else
        [ "$nv" = ok ] && oc=$((oc + 1)) || om=$((om + 1))
        [ "$ov" = ok ] && ooc=$((ooc + 1)) || oom=$((oom + 1))
    fi
    if [ "$nv" != ok ]; then
        echo "FAIL: $name ($kind): the default rules gave alerts at epochs: $ne" \
            "(validation minimum at epoch $vmin)" >&2
        sed 's/^/    /' "$T/check.out" >&2
        fail=1
    fi
done <"$SUITE"

echo
echo "confusion table (healthy: no alert; overfit: first alert from the validation minimum to 5 epochs after)"
printf '%-34s %14s %16s %14s %16s\n' rules "healthy quiet" "healthy alerted" "overfit caught" \
    "overfit missed"
printf '%-34s %14d %16d %14d %16d\n' "defaults" "$hh" "$hf" "$oc" "$om"
printf "%-34s %14d %16d %14d %16d\n" "trainwatch 0.1 rule" "$ohh" "$ohf" "$ooc" "$oom"
if [ "$BENCH" = 1 ]; then
    st=met
    [ "$hf" -eq 0 ] || st=missed
    printf 'SUMMARY\talert suite: healthy runs alerted\t%d\truns of %d\t0\t-\t%s\t-\n' "$hf" \
        $((hh + hf)) "$st"
    st=met
    [ "$om" -eq 0 ] || st=missed
    printf 'SUMMARY\talert suite: overfitting runs caught in time\t%d\truns of %d\t%d\t%s\t%s\t-\n' \
        "$oc" $((oc + om)) $((oc + om)) "$(awk -v a="$oc" -v b=$((oc + om)) 'BEGIN { printf "%.2f", b ? a / b : 0 }')" "$st"
    exit 0
fi
[ "$fail" -eq 0 ] && echo "alert_suite: every healthy run quiet, every overfitting run caught in time"
exit "$fail"
