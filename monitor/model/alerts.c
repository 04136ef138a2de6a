/* alerts.c - the alert rules and the engine that turns them into fired/cleared events. */
#include "alerts.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parameter limits, checked by the parser. */
#define MAX_K        1000u    /* overfitting k, strip k, up s */
#define MAX_PATIENCE 1000000u /* patience */

/* The epoch rules, in the order of a series slot's arrays. */
#define N_EPOCH_RULES 5 /* overfitting, gl, pq, up, patience: TW_ALERT_OVERFITTING.. */

static const char *const rule_names[TW_ALERT_N_RULES] = {
    [TW_ALERT_OVERFITTING] = "overfitting",
    [TW_ALERT_GL] = "gl",
    [TW_ALERT_PQ] = "pq",
    [TW_ALERT_UP] = "up",
    [TW_ALERT_PATIENCE] = "patience",
    [TW_ALERT_NONFINITE] = "nonfinite",
    [TW_ALERT_STALLED] = "stalled",
    [TW_ALERT_DATALOSS] = "dataloss",
};

/* Per-series state. */
typedef struct series_slot {
    size_t done; /* values processed */
    bool active[N_EPOCH_RULES];
    /* overfitting: the best so far (beyond min_delta) */
    size_t of_best;
    /* patience: Keras's state */
    bool p_has_best;
    double p_best;
    uint64_t p_best_epoch;
    uint64_t p_wait;
    bool nonfinite_fired;
} series_slot;

typedef struct run_slot {
    series_slot *series;
    size_t n_series;
    tw_store_state bad; /* the state that fired (LIVE: none) */
    bool crashed;       /* fired "ended without a run-end record" */
    bool loss_fired;
    double loss_since; /* when sequence gaps were first seen, 0: none */
} run_slot;

struct tw_alerts {
    tw_alert_config c;
    run_slot *runs;
    size_t n_runs;
    tw_alert *events;
    size_t n_events, cap_events;
    uint64_t next_id, fired, lost;
    size_t acked; /* events before this index are acknowledged */
    size_t active;
    uint64_t seen_changes;
    bool evaluated;
    double recheck; /* evaluate again at this time even without new data (INFINITY: no) */
    /* scratch arrays of one series' values */
    double *v, *tr;
    uint64_t *ep;
    size_t cap_vals;
};

const char *
tw_alert_rule_name(tw_alert_rule rule)
{
    return (unsigned)rule < TW_ALERT_N_RULES ? rule_names[rule] : NULL;
}

tw_alert_config
tw_alert_defaults(void)
{
    tw_alert_config c = {
        .overfit_k = 3,
        .overfit_min_delta = 0,
        .gl_alpha = 5,
        .pq_alpha = 0.5,
        .pq_k = 5,
        .up_s = 3,
        .up_k = 5,
        .patience = 5,
        .patience_min_delta = 0,
        .has_baseline = false,
        .baseline = 0,
        .start_from_epoch = 0,
    };
    c.on[TW_ALERT_OVERFITTING] = true;
    c.on[TW_ALERT_NONFINITE] = true;
    c.on[TW_ALERT_STALLED] = true;
    c.on[TW_ALERT_DATALOSS] = true;
    return c;
}

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int
find_rule(const char *name, size_t len)
{
    static const struct {
        const char *name;
        tw_alert_rule rule;
    } aliases[] = {{"overfit", TW_ALERT_OVERFITTING},
                   {"nan", TW_ALERT_NONFINITE},
                   {"vanished", TW_ALERT_STALLED},
                   {"drops", TW_ALERT_DATALOSS}};
    for (int i = 0; i < TW_ALERT_N_RULES; i++)
        if (strlen(rule_names[i]) == len && strncmp(rule_names[i], name, len) == 0)
            return i;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].name) == len && strncmp(aliases[i].name, name, len) == 0)
            return (int)aliases[i].rule;
    return -1;
}

/* Parses a finite number; false when it is not one. */
static bool
parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Parses an integer in [lo, hi]. */
static bool
parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The parameters each rule takes, for error messages. */
static const char *const rule_params[TW_ALERT_N_RULES] = {
    [TW_ALERT_OVERFITTING] = "k, min_delta",
    [TW_ALERT_GL] = "alpha",
    [TW_ALERT_PQ] = "alpha, k",
    [TW_ALERT_UP] = "s, k",
    [TW_ALERT_PATIENCE] = "patience, min_delta, baseline, start_from_epoch",
};

