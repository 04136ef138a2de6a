/* completion.c - the bash and zsh completion scripts, from the program's own tables
 * (completion.h). */
#define _GNU_SOURCE
#include "completion.h"

#include "alerts.h"
#include "cli.h"
#include "relay.h"
#include "trainwatch.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

/* What an option's argument is, for the options whose argument can be completed; any other
 * option that takes an argument gets nothing offered (a number, a regex, an endpoint). */
typedef enum arg_kind {
    ARG_NONE = 0,
    ARG_RULE,
    ARG_RULE_SPEC,
    ARG_KIND,
    ARG_FILE,
    ARG_COMMAND
} arg_kind;

static const struct {
    const char *option;
    arg_kind kind;
} arg_kinds[] = {
    {"alert", ARG_RULE_SPEC}, {"no-alert", ARG_RULE},   {"metric", ARG_KIND},
    {"key", ARG_FILE},        {"server-key", ARG_FILE}, {"on-alert", ARG_COMMAND},
};

static const char *const subcommands[] = {"relay", "keygen", "completion"};

static arg_kind
kind_of(const char *option)
{
    for (size_t i = 0; i < sizeof arg_kinds / sizeof *arg_kinds; i++)
        if (strcmp(arg_kinds[i].option, option) == 0)
            return arg_kinds[i].kind;
    return ARG_NONE;
}

/* "--name" and, where there is one, "-c" of every option, space-separated. */
static void
option_words(FILE *out, const struct option *o)
{
    for (; o->name; o++) {
        fprintf(out, " --%s", o->name);
        if (o->val > ' ' && o->val < 0x7f)
            fprintf(out, " -%c", o->val);
    }
}

/* Whether an option of the table takes an argument of kind k. */
static bool
has_kind(const struct option *o, arg_kind k)
{
    for (; o->name; o++)
        if (o->has_arg == required_argument && kind_of(o->name) == k)
            return true;
    return false;
}

/* The case arms of one option table: what follows an option that takes an argument, one arm
 * ("--key|-k|--server-key|-s) ACTION") per kind of argument its options take. */
static void
argument_arms(FILE *out, const struct option *table, const char *indent)
{
    static const char *const actions[] = {
        [ARG_NONE] = "return 0 ;; # a value of the user's own",
        [ARG_RULE] = "COMPREPLY=($(compgen -W \"$rules\" -- \"$cur\")); return 0 ;;",
        [ARG_RULE_SPEC] = "_trainwatch_rule_spec; return 0 ;;",
        [ARG_KIND] = "COMPREPLY=($(compgen -W \"$kinds\" -- \"$cur\")); return 0 ;;",
        [ARG_FILE] = "COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;",
        [ARG_COMMAND] = "COMPREPLY=($(compgen -c -- \"$cur\")); return 0 ;;",
    };
    for (int k = ARG_NONE; k <= ARG_COMMAND; k++) {
        if (!has_kind(table, (arg_kind)k))
            continue;
        fprintf(out, "%s", indent);
        const char *sep = "";
        for (const struct option *o = table; o->name; o++) {
            if (o->has_arg != required_argument || kind_of(o->name) != (arg_kind)k)
                continue;
            fprintf(out, "%s--%s", sep, o->name);
            if (o->val > ' ' && o->val < 0x7f)
                fprintf(out, "|-%c", o->val);
            sep = "|";
        }
        fprintf(out, ")\n%s    %s\n", indent, actions[k]);
    }
}

/* One shell case a rule, "    RULE) keys=OPEN KEY= KEY= CLOSE ;;", its --alert parameters: the
 * same for bash (a string) and zsh (an array). */
static void
rule_key_cases(FILE *out, const char *open, const char *close)
{
    for (int r = 0; r < TW_ALERT_N_RULES; r++) {
        fprintf(out, "    %s) keys=%s", tw_alert_rule_name((tw_alert_rule)r), open);
        tw_alert_rule pr;
        const char *key;
        bool first = true;
        for (size_t i = 0; (key = tw_alert_param_key(i, &pr)) != NULL; i++)
            if (pr == (tw_alert_rule)r) {
                fprintf(out, "%s%s=", first ? "" : " ", key);
                first = false;
            }
        fprintf(out, "%s ;;\n", close);
    }
}

