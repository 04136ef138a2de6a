/* test_input.c - the monitor's keymap: keys to actions, and a help text that names every key.
 *
 * The keymap is one table (monitor/tui/input.c) that the key handler, the help screen and the
 * key-help line all read. These tests need no terminal: they check the table against itself
 * (every bound key maps to its binding's action, no key is bound twice, every action has a
 * key) and against what the help screen shows (each key is named in its entry's label or
 * text, and each name there is a key of that entry). A binding whose help is NULL shares the
 * entry of the binding above it, as the help screen draws it. */
#include "input.h"

#include <curses.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CTRL_KEY(c) ((c)&0x1f)
#define MAX_KEYS    3

/* How the help spells a key code; NULL when it has no name here. */
static const char *
help_key_name(int key, char *buf, size_t size)
{
    static const struct {
        int key;
        const char *name;
    } named[] = {
        {KEY_LEFT, "Left"},  {KEY_RIGHT, "Right"}, {KEY_UP, "Up"},     {KEY_DOWN, "Down"},
        {KEY_PPAGE, "PgUp"}, {KEY_NPAGE, "PgDn"},  {KEY_HOME, "Home"}, {KEY_END, "End"},
        {KEY_BTAB, "S-Tab"}, {'\t', "Tab"},        {' ', "Space"},     {KEY_F(1), "F1"},
    };

    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].key == key)
            return named[i].name;
    if (key >= 1 && key < 32) {
        snprintf(buf, size, "^%c", (char)(key + '@'));
        return buf;
    }
    if (key > 32 && key < 127) {
        snprintf(buf, size, "%c", (char)key);
        return buf;
    }
    return NULL;
}

/* The key a help word names (its inverse of key_name), or 0. */
static int
help_key_of(const char *word)
{
    static const int specials[] = {KEY_LEFT, KEY_RIGHT, KEY_UP,   KEY_DOWN, KEY_PPAGE, KEY_NPAGE,
                                   KEY_HOME, KEY_END,   KEY_BTAB, '\t',     ' ',       KEY_F(1)};
    char buf[8];

    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        if (strcmp(help_key_name(specials[i], buf, sizeof buf), word) == 0)
            return specials[i];
    if (word[0] == '^' && word[1] >= '@' && word[1] <= '_' && !word[2])
        return word[1] - '@';
    if (word[0] > 32 && word[0] < 127 && !word[1])
        return word[0];
    return 0;
}

/* The help entry a binding belongs to: the index of the binding with help text at or above
 * it. */
static size_t
entry_of(const tw_binding *b, size_t i)
{
    while (i > 0 && !b[i].help)
        i--;
    return i;
}

/* Whether `word` occurs in `text` as a whole word ("z 1-4" counts 1..4 as named; a word may be
 * wrapped in parentheses). */
static bool
names(const char *text, const char *word)
{
    char copy[256], *save = NULL;

    if (!text)
        return false;
    snprintf(copy, sizeof copy, "%s", text);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        size_t n;
        if (t[0] == '(' && t[1])
            t++;
        n = strlen(t);
        if (n > 1 && t[n - 1] == ')')
            t[--n] = '\0';
        if (strcmp(t, word) == 0)
            return true;
        /* A range of single characters: "1-4". */
        if (n == 3 && t[1] == '-' && !word[1] && word[0] >= t[0] && word[0] <= t[2])
            return true;
    }
    return false;
}

/* Every key of every binding maps to that binding's action. */
static void
test_every_bound_key_maps_to_its_action(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);
    int keys = 0;

    (void)state;
    assert_non_null(b);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(b[i].keys[0], 0); /* a binding has at least one key */
        for (size_t k = 0; k < MAX_KEYS; k++) {
            if (!b[i].keys[k])
                continue;
            assert_int_equal(tw_input_action(b[i].keys[k]), b[i].action);
            keys++;
        }
    }
    assert_true(keys >= (int)n);
}

/* No key is bound twice (the first binding would silently win). */
static void
test_no_key_is_bound_twice(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < MAX_KEYS; k++)
            for (size_t j = i; j < n && b[i].keys[k]; j++)
                for (size_t l = j == i ? k + 1 : 0; l < MAX_KEYS; l++)
                    if (b[i].keys[k] == b[j].keys[l])
                        fail_msg("key %d bound in bindings %zu and %zu", b[i].keys[k], i, j);
}

/* Every action a person can take has a key; NONE and RESIZE (the terminal's) have none. */
static void
test_every_action_has_a_key(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (int a = TW_ACT_NONE + 1; a < TW_ACT_COUNT; a++) {
        bool bound = false;
        for (size_t i = 0; i < n; i++)
            bound = bound || b[i].action == (tw_action)a;
        if (a == TW_ACT_RESIZE)
            assert_false(bound);
        else if (!bound)
            fail_msg("action %d has no key", a);
    }
    for (size_t i = 0; i < n; i++) {
        assert_true(b[i].action > TW_ACT_NONE);
        assert_true(b[i].action < TW_ACT_COUNT);
    }
}

/* Keys the table does not bind are not handled; the terminal's resize is its own action. */
static void
test_unknown_keys_are_not_handled(void **state)
{
    static const int unknown[] = {
        0,      ERR,       'y',           'Y', 'V',        '#',       '!',           '\n',
        '\r',   27,        CTRL_KEY('c'), 127, KEY_F(2),   KEY_F(12), KEY_BACKSPACE, KEY_DC,
        KEY_IC, KEY_MOUSE, 0x4e2d,        -5,  KEY_MAX + 1};
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (size_t u = 0; u < sizeof unknown / sizeof unknown[0]; u++) {
        /* The list above must not name a bound key. */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < MAX_KEYS; k++)
                assert_true(!b[i].keys[k] || b[i].keys[k] != unknown[u]);
        assert_int_equal(tw_input_action(unknown[u]), TW_ACT_NONE);
    }
    assert_int_equal(tw_input_action(KEY_RESIZE), TW_ACT_RESIZE);
}