/* Sets one key=value of rule r in c. */
static int
set_param(tw_alert_config *c, int r, const char *key, const char *val, char *err, size_t errlen)
{
    const char *rn = rule_names[r];
    double d;
    uint64_t u;
    bool is_num = parse_double(val, &d);
#define NEED_UINT(lo, hi, field)                                                                   \
    do {                                                                                           \
        if (!parse_uint(val, lo, hi, &u))                                                          \
            return fail(err, errlen, "--alert %s: %s=%s: expected an integer from %u to %u", rn,   \
                        key, val, (unsigned)(lo), (unsigned)(hi));                                 \
        field = (uint32_t)u;                                                                       \
        return 0;                                                                                  \
    } while (0)
#define NEED_NONNEG(field)                                                                         \
    do {                                                                                           \
        if (!is_num || d < 0)                                                                      \
            return fail(err, errlen, "--alert %s: %s=%s: expected a number >= 0", rn, key, val);   \
        field = d;                                                                                 \
        return 0;                                                                                  \
    } while (0)
#define NEED_POS(field)                                                                            \
    do {                                                                                           \
        if (!is_num || d <= 0)                                                                     \
            return fail(err, errlen, "--alert %s: %s=%s: expected a number > 0", rn, key, val);    \
        field = d;                                                                                 \
        return 0;                                                                                  \
    } while (0)
    switch (r) {
    case TW_ALERT_OVERFITTING:
        if (strcmp(key, "k") == 0)
            NEED_UINT(1, MAX_K, c->overfit_k);
        if (strcmp(key, "min_delta") == 0)
            NEED_NONNEG(c->overfit_min_delta);
        break;
    case TW_ALERT_GL:
        if (strcmp(key, "alpha") == 0)
            NEED_NONNEG(c->gl_alpha);
        break;
    case TW_ALERT_PQ:
        if (strcmp(key, "alpha") == 0)
            NEED_POS(c->pq_alpha);
        if (strcmp(key, "k") == 0)
            NEED_UINT(1, MAX_K, c->pq_k);
        break;
    case TW_ALERT_UP:
        if (strcmp(key, "s") == 0)
            NEED_UINT(1, MAX_K, c->up_s);
        if (strcmp(key, "k") == 0)
            NEED_UINT(1, MAX_K, c->up_k);
        break;
    case TW_ALERT_PATIENCE:
        if (strcmp(key, "patience") == 0)
            NEED_UINT(0, MAX_PATIENCE, c->patience);
        if (strcmp(key, "min_delta") == 0) {
            if (!is_num)
                return fail(err, errlen, "--alert %s: %s=%s: expected a number", rn, key, val);
            c->patience_min_delta = fabs(d);
            return 0;
        }
        if (strcmp(key, "baseline") == 0) {
            if (!is_num)
                return fail(err, errlen, "--alert %s: %s=%s: expected a number", rn, key, val);
            c->has_baseline = true;
            c->baseline = d;
            return 0;
        }
        if (strcmp(key, "start_from_epoch") == 0) {
            if (!parse_uint(val, 0, UINT64_MAX / 2, &u))
                return fail(err, errlen, "--alert %s: %s=%s: expected an integer >= 0", rn, key,
                            val);
            c->start_from_epoch = u;
            return 0;
        }
        break;
    default:
        return fail(err, errlen, "--alert %s takes no parameters (got '%s')", rn, key);
    }
#undef NEED_UINT
#undef NEED_NONNEG
#undef NEED_POS
    return fail(err, errlen, "--alert %s: unknown parameter '%s' (it takes: %s)", rn, key,
                rule_params[r]);
}

int
tw_alert_config_parse(tw_alert_config *c, const char *arg, bool enable, char *err, size_t errlen)
{
    const char *opt = enable ? "--alert" : "--no-alert";
    if (!c || !arg)
        return fail(err, errlen, "%s: missing argument", opt);
    size_t len = strcspn(arg, ",");
    int r = find_rule(arg, len);
    if (r < 0)
        return fail(err, errlen,
                    "%s '%.*s': unknown rule (rules: overfitting, gl, pq, up, patience, "
                    "nonfinite, stalled, dataloss)",
                    opt, (int)len, arg);
    if (!enable) {
        if (arg[len])
            return fail(err, errlen, "--no-alert %s: takes a rule name only, no parameters",
                        rule_names[r]);
        c->on[r] = false;
        return 0;
    }
    tw_alert_config n = *c;
    n.on[r] = true;
    const char *p = arg + len;
    while (*p == ',') {
        p++;
        char item[128];
        size_t il = strcspn(p, ",");
        if (il == 0 || il >= sizeof item)
            return fail(err, errlen, "--alert %s: expected key=value after ','", rule_names[r]);
        memcpy(item, p, il);
        item[il] = '\0';
        p += il;
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            return fail(err, errlen, "--alert %s: '%s': expected key=value", rule_names[r], item);
        *eq = '\0';
        int rc = set_param(&n, r, item, eq + 1, err, errlen);
        if (rc)
            return rc;
    }
    *c = n;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pure rule arithmetic                                                                          */

static bool
worse(double a, double b, double md, tw_goal goal)
{
    return goal == TW_GOAL_MAX ? a < b - md : a > b + md;
}

static bool
better(double a, double b, double md, tw_goal goal)
{
    return goal == TW_GOAL_MAX ? a > b + md : a < b - md;
}

double
tw_alert_gl(const double *v, size_t n, tw_goal goal)
{
    if (!v || n == 0 || (goal != TW_GOAL_MIN && goal != TW_GOAL_MAX))
        return NAN;
    double best = v[0];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return NAN;
        if (better(v[i], best, 0, goal))
            best = v[i];
    }
    double diff = goal == TW_GOAL_MAX ? best - v[n - 1] : v[n - 1] - best;
    if (diff == 0)
        return 0;
    if (best == 0)
        return INFINITY;
    return 100.0 * diff / fabs(best);
}

