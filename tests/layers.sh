#!/bin/sh
# layers.sh SOURCE_ROOT - the dependency rules of doc/architecture.md, checked on the sources:
# every quoted #include of a layer resolves to a header of the same or a lower layer, the
# layers that must stay pure include no forbidden system header and call no forbidden
# function, each layer's meson.build links only the layers beneath it, and no file-scope
# mutable state lives outside monitor/main.c. Prints every violation; exits 1 if any.
set -eu
cd "$1"
fail=0
bad() {
    printf 'layers: %s\n' "$*" >&2
    fail=1
}

# layer DIR: the directories whose headers DIR may include (its own first).
allowed_dirs() {
    case $1 in
    publisher/metrics) echo "publisher/metrics include" ;;
    publisher/proto) echo "publisher/proto publisher/metrics include" ;;
    publisher) echo "publisher publisher/proto publisher/metrics include" ;;
    monitor/model) echo "monitor/model publisher/proto include" ;;
    monitor/tui) echo "monitor/tui monitor/model include" ;;
    monitor) echo "monitor monitor/tui monitor/model publisher/proto include" ;;
    esac
}
LAYERS="publisher/metrics publisher/proto publisher monitor/model monitor/tui monitor"

# Every header of the tree, as "DIR NAME" lines.
headers=$(for d in $LAYERS include; do
    for h in "$d"/*.h; do [ -f "$h" ] && echo "$d ${h##*/}"; done
done)

for layer in $LAYERS; do
    ok=$(allowed_dirs "$layer")
    for f in "$layer"/*.c "$layer"/*.h; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            found=""
            for d in $ok; do
                [ -f "$d/$inc" ] && found=$d && break
            done
            if [ -z "$found" ]; then
                where=$(printf '%s\n' "$headers" | awk -v h="$inc" '$2 == h { print $1 }' | tr '\n' ' ')
                bad "$f includes \"$inc\" (from ${where:-nowhere}), outside its layers: $ok"
            fi
        done
    done
done

# Forbidden system headers per layer (a regular expression over <...> includes).
forbid_sys() {
    layer=$1 pattern=$2 why=$3
    for f in "$layer"/*.c "$layer"/*.h; do
        [ -f "$f" ] || continue
        hit=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($pattern)>" "$f" || true)
        [ -z "$hit" ] || bad "$f: $why: $hit"
    done
}
forbid_sys publisher/metrics 'zmq\.h|msgpack\.h|pthread\.h|stdio\.h|unistd\.h|fcntl\.h' "metrics do no I/O and start no thread"
forbid_sys publisher/proto 'curses\.h|ncursesw?/.*|pthread\.h' "the protocol draws nothing and starts no thread"
forbid_sys monitor/model 'curses\.h|ncursesw?/.*|zmq\.h|pthread\.h' "the model uses no curses, zmq or threads"
forbid_sys monitor/tui 'zmq\.h|msgpack\.h' "the terminal UI speaks no zmq"

# The model prints nothing: no stdio output (snprintf into buffers is fine).
for f in monitor/model/*.c; do
    hit=$(grep -nE '(^|[^a-z_])(printf|fprintf|vprintf|vfprintf|puts|fputs|putchar|fputc|fwrite|perror)[[:space:]]*\(|std(out|err)' "$f" |
        grep -vE '^[0-9]+:[[:space:]]*(/?\*|//)|format\(printf' || true)
    [ -z "$hit" ] || bad "$f writes to stdio: $hit"
done

# The terminal UI reads the model; no proto I/O (run logs, registry, endpoints, keys).
for f in monitor/tui/*.c monitor/tui/*.h; do
    hit=$(grep -nE '#[[:space:]]*include[[:space:]]*"(runlog|registry|endpoint|curve|crc32c)\.h"' "$f" || true)
    [ -z "$hit" ] || bad "$f: the UI does no protocol I/O: $hit"
done

# meson: each layer's library links only layers beneath it.
forbid_dep() {
    file=$1 pattern=$2
    hit=$(grep -nE "$pattern" "$file" || true)
    [ -z "$hit" ] || bad "$file links a layer it must not: $hit"
}
forbid_dep publisher/metrics/meson.build 'tw_proto|tw_publisher|zmq_dep|msgpack_dep|thread_dep|tw_model|tw_tui|ncurses'
forbid_dep publisher/proto/meson.build 'tw_publisher|thread_dep|tw_model|tw_tui|ncurses'
forbid_dep monitor/model/meson.build 'tw_publisher|libtrainwatch|zmq_dep|thread_dep|tw_tui|ncurses'
forbid_dep monitor/tui/meson.build 'tw_publisher|libtrainwatch|zmq_dep|tw_proto'
forbid_dep monitor/meson.build 'tw_publisher|libtrainwatch'

# The installed command (monitor/launcher/) runs where the monitor's libraries may be missing:
# it includes no header of the project but its own folder's (its generated launcher_config.h,
# and providers.h, which the monitor shares and which includes only libc's) and links nothing
# but libc (and libdl).
for f in monitor/launcher/*.c monitor/launcher/*.h; do
    hit=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        grep -vE '"(launcher_config|providers)\.h"' || true)
    [ -z "$hit" ] || bad "$f includes a header of the project: $hit"
done
hit=$(grep -nE '_dep|link_with|link_whole|dependency\(' monitor/launcher/meson.build |
    grep -vE "dependency\('dl', required : false\)" || true)
[ -z "$hit" ] || bad "monitor/launcher/meson.build links more than libc: $hit"

# Process-wide state: a file-scope 'static' variable that is not const, outside main.c (and
# zmq_load.c: libzmq's functions once loaded, as process-wide as the library they are in).
for f in publisher/metrics/*.c publisher/proto/*.c publisher/*.c monitor/model/*.c monitor/tui/*.c monitor/*.c monitor/launcher/*.c; do
    [ "$f" = monitor/main.c ] || [ "$f" = monitor/zmq_load.c ] && continue
    hit=$(grep -nE '^static[^(]*[;=]' "$f" | grep -v 'const' || true)
    [ -z "$hit" ] || bad "$f holds file-scope mutable state (only monitor/main.c and monitor/zmq_load.c may): $hit"
done

if [ "$fail" -ne 0 ]; then
    echo "layers: the dependency rules are broken (see doc/architecture.md)" >&2
    exit 1
fi
echo "layers: every include and link points down; no mutable file-scope state outside main.c (and zmq_load.c)"
