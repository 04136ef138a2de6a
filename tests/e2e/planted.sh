#!/bin/sh
# planted.sh - end to end, as another local user would attack (issue 14, items 6 and 12; the
# reproductions of doc/../hardening-findings): a runtime directory /tmp/trainwatch-UID that
# another user created first, and a ./runs symlink another user planted in a shared directory.
# Training goes on in both, says so once, and writes nothing where the other user can read it.
# Root only (files are given away to uid 65534 and /tmp is replaced by a private tmpfs in a
# mount namespace of its own, so that the machine's /tmp/trainwatch-UID is not touched).
# Usage: planted.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
    echo "SKIP: needs root and unshare -m (gives files to another user, mounts a private /tmp)"
    exit 77
fi
# Everything below runs in a private mount namespace with a fresh tmpfs on /tmp. A source or
# build tree that lives under /tmp (a CI clone in /tmp/ci, say) is bound back into the new /tmp
# at its own path, so that the script and the programs are still there.
if [ -z "${TW_PLANTED_INSIDE:-}" ]; then
    # shellcheck disable=SC2016
    exec env TW_PLANTED_INSIDE=1 unshare -m sh -c '
        set -e
        keep=""
        for p in "$0" "$@"; do
            case $(cd "$(dirname "$p")" && pwd -P)/ in
            /tmp/*/*) top=$(cd "$(dirname "$p")" && pwd -P | cut -d/ -f3); keep="$keep $top" ;;
            esac
        done
        old=$(mktemp -d /run/tw-planted-XXXXXX 2>/dev/null || mktemp -d /var/tmp/tw-planted-XXXXXX)
        mount --bind /tmp "$old"
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        for top in $keep; do
            [ -d "/tmp/$top" ] || { mkdir "/tmp/$top" && mount --bind "$old/$top" "/tmp/$top"; }
        done
        umount -l "$old" && rmdir "$old"
        exec sh "$0" "$@"' "$0" "$@"
fi
T=$(mktemp -d /tmp/tw-planted-XXXXXX)
chmod 755 "$T"
unset XDG_RUNTIME_DIR TRAINWATCH_ENDPOINT TRAINWATCH_LOG_DIR
export XDG_CONFIG_HOME="$T/config"

# 6: /tmp/trainwatch-0 made by "another user" (uid 65534), open to all.
mkdir -m 777 /tmp/trainwatch-0 && chown 65534:65534 /tmp/trainwatch-0
TRAINWATCH_LOG_DIR=off TRAINWATCH_RUN=victim "$TRAIN" --epochs 40 --delay-ms 20 --quiet \
    >"$T/train.out" 2>"$T/train.err" &
trainer=$!
i=0
while ! grep -q 'watch it with: trainwatch ipc://' "$T/train.err" && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
ep=$(sed -n 's/.*watch it with: trainwatch \(ipc:[^)]*\)).*/\1/p' "$T/train.err" | head -n 1)
case $ep in
ipc:///tmp/trainwatch-0-*) ok "refused the planted /tmp/trainwatch-0; publishing on $ep" ;;
*) fail "no fallback endpoint; trainer said: $(cat "$T/train.err")" ;;
esac
grep -q "/tmp/trainwatch-0 must be a directory owned by you" "$T/train.err" &&
    ok "and said why" || fail "no reason given: $(cat "$T/train.err")"
[ -z "$(ls -A /tmp/trainwatch-0)" ] && ok "nothing written into the planted directory" ||
    fail "the planted directory holds: $(ls -A /tmp/trainwatch-0)"
if [ -n "$ep" ]; then
    "$TW" --once --wait 3 "$ep" >"$T/once.out" 2>&1
    grep -q victim "$T/once.out" && ok "a monitor given that endpoint sees the run" ||
        fail "trainwatch --once $ep: $(cat "$T/once.out")"
fi
wait "$trainer" && ok "the trainer finished (exit 0)" || fail "the trainer failed: $(cat "$T/train.err")"
[ "$(grep -c 'publishing without the registry' "$T/train.err")" -eq 1 ] &&
    ok "said once" || fail "said $(grep -c 'publishing without the registry' "$T/train.err") times"
[ -z "$(ls /tmp | grep '^trainwatch-0-')" ] && ok "its private directory is gone after" ||
    fail "left behind: $(ls /tmp | grep '^trainwatch-0-')"
# The Python binding under the same conditions (the build's library; not a sanitized one,
# which python3 cannot load).
pydir=$(cd "$(dirname "$0")/../../python" && pwd)
lib=$(dirname "$(dirname "$TRAIN")")/publisher/libtrainwatch.so
if [ -x /usr/bin/python3 ] && [ -f "$lib" ] && ! ldd "$lib" | grep -q 'lib[at]san'; then
    out=$(cd "$T" && TRAINWATCH_LOG_DIR=off PYTHONPATH=$pydir TRAINWATCH_LIBRARY=$lib /usr/bin/python3 -c '
import trainwatch.keras as k
cb = k.TrainwatchCallback(); cb.params = {"epochs": 2, "steps": 3}
cb.on_train_begin(); cb.on_epoch_end(0, {"loss": 1.0}); cb.on_train_end(); print("fit goes on")' 2>&1)
    case $out in
    *"fit goes on"*) ok "Python: the Keras callback goes on" ;;
    *) fail "Python: $out" ;;
    esac
fi

# 12: a shared directory (1777) where "another user" planted runs -> a directory of theirs.
mkdir -m 1777 "$T/shared"
mkdir -m 777 "$T/loot" && chown 65534:65534 "$T/loot"
ln -s "$T/loot" "$T/shared/runs" && chown -h 65534:65534 "$T/shared/runs"
(cd "$T/shared" && TRAINWATCH_RUN=victim "$TRAIN" --epochs 2 --quiet) >"$T/train2.out" 2>"$T/train2.err" &&
    ok "a trainer in the shared directory finished (exit 0)" ||
    fail "the trainer failed: $(cat "$T/train2.err")"
grep -q "runs is a symbolic link that another user (uid 65534) made" "$T/train2.err" &&
    ok "it refused the planted runs symlink, saying why" || fail "trainer said: $(cat "$T/train2.err")"
[ -z "$(ls -A "$T/loot")" ] && ok "nothing written where the symlink points" ||
    fail "the other user's directory holds: $(ls -l "$T/loot")"

# And where the user's own directory is used: logs 0600 in a directory made 0700.
(cd "$T" && TRAINWATCH_RUN=mine "$TRAIN" --epochs 1 --quiet) >/dev/null 2>&1
log=$(ls "$T"/runs/*.twlog 2>/dev/null | head -n 1)
[ -n "$log" ] && [ "$(stat -c %a "$T/runs")" = 700 ] && [ "$(stat -c %a "$log")" = 600 ] &&
    ok "./runs made 0700, its log 0600" ||
    fail "./runs: $(stat -c %a "$T/runs" 2>&1), log: $(stat -c %a "$log" 2>&1)"
rm -rf "$T"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