double
tw_alert_pk(const double *tr, size_t n, uint32_t k, tw_goal goal)
{
    if (!tr || k < 1 || n < k || (goal != TW_GOAL_MIN && goal != TW_GOAL_MAX))
        return NAN;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = n - k; i < n; i++) {
        if (!isfinite(tr[i]))
            return NAN;
        sum += tr[i];
        lo = fmin(lo, tr[i]);
        hi = fmax(hi, tr[i]);
    }
    double num = goal == TW_GOAL_MAX ? k * hi : sum;
    double den = goal == TW_GOAL_MAX ? sum : k * lo;
    if (den == 0)
        return num == 0 ? 0 : INFINITY;
    return 1000.0 * (num / den - 1.0);
}

/* ------------------------------------------------------------------------------------------ */
/* The engine                                                                                   */

tw_alerts *
tw_alerts_new(const tw_alert_config *c)
{
    tw_alerts *a = calloc(1, sizeof(*a));
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    a->c = c ? *c : tw_alert_defaults();
    a->next_id = 1;
    return a;
}

void
tw_alerts_destroy(tw_alerts **ap)
{
    if (!ap || !*ap)
        return;
    tw_alerts *a = *ap;
    for (size_t i = 0; i < a->n_runs; i++)
        free(a->runs[i].series);
    free(a->runs);
    free(a->events);
    free(a->v);
    free(a->tr);
    free(a->ep);
    free(a);
    *ap = NULL;
}

const tw_alert_config *
tw_alerts_config(const tw_alerts *a)
{
    return &a->c;
}

/* Appends an event (filled by the caller from the returned pointer); NULL when it is not
 * kept (counted as lost) or memory ran out (-ENOMEM in *rc). */
static tw_alert *
add_event(tw_alerts *a, bool cleared, tw_alert_rule rule, const char *name, double now,
          const tw_store_run *run, const tw_store_series *s)
{
    if (!cleared)
        a->fired++;
    if (cleared && a->active > 0)
        a->active--;
    else if (!cleared)
        a->active++;
    uint64_t id = a->next_id++;
    if (a->n_events >= TW_ALERTS_MAX_EVENTS) {
        a->lost++;
        return NULL;
    }
    if (a->n_events == a->cap_events) {
        size_t cap = a->cap_events ? 2 * a->cap_events : 32;
        tw_alert *ne = realloc(a->events, cap * sizeof(*ne));
        if (!ne) {
            a->lost++;
            return NULL;
        }
        a->events = ne;
        a->cap_events = cap;
    }
    tw_alert *e = &a->events[a->n_events++];
    memset(e, 0, sizeof *e);
    e->id = id;
    e->cleared = cleared;
    e->rule = rule;
    e->name = name;
    e->severity =
        cleared ? TW_ALERT_INFO : (rule == TW_ALERT_NONFINITE ? TW_ALERT_ERROR : TW_ALERT_WARNING);
    e->time = now;
    e->value = NAN;
    snprintf(e->run, sizeof e->run, "%s", run->id);
    if (s) {
        snprintf(e->metric, sizeof e->metric, "%s", s->name);
        e->split = s->split;
    }
    return e;
}

__attribute__((format(printf, 2, 3))) static void
say(tw_alert *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
}

