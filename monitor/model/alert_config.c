/* alert_config.c - the alert rules' configuration: the defaults and the parser of rule specs
 * "RULE[,KEY=VALUE...]" (turn on, set parameters) and "RULE" (turn off), with one table row
 * per rule parameter. Its messages name the rule and the parameter, not the command-line
 * option: the program that took the spec says where it came from.
 *
 * Limits: an argument's KEY=VALUE item is shorter than 128 bytes; integer parameters are in
 * the ranges of their rows (k and s: 1 to TW_ALERT_MAX_K, patience: 0 to
 * TW_ALERT_MAX_PATIENCE, start_from_epoch: 0 to UINT64_MAX / 2); numbers are finite. */
#include "alerts_impl.h"
#include "errtext.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the defaults: each rule on or off as its row of tw_alert_rules says, the
 * parameters as the design note in alerts.h says. */
tw_alert_config
tw_alert_defaults(void)
{
    tw_alert_config c = {
        .overfit_k = 3,
        .overfit_min_delta = 0,
        .overfit_z = 0.1,
        .overfit_floor = 0.5,
        .overfit_samples = 10,
        .overfit_slope = 6,
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
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        c.on[r] = tw_alert_rules[r].on_by_default;
    return c;
}

/* ------------------------------------------------------------------------------------------ */
/* The parameters                                                                               */

/* What a parameter's value is, and its range. */
typedef enum param_type {
    PARAM_U32,       /* an integer in [lo, hi], stored as uint32_t */
    PARAM_U64,       /* an integer in [lo, hi], stored as uint64_t */
    PARAM_NONNEG,    /* a finite number >= 0, stored as double */
    PARAM_POSITIVE,  /* a finite number > 0, stored as double */
    PARAM_NUMBER,    /* a finite number, stored as double */
    PARAM_MAGNITUDE, /* a finite number, stored as its absolute value (Keras's min_delta) */
} param_type;

/* One parameter of one rule: where its value is stored in tw_alert_config (offset and size),
 * and optionally a bool of the config set to true when it is given. */
typedef struct param_def {
    tw_alert_rule rule;
    const char *key;
    param_type type;
    uint64_t lo, hi; /* PARAM_U32, PARAM_U64 */
    size_t off, size;
    bool has_flag;
    size_t flag_off;
} param_def;

#define FIELD(f) .off = offsetof(tw_alert_config, f), .size = sizeof(((tw_alert_config *)0)->f)

/* One row per parameter, grouped by rule in the order error messages list them. */
static const param_def params[] = {
    {TW_ALERT_OVERFITTING, "k", PARAM_U32, 1, TW_ALERT_MAX_K, FIELD(overfit_k)},
    {TW_ALERT_OVERFITTING, "min_delta", PARAM_NONNEG, 0, 0, FIELD(overfit_min_delta)},
    {TW_ALERT_OVERFITTING, "z", PARAM_NONNEG, 0, 0, FIELD(overfit_z)},
    {TW_ALERT_OVERFITTING, "floor", PARAM_NONNEG, 0, 0, FIELD(overfit_floor)},
    {TW_ALERT_OVERFITTING, "samples", PARAM_NONNEG, 0, 0, FIELD(overfit_samples)},
    {TW_ALERT_OVERFITTING, "slope", PARAM_U32, 0, TW_ALERT_MAX_K, FIELD(overfit_slope)},
    {TW_ALERT_GL, "alpha", PARAM_NONNEG, 0, 0, FIELD(gl_alpha)},
    {TW_ALERT_PQ, "alpha", PARAM_POSITIVE, 0, 0, FIELD(pq_alpha)},
    {TW_ALERT_PQ, "k", PARAM_U32, 1, TW_ALERT_MAX_K, FIELD(pq_k)},
    {TW_ALERT_UP, "s", PARAM_U32, 1, TW_ALERT_MAX_K, FIELD(up_s)},
    {TW_ALERT_UP, "k", PARAM_U32, 1, TW_ALERT_MAX_K, FIELD(up_k)},
    {TW_ALERT_PATIENCE, "patience", PARAM_U32, 0, TW_ALERT_MAX_PATIENCE, FIELD(patience)},
    {TW_ALERT_PATIENCE, "min_delta", PARAM_MAGNITUDE, 0, 0, FIELD(patience_min_delta)},
    {TW_ALERT_PATIENCE, "baseline", PARAM_NUMBER, 0, 0, FIELD(baseline), .has_flag = true,
     .flag_off = offsetof(tw_alert_config, has_baseline)},
    {TW_ALERT_PATIENCE, "start_from_epoch", PARAM_U64, 0, UINT64_MAX / 2, FIELD(start_from_epoch)},
};

#undef FIELD

#define N_PARAMS (sizeof params / sizeof params[0])

const char *
tw_alert_param_key(size_t i, tw_alert_rule *rule)
{
    if (i >= N_PARAMS)
        return NULL;
    *rule = params[i].rule;
    return params[i].key;
}

/* The rule named by name[0..len-1] (a rule's name or an alias), or -1. */
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
    for (int i = 0; i < TW_ALERT_N_RULES; i++) {
        const char *rn = tw_alert_rules[i].name;
        if (strlen(rn) == len && strncmp(rn, name, len) == 0)
            return i;
    }
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

/* Stores the value (size bytes at p's offset) into c. */
static void
store(tw_alert_config *c, const param_def *p, const void *value, size_t size)
{
    assert(p->size == size); /* else the row's type does not fit its field */
    memcpy((char *)c + p->off, value, size);
    if (p->has_flag) {
        bool on = true;
        memcpy((char *)c + p->flag_off, &on, sizeof on);
    }
}

/* Parses val as parameter p of rule rn into c. */
static int
set_value(tw_alert_config *c, const param_def *p, const char *rn, const char *val, char *err,
          size_t errlen)
{
    const char *key = p->key;
    double d = 0;
    uint64_t u;
    bool is_num = parse_double(val, &d);
    switch (p->type) {
    case PARAM_U32:
        if (!parse_uint(val, p->lo, p->hi, &u))
            return tw_errtext(err, errlen, "%s: %s=%s: expected an integer from %u to %u", rn, key,
                              val, (unsigned)p->lo, (unsigned)p->hi);
        store(c, p, &(uint32_t){(uint32_t)u}, sizeof(uint32_t));
        return 0;
    case PARAM_U64:
        if (!parse_uint(val, p->lo, p->hi, &u))
            return tw_errtext(err, errlen, "%s: %s=%s: expected an integer >= %llu", rn, key, val,
                              (unsigned long long)p->lo);
        store(c, p, &u, sizeof u);
        return 0;
    case PARAM_NONNEG:
        if (!is_num || d < 0)
            return tw_errtext(err, errlen, "%s: %s=%s: expected a number >= 0", rn, key, val);
        break;
    case PARAM_POSITIVE:
        if (!is_num || d <= 0)
            return tw_errtext(err, errlen, "%s: %s=%s: expected a number > 0", rn, key, val);
        break;
    case PARAM_NUMBER:
    case PARAM_MAGNITUDE:
        if (!is_num)
            return tw_errtext(err, errlen, "%s: %s=%s: expected a number", rn, key, val);
        if (p->type == PARAM_MAGNITUDE)
            d = fabs(d);
        break;
    }
    store(c, p, &d, sizeof d);
    return 0;
}

/* Sets one key=value of rule r in c. */
static int
set_param(tw_alert_config *c, int r, const char *key, const char *val, char *err, size_t errlen)
{
    const char *rn = tw_alert_rules[r].name;
    char keys[128] = ""; /* the rule's keys, for the error message */
    size_t n_keys = 0;
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (params[i].rule != (tw_alert_rule)r)
            continue;
        if (strcmp(params[i].key, key) == 0)
            return set_value(c, &params[i], rn, val, err, errlen);
        size_t at = strlen(keys);
        snprintf(keys + at, sizeof keys - at, "%s%s", n_keys++ ? ", " : "", params[i].key);
    }
    if (n_keys == 0)
        return tw_errtext(err, errlen, "%s takes no parameters (got '%s')", rn, key);
    return tw_errtext(err, errlen, "%s: unknown parameter '%s' (it takes: %s)", rn, key, keys);
}

