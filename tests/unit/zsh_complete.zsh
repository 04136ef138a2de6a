# zsh_complete.zsh FPATH_DIR OUT LINE... (run by test_completion): types each LINE into an interactive zsh on a
# pseudo-terminal (zsh/zpty), FPATH_DIR first in $fpath and compinit run, then TAB; writes
# each command line as completion left it, "<LINE>" a line, to OUT (^T, bound to a widget
# that writes $BUFFER, follows each TAB). Exit 77 without zpty.
zmodload zsh/zpty 2>/dev/null || exit 77
dir=$1 out=$2
shift 2
: >"$out"
zpty -b z "ZDOTDIR=/nonexistent zsh -f -i"
zpty -w z "PS1=; unsetopt beep; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "show() { print -r -- \"<\$BUFFER>\" >>${(q)out}; BUFFER=; }; zle -N show; bindkey '^T' show"
for line in "$@"; do
    zpty -w -n z "$line"$'\t\x14'
done
# drain the terminal (a full one would stop zsh) until every line is in, 20 s at most
for i in {1..200}; do
    while zpty -r -t z junk; do :; done
    (( $(wc -l <"$out") >= $# )) && break
    sleep 0.1
done
zpty -d z