/* Makes sure the run and series slots exist. */
static int
grow_slots(tw_alerts *a, const tw_store *s)
{
    size_t nr = tw_store_run_count(s);
    if (nr > a->n_runs) {
        run_slot *r = realloc(a->runs, nr * sizeof(*r));
        if (!r)
            return -ENOMEM;
        memset(r + a->n_runs, 0, (nr - a->n_runs) * sizeof(*r));
        a->runs = r;
        a->n_runs = nr;
    }
    for (size_t i = 0; i < nr; i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        run_slot *rs = &a->runs[i];
        if (run->n_series > rs->n_series) {
            series_slot *ss = realloc(rs->series, run->n_series * sizeof(*ss));
            if (!ss)
                return -ENOMEM;
            memset(ss + rs->n_series, 0, (run->n_series - rs->n_series) * sizeof(*ss));
            rs->series = ss;
            rs->n_series = run->n_series;
        }
    }
    return 0;
}

static int
reserve_vals(tw_alerts *a, size_t n)
{
    if (n <= a->cap_vals)
        return 0;
    size_t cap = a->cap_vals ? a->cap_vals : 64;
    while (cap < n)
        cap *= 2;
    double *v = realloc(a->v, cap * sizeof(*v));
    if (v)
        a->v = v;
    double *tr = realloc(a->tr, cap * sizeof(*tr));
    if (tr)
        a->tr = tr;
    uint64_t *ep = realloc(a->ep, cap * sizeof(*ep));
    if (ep)
        a->ep = ep;
    if (!v || !tr || !ep)
        return -ENOMEM;
    a->cap_vals = cap;
    return 0;
}

/* The final value of `train` at `epoch` (NaN when none); *k is a cursor (points sorted). */
static double
train_at(const tw_store_series *train, uint64_t epoch, size_t *k)
{
    if (!train)
        return NAN;
    while (*k < train->n_points && train->points[*k].epoch < epoch)
        (*k)++;
    if (*k < train->n_points && train->points[*k].epoch == epoch && train->points[*k].final)
        return train->points[*k].value;
    return NAN;
}

/* Fills a->v, a->tr, a->ep with the final finite values of val (and train at those epochs).
 * Returns how many, or -ENOMEM. */
static long
gather(tw_alerts *a, const tw_store_series *val, const tw_store_series *train)
{
    if (reserve_vals(a, val->n_points + 1) != 0)
        return -ENOMEM;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < val->n_points; i++) {
        const tw_store_point *p = &val->points[i];
        if (!p->final || !isfinite(p->value))
            continue;
        a->v[n] = p->value;
        a->ep[n] = p->epoch;
        a->tr[n] = train_at(train, p->epoch, &k);
        n++;
    }
    return (long)n;
}

static const char *
split_word(tw_split split)
{
    return split == TW_SPLIT_VAL ? "val" : split == TW_SPLIT_TEST ? "test" : "train";
}

/* Fills the common fields of an epoch-rule event at value index i. */
static void
epoch_fields(tw_alert *e, const tw_alerts *a, size_t i, bool has_best, size_t best)
{
    if (!e)
        return;
    e->epoch = a->ep[i];
    e->value = a->v[i];
    if (has_best) {
        e->has_best = true;
        e->best_epoch = a->ep[best];
        e->best_value = a->v[best];
    }
}

/* The index of the best value of v[0..n-1] (the first of equals). */
static size_t
best_index(const double *v, size_t n, tw_goal goal)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (better(v[i], v[b], 0, goal))
            b = i;
    return b;
}