/* Letters are bound as typed: the upper case is a different key unless bound too. */
static void
test_case_is_kept(void **state)
{
    (void)state;
    assert_int_equal(tw_input_action('q'), TW_ACT_QUIT);
    assert_int_equal(tw_input_action('Q'), TW_ACT_QUIT);
    assert_int_equal(tw_input_action('g'), TW_ACT_HOME);
    assert_int_equal(tw_input_action('G'), TW_ACT_END);
    assert_int_equal(tw_input_action('s'), TW_ACT_SORT);
    assert_int_equal(tw_input_action('S'), TW_ACT_NONE);
    assert_int_equal(tw_input_action('w'), TW_ACT_SWEEP);
    assert_int_equal(tw_input_action('h'), TW_ACT_SWEEP_PARAM);
    assert_int_equal(tw_input_action('H'), TW_ACT_NONE);
    assert_int_equal(tw_input_action('1'), TW_ACT_SMOOTH_0);
    assert_int_equal(tw_input_action('4'), TW_ACT_SMOOTH_3);
    assert_int_equal(tw_input_action('5'), TW_ACT_NONE);
}

/* The help screen names every key: each key of a binding appears in its entry's label or
 * help text, as the help spells keys. */
static void
test_help_names_every_key(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    assert_non_null(b[0].help); /* the first binding opens an entry */
    for (size_t i = 0; i < n; i++) {
        size_t e = entry_of(b, i);
        for (size_t k = 0; k < MAX_KEYS; k++) {
            char buf[8];
            const char *name;
            if (!b[i].keys[k])
                continue;
            name = help_key_name(b[i].keys[k], buf, sizeof buf);
            if (!name)
                fail_msg("binding %zu: key %d has no name in this test", i, b[i].keys[k]);
            if (!names(b[e].label, name) && !names(b[e].help, name))
                fail_msg("key %s (binding %zu, \"%s\") is not in the help entry \"%s: %s\"", name,
                         i, b[i].label, b[e].label, b[e].help);
        }
    }
}

/* What an entry's label names are keys of that entry, so the help shows no key doing
 * something else, or nothing. */
static void
test_help_labels_name_keys_of_their_entry(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        char copy[64], *save = NULL;
        if (!b[i].help)
            continue;
        assert_non_null(b[i].label);
        snprintf(copy, sizeof copy, "%s", b[i].label);
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
            int lo = 0, hi = 0;
            if (strlen(t) == 3 && t[1] == '-') { /* "1-4" */
                lo = t[0];
                hi = t[2];
            } else {
                lo = hi = help_key_of(t);
            }
            if (!lo)
                fail_msg("label \"%s\": \"%s\" is not a key name", b[i].label, t);
            for (int key = lo; key <= hi; key++) {
                tw_action a = tw_input_action(key);
                bool in_entry = false;
                for (size_t j = i; j < n && (j == i || !b[j].help); j++)
                    in_entry = in_entry || b[j].action == a;
                if (!in_entry)
                    fail_msg("label \"%s\" names %s, which is not bound in its entry", b[i].label,
                             t);
            }
        }
    }
}

/* The key-help line shows a binding's first label word beside its brief: that word must be
 * a key of the binding, and a binding with a brief has help text too. */
static void
test_keyhelp_names_a_key_of_its_action(void **state)
{
    size_t n, briefs = 0;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        char word[16];
        size_t k = 0;
        if (!b[i].brief)
            continue;
        briefs++;
        assert_non_null(b[i].help);
        assert_true(strlen(b[i].brief) > 0);
        while (b[i].label[k] && b[i].label[k] != ' ' && k + 1 < sizeof word) {
            word[k] = b[i].label[k];
            k++;
        }
        word[k] = '\0';
        assert_int_equal(tw_input_action(help_key_of(word)), b[i].action);
    }
    /* At least quit and help are on the line. */
    assert_true(briefs >= 2);
    assert_non_null(b[0].brief);
    assert_int_equal(b[0].action, TW_ACT_QUIT);
}

/* The help text fits its column: labels in the 11 columns the help screen gives them, texts
 * in what an 80-column terminal leaves (one column of entries). */
static void
test_help_fits_the_screen(void **state)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        if (!b[i].help)
            continue;
        assert_true(strlen(b[i].label) < 11);
        assert_true(strlen(b[i].help) <= 80 - 1 - 11 - 1);
        if (b[i].brief)
            assert_true(strlen(b[i].brief) <= 12);
    }
}

/* The table is constant: two calls give the same array and length. */
static void
test_bindings_are_stable(void **state)
{
    size_t n1 = 0, n2 = 0;
    const tw_binding *a = tw_input_bindings(&n1), *b = tw_input_bindings(&n2);

    (void)state;
    assert_ptr_equal(a, b);
    assert_int_equal(n1, n2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_bound_key_maps_to_its_action),
        cmocka_unit_test(test_no_key_is_bound_twice),
        cmocka_unit_test(test_every_action_has_a_key),
        cmocka_unit_test(test_unknown_keys_are_not_handled),
        cmocka_unit_test(test_case_is_kept),
        cmocka_unit_test(test_help_names_every_key),
        cmocka_unit_test(test_help_labels_name_keys_of_their_entry),
        cmocka_unit_test(test_keyhelp_names_a_key_of_its_action),
        cmocka_unit_test(test_help_fits_the_screen),
        cmocka_unit_test(test_bindings_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
