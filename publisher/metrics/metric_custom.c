/* metric_custom.c - custom metrics that merge exactly: named additive slots and a result
 * expression over them, compiled once to a small stack program.
 *
 * Grammar: expr := term (('+' | '-') term)*; term := unary (('*' | '/') unary)*;
 * unary := '-' unary | primary; primary := number | slot | sqrt(e) | log(e) | exp(e) |
 * min(e, e) | max(e, e) | '(' expr ')'. Division by exactly 0 gives 0 (Keras's divide_no_nan).
 * Limits: TW_CUSTOM_MAX_EXPR bytes, TW_CUSTOM_MAX_OPS operations, nesting depth
 * TW_CUSTOM_MAX_DEPTH (the parser recurses at most that deep), TW_CUSTOM_MAX_SLOTS slots of
 * names of at most 31 bytes ([A-Za-z_][A-Za-z0-9_]*, unique, not a function's name). */
#include "metric_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    OP_NUM,
    OP_SLOT,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_NEG,
    OP_SQRT,
    OP_LOG,
    OP_EXP,
    OP_MIN,
    OP_MAX
};

typedef struct compiler {
    const char *p;
    const tw_metric_ext *x; /* slot names */
    tw_custom_op *prog;
    int n, depth;
    const char *why;
} compiler;

static void
skip(compiler *c)
{
    while (*c->p == ' ' || *c->p == '\t')
        c->p++;
}

static bool
emit(compiler *c, int op, int slot, double num)
{
    if (c->n == TW_CUSTOM_MAX_OPS) {
        c->why = "expr: too many operations";
        return false;
    }
    c->prog[c->n++] =
        (tw_custom_op){.op = (unsigned char)op, .slot = (unsigned char)slot, .num = num};
    return true;
}

static bool parse_expr(compiler *c);

/* The ')' that closes a group or a call. */
static bool
close_paren(compiler *c)
{
    skip(c);
    if (*c->p++ == ')')
        return true;
    c->why = "expr: missing )";
    return false;
}

/* fn(e) or fn(e, e) after the name; `op` the function's operation. */
static bool
parse_call(compiler *c, int op, int args)
{
    skip(c);
    if (*c->p++ != '(') {
        c->why = "expr: a function takes its arguments in ( )";
        return false;
    }
    for (int i = 0; i < args; i++) {
        if (i > 0) {
            skip(c);
            if (*c->p++ != ',') {
                c->why = "expr: min and max take two arguments";
                return false;
            }
        }
        if (!parse_expr(c))
            return false;
    }
    return close_paren(c) && emit(c, op, 0, 0.0);
}

static bool
parse_name(compiler *c)
{
    char name[32];
    size_t n = 0;
    while ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z') || *c->p == '_' ||
           (n > 0 && *c->p >= '0' && *c->p <= '9')) {
        if (n == sizeof name - 1) {
            c->why = "expr: a name is at most 31 bytes";
            return false;
        }
        name[n++] = *c->p++;
    }
    name[n] = '\0';
    static const struct {
        const char *name;
        int op, args;
    } fns[] = {{"sqrt", OP_SQRT, 1},
               {"log", OP_LOG, 1},
               {"exp", OP_EXP, 1},
               {"min", OP_MIN, 2},
               {"max", OP_MAX, 2}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(name, fns[i].name) == 0)
            return parse_call(c, fns[i].op, fns[i].args);
    for (int s = 0; s < c->x->n_slots; s++)
        if (strcmp(name, c->x->slot_names[s]) == 0)
            return emit(c, OP_SLOT, s, 0.0);
    c->why = "expr: a name that is neither a slot nor sqrt, log, exp, min, max";
    return false;
}

static bool
parse_primary(compiler *c)
{
    skip(c);
    char ch = *c->p;
    if (ch == '(') {
        c->p++;
        return parse_expr(c) && close_paren(c);
    }
    if ((ch >= '0' && ch <= '9') || ch == '.') {
        char *end;
        double v = strtod(c->p, &end);
        if (end == c->p || !isfinite(v)) {
            c->why = "expr: a bad number";
            return false;
        }
        c->p = end;
        return emit(c, OP_NUM, 0, v);
    }
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
        return parse_name(c);
    c->why = ch ? "expr: expected a number, a slot, a function or (" : "expr: ends too soon";
    return false;
}

/* One level deeper; false (with the reason) past TW_CUSTOM_MAX_DEPTH. */
static bool
enter(compiler *c)
{
    if (++c->depth <= TW_CUSTOM_MAX_DEPTH)
        return true;
    c->why = "expr: nested too deep";
    return false;
}

static bool
parse_unary(compiler *c)
{
    skip(c);
    if (*c->p == '-') {
        c->p++;
        if (!enter(c))
            return false;
        bool ok = parse_unary(c) && emit(c, OP_NEG, 0, 0.0);
        c->depth--;
        return ok;
    }
    return parse_primary(c);
}