/* Whether the value of parameter p in c is within its row's range. */
static bool
value_ok(const tw_alert_config *c, const param_def *p)
{
    const char *at = (const char *)c + p->off;
    if (p->type == PARAM_U32 || p->type == PARAM_U64) {
        uint64_t u = 0;
        if (p->type == PARAM_U32) {
            uint32_t v;
            memcpy(&v, at, sizeof v);
            u = v;
        } else {
            memcpy(&u, at, sizeof u);
        }
        return u >= p->lo && u <= p->hi;
    }
    double d;
    memcpy(&d, at, sizeof d);
    switch (p->type) {
    case PARAM_NONNEG:
    case PARAM_MAGNITUDE:
        return isfinite(d) && d >= 0;
    case PARAM_POSITIVE:
        return isfinite(d) && d > 0;
    default:
        return isfinite(d);
    }
}

/* Checks every parameter of c against its row's range: see alerts.h. */
int
tw_alert_config_check(const tw_alert_config *c, char *err, size_t errlen)
{
    if (!c)
        return tw_errtext(err, errlen, "no alert configuration");
    for (size_t i = 0; i < N_PARAMS; i++)
        if (!value_ok(c, &params[i]))
            return tw_errtext(err, errlen, "alert rule %s: parameter %s is out of its range",
                              tw_alert_rules[params[i].rule].name, params[i].key);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The parser                                                                                   */

/* Applies one rule spec to c: see alerts.h. */
int
tw_alert_config_parse(tw_alert_config *c, const char *arg, bool enable, char *err, size_t errlen)
{
    if (!c || !arg)
        return tw_errtext(err, errlen, "missing argument");
    size_t len = strcspn(arg, ",");
    int r = find_rule(arg, len);
    if (r < 0) {
        char names[128] = ""; /* the rules' names, for the error message */
        for (int i = 0; i < TW_ALERT_N_RULES; i++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", tw_alert_rules[i].name);
        }
        return tw_errtext(err, errlen, "'%.*s': unknown rule (rules: %s)", (int)len, arg, names);
    }
    const char *rn = tw_alert_rules[r].name;
    if (!enable) {
        if (arg[len])
            return tw_errtext(err, errlen, "%s: takes a rule name only, no parameters", rn);
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
            return tw_errtext(err, errlen, "%s: expected key=value after ','", rn);
        memcpy(item, p, il);
        item[il] = '\0';
        p += il;
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            return tw_errtext(err, errlen, "%s: '%s': expected key=value", rn, item);
        *eq = '\0';
        int rc = set_param(&n, r, item, eq + 1, err, errlen);
        if (rc)
            return rc;
    }
    *c = n;
    return 0;
}