/* Evaluates the epoch rules of one validation series at its value index i. */
static void
eval_point(tw_alerts *a, series_slot *ss, const tw_store_run *run, const tw_store_series *val,
           const tw_store_series *train, size_t i, double now)
{
    const tw_alert_config *c = &a->c;
    tw_goal goal = val->goal;
    tw_goal tgoal = train && train->goal != TW_GOAL_UNKNOWN ? train->goal : goal;
    const double *v = a->v, *tr = a->tr;
    const char *nm = val->name, *sw = split_word(val->split);
    const char *up = goal == TW_GOAL_MAX ? "fell" : "rose";
    const char *down = goal == TW_GOAL_MAX ? "rose" : "fell";

    /* overfitting */
    {
        double md = c->overfit_min_delta;
        bool new_best = i == 0 || better(v[i], v[ss->of_best], md, goal);
        size_t prev_best = ss->of_best;
        if (new_best)
            ss->of_best = i;
        bool *act = &ss->active[TW_ALERT_OVERFITTING];
        if (*act && new_best) {
            *act = false;
            tw_alert *e = add_event(a, true, TW_ALERT_OVERFITTING, "overfitting", now, run, val);
            epoch_fields(e, a, i, true, i);
            say(e, "%s %s improved to %.4g at epoch %llu, past the best %.4g of epoch %llu", sw, nm,
                v[i], (unsigned long long)a->ep[i], v[prev_best],
                (unsigned long long)a->ep[prev_best]);
        } else if (!*act && c->on[TW_ALERT_OVERFITTING]) {
            size_t k = c->overfit_k, b = ss->of_best;
            bool cond = i >= b + k && worse(v[i], v[i - k], 0, goal) && isfinite(tr[i]) &&
                        isfinite(tr[i - k]) && better(tr[i], tr[i - k], 0, tgoal);
            for (size_t j = i + 1 - k; cond && j <= i; j++)
                cond = worse(v[j], v[b], md, goal);
            if (cond) {
                *act = true;
                tw_alert *e =
                    add_event(a, false, TW_ALERT_OVERFITTING, "overfitting", now, run, val);
                epoch_fields(e, a, i, true, b);
                say(e,
                    "%s %s %s for %zu epochs while train %s %s; best was epoch %llu at %.4g; "
                    "%s-train gap %.4g",
                    sw, nm, up, i - b, nm, down, (unsigned long long)a->ep[b], v[b], sw,
                    v[i] - tr[i]);
            }
        }
    }

    /* gl */
    if (c->on[TW_ALERT_GL]) {
        double gl = tw_alert_gl(v, i + 1, goal);
        size_t b = best_index(v, i + 1, goal);
        bool cond = gl > c->gl_alpha;
        bool *act = &ss->active[TW_ALERT_GL];
        if (cond != *act) {
            *act = cond;
            tw_alert *e = add_event(a, !cond, TW_ALERT_GL, "gl", now, run, val);
            epoch_fields(e, a, i, true, b);
            say(e, "generalization loss of %s %s is %.3g%% (%s %g%%); best was epoch %llu at %.4g",
                sw, nm, gl, cond ? "above" : "back to at most", c->gl_alpha,
                (unsigned long long)a->ep[b], v[b]);
        }
    }

    /* pq: at strip ends */
    if (c->on[TW_ALERT_PQ] && (i + 1) % c->pq_k == 0) {
        double gl = tw_alert_gl(v, i + 1, goal);
        double pk = tw_alert_pk(tr, i + 1, c->pq_k, tgoal);
        size_t b = best_index(v, i + 1, goal);
        bool cond = false;
        double pq = NAN;
        if (isfinite(gl) && !isnan(pk)) {
            pq = pk > 0 ? gl / pk : (gl > 0 ? INFINITY : 0);
            cond = pq > c->pq_alpha;
        }
        bool *act = &ss->active[TW_ALERT_PQ];
        if (cond != *act) {
            *act = cond;
            tw_alert *e = add_event(a, !cond, TW_ALERT_PQ, "pq", now, run, val);
            epoch_fields(e, a, i, true, b);
            say(e, "%s %s: GL/P%u = %.3g / %.3g = %.3g (%s %g); best was epoch %llu at %.4g", sw,
                nm, c->pq_k, gl, pk, pq, cond ? "above" : "back to at most", c->pq_alpha,
                (unsigned long long)a->ep[b], v[b]);
        }
    }

    /* up: at strip ends */
    if (c->on[TW_ALERT_UP] && (i + 1) % c->up_k == 0) {
        size_t k = c->up_k, s = c->up_s;
        bool cond = i >= s * k;
        for (size_t m = 0; cond && m < s; m++)
            cond = worse(v[i - m * k], v[i - (m + 1) * k], 0, goal);
        size_t b = best_index(v, i + 1, goal);
        bool *act = &ss->active[TW_ALERT_UP];
        if (cond != *act) {
            *act = cond;
            tw_alert *e = add_event(a, !cond, TW_ALERT_UP, "up", now, run, val);
            epoch_fields(e, a, i, true, b);
            if (cond)
                say(e,
                    "%s %s %s over %zu consecutive strips of %zu epochs; best was epoch %llu "
                    "at %.4g",
                    sw, nm, up, s, k, (unsigned long long)a->ep[b], v[b]);
            else
                say(e, "%s %s no longer %s over %zu consecutive strips of %zu epochs", sw, nm, up,
                    s, k);
        }
    }

    /* patience, as Keras's EarlyStopping */
    if (c->on[TW_ALERT_PATIENCE] && a->ep[i] > c->start_from_epoch) {
        double md = c->patience_min_delta;
        ss->p_wait++;
        bool improved = !ss->p_has_best || better(v[i], ss->p_best, md, goal);
        bool reset = false;
        if (improved) {
            ss->p_has_best = true;
            ss->p_best = v[i];
            ss->p_best_epoch = a->ep[i];
            if (!c->has_baseline || better(v[i], c->baseline, md, goal)) {
                ss->p_wait = 0;
                reset = true;
            }
        }
        bool *act = &ss->active[TW_ALERT_PATIENCE];
        bool cond = !reset && ss->p_wait >= c->patience;
        if (cond != *act) {
            *act = cond;
            tw_alert *e = add_event(a, !cond, TW_ALERT_PATIENCE, "patience", now, run, val);
            if (e) {
                e->epoch = a->ep[i];
                e->value = v[i];
                e->has_best = true;
                e->best_epoch = ss->p_best_epoch;
                e->best_value = ss->p_best;
            }
            if (cond)
                say(e, "%s %s: no improvement since epoch %llu (%.4g) for %llu epochs", sw, nm,
                    (unsigned long long)ss->p_best_epoch, ss->p_best,
                    (unsigned long long)ss->p_wait);
            else
                say(e, "%s %s improved to %.4g at epoch %llu", sw, nm, v[i],
                    (unsigned long long)a->ep[i]);
        }
    }
}