static bool
parse_term(compiler *c)
{
    if (!parse_unary(c))
        return false;
    for (;;) {
        skip(c);
        char ch = *c->p;
        if (ch != '*' && ch != '/')
            return true;
        c->p++;
        if (!parse_unary(c) || !emit(c, ch == '*' ? OP_MUL : OP_DIV, 0, 0.0))
            return false;
    }
}

static bool
parse_expr(compiler *c)
{
    if (!enter(c))
        return false;
    bool ok = parse_term(c);
    while (ok) {
        skip(c);
        char ch = *c->p;
        if (ch != '+' && ch != '-')
            break;
        c->p++;
        ok = parse_term(c) && emit(c, ch == '+' ? OP_ADD : OP_SUB, 0, 0.0);
    }
    c->depth--;
    return ok;
}

const char *
tw_metric_custom_compile(tw_metric_ext *x)
{
    compiler c = {.p = x->expr, .x = x, .prog = x->prog, .n = 0, .depth = 0, .why = NULL};
    if (!x->expr[0])
        return "expr is required";
    if (!parse_expr(&c))
        return c.why;
    skip(&c);
    if (*c.p)
        return "expr: unexpected text after the expression";
    x->n_prog = c.n;
    return NULL;
}

double
tw_metric_custom_eval(const tw_metric *m)
{
    const tw_metric_ext *x = m->ext;
    double st[TW_CUSTOM_MAX_OPS];
    int sp = 0;
    for (int i = 0; i < x->n_prog; i++) {
        const tw_custom_op *o = &x->prog[i];
        double a = sp > 0 ? st[sp - 1] : 0.0, b = sp > 1 ? st[sp - 2] : 0.0;
        switch (o->op) {
        case OP_NUM:
            st[sp++] = o->num;
            continue;
        case OP_SLOT:
            st[sp++] = m->state[o->slot];
            continue;
        case OP_NEG:
            st[sp - 1] = -a;
            continue;
        case OP_SQRT:
            st[sp - 1] = sqrt(a);
            continue;
        case OP_LOG:
            st[sp - 1] = log(a);
            continue;
        case OP_EXP:
            st[sp - 1] = exp(a);
            continue;
        default:
            break;
        }
        /* binary: b (op) a */
        double v;
        switch (o->op) {
        case OP_ADD:
            v = b + a;
            break;
        case OP_SUB:
            v = b - a;
            break;
        case OP_MUL:
            v = b * a;
            break;
        case OP_DIV:
            v = tw_divide_no_nan(b, a);
            break;
        case OP_MIN:
            v = fmin(b, a);
            break;
        default: /* OP_MAX */
            v = fmax(b, a);
            break;
        }
        st[--sp - 1] = v;
    }
    return sp > 0 ? st[sp - 1] : NAN;
}

static bool
is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

/* expr="...": the text between the quotes, canonical: spaces dropped but one between two
 * words ("a b" stays two tokens). */
const char *
tw_metric_custom_read_expr(const char **pp, tw_metric_ext *x)
{
    char quote = *(*pp);
    if (quote != '"' && quote != '\'')
        return "the expression goes in quotes";
    (*pp)++;
    size_t n = 0;
    for (; *(*pp) && *(*pp) != quote; (*pp)++) {
        char c = *(*pp);
        if (c == ' ' || c == '\t') {
            while ((*pp)[1] == ' ' || (*pp)[1] == '\t')
                (*pp)++;
            if (!(n > 0 && is_word(x->expr[n - 1]) && is_word((*pp)[1])))
                continue;
            c = ' ';
        }
        if (n == TW_CUSTOM_MAX_EXPR)
            return "at most 1024 bytes";
        x->expr[n++] = c;
    }
    x->expr[n] = '\0';
    if (*(*pp)++ != quote)
        return "missing closing quote";
    return NULL;
}

/* Appends s to buf (cap bytes) at *at; false when it does not fit. */
static bool
append(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n + 1 > cap)
        return false;
    memcpy(buf + *at, s, n + 1);
    *at += n;
    return true;
}

tw_metric *
tw_metric_new_custom(const char *const *slot_names, size_t n_slots, const char *expr)
{
    char opts[TW_METRIC_OPTIONS_MAX + 1];
    size_t at = 0;
    bool ok = slot_names && expr && n_slots >= 1 && n_slots <= TW_CUSTOM_MAX_SLOTS &&
              !strchr(expr, '"') && append(opts, sizeof opts, &at, "slots=[");
    for (size_t i = 0; ok && i < n_slots; i++)
        ok = slot_names[i] && slot_names[i][0] && strlen(slot_names[i]) < 32 &&
             !strpbrk(slot_names[i], ",]\"= ") && (i == 0 || append(opts, sizeof opts, &at, ",")) &&
             append(opts, sizeof opts, &at, slot_names[i]);
    ok = ok && append(opts, sizeof opts, &at, "],expr=\"") &&
         append(opts, sizeof opts, &at, expr) && append(opts, sizeof opts, &at, "\"");
    if (!ok) {
        errno = EINVAL;
        return NULL;
    }
    return tw_metric_new_opts(TW_METRIC_CUSTOM, opts);
}
