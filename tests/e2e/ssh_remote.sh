#!/bin/sh
# ssh_remote.sh - the README's "Watching a remote run" recipes, for real, over an sshd on
# loopback (this host plays the remote GPU machine):
#   1. ssh -t HOST trainwatch   the monitor runs remotely and finds the remote runs by itself;
#                               its UI comes through the SSH terminal (here: a tmux pane);
#                               and ssh HOST trainwatch --once, the table
#   2. ssh -N -L ...            the remote trainer publishes on its loopback; a local monitor
#                               connects through the tunnel and gets every epoch's value
# Needs sshd (Debian openssh-server) and root (to run a private sshd that allows a key login);
# skipped (77) otherwise.
# Usage: ssh_remote.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$(realpath "$1")
TRAIN=$(realpath "$2")
SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ] ||
    ! command -v tmux >/dev/null 2>&1; then
    echo "skipped: needs sshd, ssh, tmux and root"
    exit 77
fi
T=$(mktemp -d /tmp/tw-ssh-XXXXXX)
SOCK=twssh$$
PORT=$(port_block) || exit 1
PUB=$((PORT + 1))
FWD=$((PORT + 2))
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    [ -f "$T/sshd.pid" ] && kill "$(cat "$T/sshd.pid")" 2>/dev/null
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

mkdir -p /run/sshd "$T/rt"
chmod 700 "$T/rt"
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
cp "$T/id.pub" "$T/authorized_keys"
cat >"$T/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
SetEnv XDG_RUNTIME_DIR=$T/rt
CONF
"$SSHD" -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
pids="$pids $!"
SSH="ssh -p $PORT -i $T/id -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$T/known_hosts -o LogLevel=ERROR"
i=0
until $SSH root@127.0.0.1 true 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 50 ]; then
        echo "FAIL - sshd did not come up: $(head -c 400 "$T/sshd.log")"
        exit 1
    fi
    sleep 0.1
done
ok "a private sshd on 127.0.0.1:$PORT takes a key login"

# 1. ssh -t: a trainer on the "remote" host with the defaults (ipc socket, registry in its
# runtime dir), the monitor started through ssh in a terminal.
XDG_RUNTIME_DIR=$T/rt TRAINWATCH_RUN=remote-a TRAINWATCH_LOG_DIR=off \
    "$TRAIN" --epochs 400 --delay-ms 2 --quiet &
tpid=$!
pids="$pids $tpid"
TERM=xterm-256color tm -f /dev/null new-session -d -s ui -x 120 -y 35 \
    "$SSH -t root@127.0.0.1 $TW; echo SSH-EXIT=\$?; sleep 30"
if wait_for "remote-a" 10 && wait_for "METRICS of remote-a" 5; then
    ok "ssh -t host trainwatch: the remote run is found and drawn in the local terminal"
else
    fail "ssh -t: the run is not shown: $(screen | head -5)"
fi
tm send-keys -t ui q
if wait_for "SSH-EXIT=0" 10; then ok "q quits the remote monitor and ssh exits 0"; else
    fail "ssh -t did not end with 0: $(screen | tail -3)"
fi
if $SSH root@127.0.0.1 "$TW --once" >"$T/once.txt" 2>&1 && grep -q "^remote-a .*val_loss\|^remote-a .*loss" "$T/once.txt"; then
    ok "ssh host trainwatch --once prints the remote run's table"
else
    fail "ssh --once: $(head -c 300 "$T/once.txt")"
fi
kill "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null

# 2. ssh -L: the trainer publishes on the remote loopback; the tunnel brings it here.
$SSH -N -L "$FWD:127.0.0.1:$PUB" root@127.0.0.1 &
tunnel=$!
pids="$pids $tunnel"
"$TW" --jsonl --until-end "tcp://127.0.0.1:$FWD" >"$T/mon.jsonl" 2>"$T/mon.err" &
mon=$!
pids="$pids $mon"
sleep 0.5
TRAINWATCH_ENDPOINT="tcp://127.0.0.1:$PUB" TRAINWATCH_RUN=remote-b TRAINWATCH_LOG_DIR=off \
    "$TRAIN" --epochs 20 --delay-ms 1 >"$T/train.out" 2>"$T/train.err"
if wait_exit "$mon" 100; then ok "ssh -L: the local monitor saw the run end"; else
    fail "ssh -L: the monitor did not see the run end: $(head -c 300 "$T/mon.err")"
fi
values_match "ssh -L" "$T/mon.jsonl" "$T/train.out" 1 10 20
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