/* The first step with a non-finite sample of s (0 when unknown), and its kind. */
static uint64_t
nonfinite_step(const tw_store_series *s, const char **what)
{
    *what = "a non-finite value";
    if (s->samples && !isfinite(s->last_sample)) {
        *what = isnan(s->last_sample) ? "NaN" : s->last_sample > 0 ? "+Inf" : "-Inf";
        return s->last_sample_step;
    }
    for (uint32_t i = 0; i < s->n_used; i++)
        if (s->buckets[i].nonfinite)
            return tw_store_bucket_step(s, i);
    return 0;
}

static void
eval_nonfinite(tw_alerts *a, series_slot *ss, const tw_store_run *run, const tw_store_series *s,
               double now)
{
    if (ss->nonfinite_fired || !a->c.on[TW_ALERT_NONFINITE])
        return;
    const char *what = "a non-finite value";
    uint64_t step = 0, epoch = 0;
    bool found = false;
    if (s->nonfinite > 0) {
        found = true;
        step = nonfinite_step(s, &what);
        epoch = s->live_epoch;
    } else {
        for (size_t i = 0; i < s->n_points; i++)
            if (!isfinite(s->points[i].value)) {
                found = true;
                double x = s->points[i].value;
                what = isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
                epoch = s->points[i].epoch;
                step = s->points[i].step;
                break;
            }
        if (!found && s->has_live && !isfinite(s->live_value)) {
            found = true;
            double x = s->live_value;
            what = isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
            epoch = s->live_epoch;
            step = s->live_step;
        }
    }
    if (!found)
        return;
    ss->nonfinite_fired = true;
    tw_alert *e = add_event(a, false, TW_ALERT_NONFINITE, "nonfinite", now, run, s);
    if (e) {
        e->epoch = epoch;
        e->step = step;
        e->has_best = s->has_best;
        e->best_epoch = s->best_epoch;
        e->best_value = s->best_value;
    }
    if (step)
        say(e, "%s %s is %s at step %llu (epoch %llu)", split_word(s->split), s->name, what,
            (unsigned long long)step, (unsigned long long)epoch);
    else
        say(e, "%s %s is %s at epoch %llu", split_word(s->split), s->name, what,
            (unsigned long long)epoch);
}

/* True when the run ended while some rank that was heard never sent a run-end. */
static bool
ended_without_end(const tw_store_run *run)
{
    if (run->state != TW_STATE_ENDED)
        return false;
    for (uint32_t r = 0; r < run->world; r++) {
        const tw_store_rank *rk = tw_store_run_rank(run, r);
        if (rk && rk->heard && !rk->ended)
            return true;
    }
    return false;
}

static void
eval_run_state(tw_alerts *a, run_slot *rs, const tw_store_run *run, double now)
{
    if (!a->c.on[TW_ALERT_STALLED])
        return;
    tw_store_state st = run->state;
    bool bad = st == TW_STATE_STALLED || st == TW_STATE_VANISHED || st == TW_STATE_FAILED ||
               st == TW_STATE_DISCONNECTED;
    bool crashed = ended_without_end(run);
    if (bad && st != rs->bad) {
        if (rs->bad != TW_STATE_LIVE && a->active > 0)
            a->active--; /* a change of kind (stalled -> vanished) is not a new condition */
        rs->bad = st;
        tw_alert *e =
            add_event(a, false, TW_ALERT_STALLED, tw_store_state_name(st), now, run, NULL);
        if (e) {
            e->epoch = run->epoch;
            e->step = run->step;
            e->severity = st == TW_STATE_STALLED || st == TW_STATE_DISCONNECTED ? TW_ALERT_WARNING
                                                                                : TW_ALERT_ERROR;
        }
        say(e, "run %s at epoch %llu, step %llu: %s", tw_store_state_name(st),
            (unsigned long long)run->epoch, (unsigned long long)run->step,
            run->reason[0] ? run->reason : "no reason given");
    } else if (!bad && rs->bad != TW_STATE_LIVE) {
        tw_store_state was = rs->bad;
        rs->bad = TW_STATE_LIVE;
        tw_alert *e =
            add_event(a, true, TW_ALERT_STALLED, tw_store_state_name(was), now, run, NULL);
        if (e)
            e->epoch = run->epoch;
        say(e, "run is %s again (was %s)", tw_store_state_name(st), tw_store_state_name(was));
    }
    if (crashed && !rs->crashed) {
        rs->crashed = true;
        tw_alert *e = add_event(a, false, TW_ALERT_STALLED, "vanished", now, run, NULL);
        if (e) {
            e->epoch = run->epoch;
            e->step = run->step;
            e->severity = TW_ALERT_ERROR;
        }
        say(e, "run ended without a run-end record at epoch %llu, step %llu (crashed?)",
            (unsigned long long)run->epoch, (unsigned long long)run->step);
    }
}