/* The shell function that completes "RULE" and, after "RULE,", that rule's parameters. */
static void
rule_spec_function(FILE *out)
{
    fprintf(out, "_trainwatch_rule_spec()\n{\n"
                 "    if [[ $cur != *,* ]]; then\n"
                 "        COMPREPLY=($(compgen -W \"$rules\" -- \"$cur\"))\n"
                 "        return 0\n    fi\n"
                 "    local rule=${cur%%%%,*} keys=\"\"\n"
                 "    case $rule in\n");
    rule_key_cases(out, "\"", "\"");
    fprintf(out, "    esac\n"
                 "    local k words=\"\"\n"
                 "    for k in $keys; do words=\"$words ${cur%%,*},$k\"; done\n"
                 "    compopt -o nospace 2>/dev/null\n"
                 "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n\n");
}

int
tw_completion_bash(FILE *out)
{
    const struct option *main_opts = tw_cli_long_options();
    fprintf(out,
            "# bash completion for trainwatch(1), version %s: made by `trainwatch "
            "completion bash`\n# from the program's own tables. Source it, or put it in "
            "~/.local/share/bash-completion/completions/trainwatch.\n\n",
            tw_version());
    rule_spec_function(out);
    fprintf(out, "_trainwatch()\n{\n    local cur=${COMP_WORDS[COMP_CWORD]} prev=\"\"\n"
                 "    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
                 "    # --option=value: bash splits it at '=' (COMP_WORDBREAKS)\n"
                 "    if [[ $cur == = ]]; then\n        cur=\"\"\n"
                 "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
                 "        prev=${COMP_WORDS[COMP_CWORD - 2]}\n    fi\n");
    fprintf(out, "    local rules=\"");
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        fprintf(out, "%s%s", r ? " " : "", tw_alert_rule_name((tw_alert_rule)r));
    fprintf(out, "\"\n    local kinds=\"");
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        fprintf(out, "%s%s", k == TW_METRIC_MEAN ? "" : " ",
                tw_metric_kind_name((tw_metric_kind)k));
    fprintf(out, "\"\n\n    case ${COMP_WORDS[1]:-} in\n    relay)\n        case $prev in\n");
    argument_arms(out, tw_relay_long_options(), "        ");
    fprintf(out, "        esac\n        COMPREPLY=($(compgen -W \"");
    option_words(out, tw_relay_long_options());
    fprintf(out, "\" -- \"$cur\"))\n        return 0 ;;\n"
                 "    keygen) COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n"
                 "    completion) ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W \"bash zsh\" -- "
                 "\"$cur\")); return 0 ;;\n    esac\n\n    case $prev in\n");
    argument_arms(out, main_opts, "    ");
    fprintf(out, "    esac\n    if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W \"");
    option_words(out, main_opts);
    fprintf(out, "\" -- \"$cur\"))\n        return 0\n    fi\n"
                 "    # sources: run logs and directories of them (endpoints are typed)\n"
                 "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                 "    ((COMP_CWORD == 1)) && COMPREPLY+=($(compgen -W \"");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        fprintf(out, "%s%s", i ? " " : "", subcommands[i]);
    fprintf(out, "\" -- \"$cur\"))\n    return 0\n}\n"
                 "complete -o filenames -o bashdefault -F _trainwatch trainwatch\n");
    return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

/* The zsh action of an option's argument: an _arguments "MESSAGE:ACTION" tail. */
static void
zsh_action(FILE *out, arg_kind kind)
{
    switch (kind) {
    case ARG_RULE:
        fprintf(out, ":rule:_trainwatch_rules");
        break;
    case ARG_RULE_SPEC:
        fprintf(out, ":rule:_trainwatch_rule_spec");
        break;
    case ARG_KIND:
        fprintf(out, ":metric kind:_trainwatch_kinds");
        break;
    case ARG_FILE:
        fprintf(out, ":file:_files");
        break;
    case ARG_COMMAND:
        fprintf(out, ":command:_command_names -e");
        break;
    case ARG_NONE:
        fprintf(out, ":value: ");
        break;
    }
}

/* One _arguments spec per option and per short letter, each repeatable ('*'): "--name" or
 * "--name=" + action, "-c" or "-c+" + action, a line each, indented. */
static void
zsh_specs(FILE *out, const struct option *o, const char *indent)
{
    for (; o->name; o++) {
        bool arg = o->has_arg == required_argument;
        fprintf(out, "%s'*--%s%s", indent, o->name, arg ? "=" : "");
        if (arg)
            zsh_action(out, kind_of(o->name));
        fprintf(out, "' \\\n");
        if (o->val > ' ' && o->val < 0x7f && o->val != '\'') {
            fprintf(out, "%s'*-%c%s", indent, o->val, arg ? "+" : "");
            if (arg)
                zsh_action(out, kind_of(o->name));
            fprintf(out, "' \\\n");
        }
    }
}

/* _trainwatch_rules, _trainwatch_kinds and _trainwatch_rule_spec ("RULE", then after
 * "RULE," that rule's parameters). */
static void
zsh_value_functions(FILE *out)
{
    fprintf(out, "_trainwatch_rules()\n{\n    local -a rules=(");
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        fprintf(out, "%s%s", r ? " " : "", tw_alert_rule_name((tw_alert_rule)r));
    fprintf(out,
            ")\n    compadd \"$@\" -a rules\n}\n\n_trainwatch_kinds()\n{\n    local -a kinds=(");
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        fprintf(out, "%s%s", k == TW_METRIC_MEAN ? "" : " ",
                tw_metric_kind_name((tw_metric_kind)k));
    fprintf(out, ")\n    compadd -a kinds\n}\n\n_trainwatch_rule_spec()\n{\n"
                 "    local rule=${PREFIX%%%%,*}\n    if ! compset -P '*,'; then\n"
                 "        _trainwatch_rules -q -S ,\n        return\n    fi\n"
                 "    local -a keys\n    case $rule in\n");
    rule_key_cases(out, "(", ")");
    fprintf(out, "    esac\n    compadd -S '' -a keys\n}\n\n");
}

int
tw_completion_zsh(FILE *out)
{
    fprintf(out,
            "#compdef trainwatch\n# zsh completion for trainwatch(1), version %s: made by "
            "`trainwatch completion zsh`\n# from the program's own tables. Install it as "
            "_trainwatch in a directory of $fpath\n# (meson install: "
            "PREFIX/share/zsh/site-functions), or source it after compinit.\n\n",
            tw_version());
    zsh_value_functions(out);
    fprintf(out, "_trainwatch()\n{\n    case ${words[2]-} in\n    relay)\n"
                 "        shift words\n        (( CURRENT-- ))\n        _arguments -s -S \\\n");
    zsh_specs(out, tw_relay_long_options(), "            ");
    fprintf(out, "            && return 0\n        return 1 ;;\n"
                 "    keygen) (( CURRENT == 3 )) && _files; return ;;\n"
                 "    completion) (( CURRENT == 3 )) && compadd bash zsh; return ;;\n"
                 "    esac\n    _arguments -s -S \\\n");
    zsh_specs(out, tw_cli_long_options(), "        ");
    fprintf(out, "        '*:source:_trainwatch_sources'\n}\n\n"
                 "# sources: run logs and directories of them (endpoints are typed); first, a "
                 "subcommand\n_trainwatch_sources()\n{\n"
                 "    (( CURRENT == 2 )) && compadd");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        fprintf(out, " %s", subcommands[i]);
    fprintf(out, "\n    _files\n}\n\n"
                 "if [[ ${funcstack[1]-} == _trainwatch ]]; then\n"
                 "    _trainwatch \"$@\" # autoloaded from $fpath\nelse\n"
                 "    compdef _trainwatch trainwatch # sourced\nfi\n");
    return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

int
tw_completion_main(int argc, char **argv)
{
    const char *shell = argc == 3 ? argv[2] : "bash";
    if (argc > 3 || (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0)) {
        fprintf(stderr, "usage: trainwatch completion [bash|zsh] (prints the completion "
                        "script; source it, or see trainwatch(1))\n");
        return 2;
    }
    int rc = strcmp(shell, "zsh") == 0 ? tw_completion_zsh(stdout) : tw_completion_bash(stdout);
    if (rc != 0) {
        fprintf(stderr, "trainwatch completion: cannot write to standard output\n");
        return 1;
    }
    return 0;
}
