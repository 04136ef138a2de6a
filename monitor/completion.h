/* completion.h - `trainwatch completion bash|zsh`: the completion scripts, made from the
 * program's own tables (its options, the relay's, the alert rules and their parameters, the
 * metric kinds), so that it cannot drift from them. meson install installs its output. */
#ifndef TW_COMPLETION_H
#define TW_COMPLETION_H

#include <stdio.h>

/* Writes the bash completion script for trainwatch to out: `complete -F _trainwatch
 * trainwatch` over the options (long and short), the subcommands, the relay's options, the
 * alert rules for --alert and --no-alert (and a rule's parameters after "RULE,"), the metric
 * kinds for --metric, files for keys and sources. Returns 0, or -EIO when out fails. */
int tw_completion_bash(FILE *out);

/* Writes the zsh completion script (#compdef trainwatch; _arguments specs) from the same
 * tables: the file _trainwatch for $fpath, or sourced after compinit. 0, or -EIO. */
int tw_completion_zsh(FILE *out);

/* Runs the subcommand: argv[0] is "trainwatch", argv[1] "completion", argv[2] the shell
 * ("bash", the default, or "zsh"). Returns the exit status: 0, 1 when standard output fails, 2 for
 * an unknown shell or extra arguments. */
int tw_completion_main(int argc, char **argv);

#endif