/* Sequence gaps that a replay fills this soon are not data loss: a monitor that joins a run
 * receives live records before the publisher's replay of the history. */
#define LOSS_GRACE_SECONDS 3.0

static void
eval_dataloss(tw_alerts *a, run_slot *rs, const tw_store_run *run, double now)
{
    if (rs->loss_fired || !a->c.on[TW_ALERT_DATALOSS])
        return;
    uint64_t gaps = run->counters.gaps, drops = run->counters.drops;
    if (gaps + drops == 0) {
        rs->loss_since = 0;
        return;
    }
    if (drops == 0) { /* only gaps: they must last past the grace period */
        if (rs->loss_since == 0)
            rs->loss_since = now;
        if (now - rs->loss_since < LOSS_GRACE_SECONDS) {
            if (rs->loss_since + LOSS_GRACE_SECONDS < a->recheck)
                a->recheck = rs->loss_since + LOSS_GRACE_SECONDS;
            return;
        }
    }
    rs->loss_fired = true;
    tw_alert *e = add_event(a, false, TW_ALERT_DATALOSS, "dataloss", now, run, NULL);
    if (e) {
        e->epoch = run->epoch;
        e->step = run->step;
    }
    say(e, "data lost: %llu records missing (sequence gaps), %llu dropped by the publisher",
        (unsigned long long)gaps, (unsigned long long)drops);
}

int
tw_alerts_eval(tw_alerts *a, const tw_store *s, double now)
{
    if (!a || !s)
        return -EINVAL;
    uint64_t changes = tw_store_changes(s);
    if (a->evaluated && changes == a->seen_changes && now < a->recheck)
        return 0;
    a->recheck = INFINITY;
    if (grow_slots(a, s) != 0)
        return -ENOMEM;
    size_t before = a->next_id;
    for (size_t ri = 0; ri < tw_store_run_count(s); ri++) {
        const tw_store_run *run = tw_store_run_at(s, ri);
        run_slot *rs = &a->runs[ri];
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *val = tw_store_run_series(run, si);
            series_slot *ss = &rs->series[si];
            eval_nonfinite(a, ss, run, val, now);
            if (val->split != TW_SPLIT_VAL || val->goal == TW_GOAL_UNKNOWN)
                continue;
            const tw_store_series *train = tw_store_find_series(run, val->name, TW_SPLIT_TRAIN);
            long n = gather(a, val, train);
            if (n < 0)
                return -ENOMEM;
            for (size_t i = ss->done; i < (size_t)n; i++)
                eval_point(a, ss, run, val, train, i, now);
            if ((size_t)n > ss->done)
                ss->done = (size_t)n;
        }
        eval_run_state(a, rs, run, now);
        eval_dataloss(a, rs, run, now);
    }
    a->seen_changes = changes;
    a->evaluated = true;
    return (int)(a->next_id - before);
}

size_t
tw_alerts_count(const tw_alerts *a)
{
    return a->n_events;
}

const tw_alert *
tw_alerts_at(const tw_alerts *a, size_t i)
{
    return i < a->n_events ? &a->events[i] : NULL;
}

uint64_t
tw_alerts_fired(const tw_alerts *a)
{
    return a->fired;
}

uint64_t
tw_alerts_lost(const tw_alerts *a)
{
    return a->lost;
}

size_t
tw_alerts_active(const tw_alerts *a)
{
    return a->active;
}

size_t
tw_alerts_unacked(const tw_alerts *a)
{
    size_t n = 0;
    for (size_t i = a->acked; i < a->n_events; i++)
        if (!a->events[i].cleared)
            n++;
    return n;
}

void
tw_alerts_ack(tw_alerts *a)
{
    a->acked = a->n_events;
}

