/* test_list.c - the list widget: clamped selection, scrolling with the page, movement keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "list.h"

static void
test_moves_and_scrolls(void **state)
{
    tw_list l;
    tw_rect r = {0, 0, 7, 20};

    (void)state;
    tw_list_init(&l);
    assert_int_equal(tw_list_key(&l, TW_ACT_DOWN), TW_LIST_HANDLED); /* empty: no move */
    tw_list_set_count(&l, 20);
    tw_list_set_geometry(&l, r, 5);
    assert_int_equal(tw_list_key(&l, TW_ACT_DOWN), TW_LIST_HANDLED | TW_LIST_MOVED);
    assert_int_equal(l.sel, 1);
    assert_int_equal(tw_list_key(&l, TW_ACT_PAGE_DOWN), TW_LIST_HANDLED | TW_LIST_MOVED);
    assert_int_equal(l.sel, 5); /* a page less one */
    assert_int_equal(l.top, 1);
    assert_int_equal(tw_list_end(&l), 6);
    tw_list_key(&l, TW_ACT_END);
    assert_int_equal(l.sel, 19);
    assert_int_equal(l.top, 15);
    assert_int_equal(tw_list_key(&l, TW_ACT_DOWN), TW_LIST_HANDLED);
    tw_list_key(&l, TW_ACT_HOME);
    assert_int_equal(l.sel, 0);
    assert_int_equal(l.top, 0);
    assert_int_equal(tw_list_key(&l, TW_ACT_QUIT), 0);
}

static void
test_count_and_hidden(void **state)
{
    tw_list l;
    tw_rect none = {0, 0, 0, 0}, r = {0, 0, 4, 20};

    (void)state;
    tw_list_init(&l);
    tw_list_set_count(&l, 10);
    tw_list_set_geometry(&l, r, 3);
    tw_list_select(&l, 9);
    assert_int_equal(l.top, 7);
    tw_list_set_count(&l, 4); /* shrinks: the selection stays on the last entry */
    assert_int_equal(l.sel, 3);
    assert_int_equal(l.top, 3);
    tw_list_set_geometry(&l, none, 0); /* hidden: the offset stays */
    tw_list_select(&l, 0);
    assert_int_equal(l.top, 3);
    tw_list_set_geometry(&l, r, 3); /* shown again: follows the selection */
    assert_int_equal(l.top, 0);
    tw_list_set_count(&l, 0);
    assert_int_equal(l.sel, 0);
    assert_false(tw_list_select(&l, 2));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves_and_scrolls),
        cmocka_unit_test(test_count_and_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