int
tw_alerts_gl_pk(const tw_alerts *a, const tw_store_run *run, const char *name, double *gl,
                double *pk)
{
    if (!a || !run || !name || !gl || !pk)
        return -EINVAL;
    *gl = *pk = NAN;
    const tw_store_series *val = tw_store_find_series(run, name, TW_SPLIT_VAL);
    if (!val)
        return -ENOENT;
    const tw_store_series *train = tw_store_find_series(run, name, TW_SPLIT_TRAIN);
    /* No scratch of the engine's (a is const): walk the points twice. */
    double best = NAN, last = NAN;
    for (size_t i = 0; i < val->n_points; i++) {
        const tw_store_point *p = &val->points[i];
        if (!p->final || !isfinite(p->value))
            continue;
        if (isnan(best) || better(p->value, best, 0, val->goal))
            best = p->value;
        last = p->value;
    }
    if (!isnan(last)) {
        double two[2] = {best, last};
        *gl = tw_alert_gl(two, 2, val->goal);
    }
    uint32_t k = a->c.pq_k;
    if (train && val->goal != TW_GOAL_UNKNOWN) {
        double tail[MAX_K];
        size_t n = 0;
        for (size_t i = train->n_points; i-- > 0 && n < k;) {
            const tw_store_point *p = &train->points[i];
            if (p->final && isfinite(p->value))
                tail[n++] = p->value;
        }
        tw_goal tg = train->goal != TW_GOAL_UNKNOWN ? train->goal : val->goal;
        *pk = tw_alert_pk(tail, n, k, tg);
    }
    return 0;
}

/* A JSON writer into a fixed buffer that counts what it would need. */
typedef struct jbuf {
    char *p;
    size_t len, at;
} jbuf;

__attribute__((format(printf, 2, 3))) static void
jput(jbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->at < b->len ? b->p + b->at : NULL, b->at < b->len ? b->len - b->at : 0,
                      fmt, ap);
    va_end(ap);
    if (n > 0)
        b->at += (size_t)n;
}

static void
jstr(jbuf *b, const char *s)
{
    jput(b, "\"");
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (*q == '"' || *q == '\\')
            jput(b, "\\%c", *q);
        else if (*q < 0x20 || *q == 0x7f)
            jput(b, "\\u%04x", *q);
        else
            jput(b, "%c", *q);
    }
    jput(b, "\"");
}

static void
jnum(jbuf *b, const char *key, double v)
{
    if (isfinite(v))
        jput(b, ",\"%s\":%.17g", key, v);
    else
        jput(b, ",\"%s\":null", key);
}

size_t
tw_alert_json(const tw_alert *e, char *buf, size_t len)
{
    jbuf b = {buf, len, 0};
    if (buf && len)
        buf[0] = '\0';
    static const char *const sev[] = {"info", "warning", "error"};
    jput(&b,
         "{\"type\":\"alert\",\"id\":%llu,\"event\":\"%s\",\"rule\":", (unsigned long long)e->id,
         e->cleared ? "cleared" : "fired");
    jstr(&b, e->name ? e->name : "");
    jput(&b, ",\"severity\":\"%s\"", sev[e->severity]);
    jnum(&b, "time", e->time);
    jput(&b, ",\"run\":");
    jstr(&b, e->run);
    if (e->metric[0]) {
        jput(&b, ",\"metric\":");
        jstr(&b, e->metric);
        jput(&b, ",\"split\":\"%s\"", split_word(e->split));
    }
    if (e->epoch)
        jput(&b, ",\"epoch\":%llu", (unsigned long long)e->epoch);
    if (e->step)
        jput(&b, ",\"step\":%llu", (unsigned long long)e->step);
    if (!isnan(e->value))
        jnum(&b, "value", e->value);
    if (e->has_best) {
        jput(&b, ",\"best_epoch\":%llu", (unsigned long long)e->best_epoch);
        jnum(&b, "best_value", e->best_value);
    }
    jput(&b, ",\"text\":");
    jstr(&b, e->text);
    jput(&b, "}");
    return b.at;
}

int
tw_alert_format(const tw_alert *e, char *buf, size_t len)
{
    char when[32] = "?";
    time_t t = (time_t)e->time;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    char where[2 * TW_WIRE_MAX_NAME + 16] = "";
    if (e->metric[0])
        snprintf(where, sizeof where, " %s/%s", e->metric, tw_wire_split_name(e->split));
    char ep[32] = "";
    if (e->epoch)
        snprintf(ep, sizeof ep, " epoch %llu", (unsigned long long)e->epoch);
    return snprintf(buf, len, "%s %s%s%s %s %s: %s", when, e->run, where, ep, e->name,
                    e->cleared ? "cleared" : "fired", e->text);
}
