/* test_delay.c - the delivery-delay histogram (monitor/model/delay.h): quantiles within a
 * bucket (2.2 %) of the delays counted, negative delays in the lowest bucket, huge ones in the
 * last, what is not counted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "delay.h"

#include <math.h>

/* An empty histogram, and NULL: no count, no quantile. */
static void
test_empty(void **state)
{
    (void)state;
    tw_delay *d = tw_delay_new();
    assert_non_null(d);
    assert_int_equal(tw_delay_count(d), 0);
    assert_true(isnan(tw_delay_quantile(d, 0.5)));
    assert_int_equal(tw_delay_count(NULL), 0);
    assert_true(isnan(tw_delay_quantile(NULL, 0.5)));
    tw_delay_add(NULL, 1.0, 0.0); /* no effect, no crash */
    tw_delay_destroy(&d);
    assert_null(d);
    tw_delay_destroy(&d); /* NULL-safe */
    tw_delay_destroy(NULL);
}

/* Quantiles over 98 delays of 2 ms, one of 50 ms and one of 3 hours. */
static void
test_quantiles(void **state)
{
    (void)state;
    tw_delay *d = tw_delay_new();
    assert_non_null(d);
    for (int i = 0; i < 98; i++)
        tw_delay_add(d, 1000.002, 1000.0);
    tw_delay_add(d, 1000.05, 1000.0);
    tw_delay_add(d, 1000.0 + 3 * 3600, 1000.0);
    tw_delay_add(d, NAN, 1000.0);      /* not counted */
    tw_delay_add(d, 1000.0, INFINITY); /* not counted */
    assert_int_equal(tw_delay_count(d), 100);
    assert_true(fabs(tw_delay_quantile(d, 0.5) / 0.002 - 1) < 0.022);
    assert_true(fabs(tw_delay_quantile(d, 0.98) / 0.002 - 1) < 0.022);
    assert_true(fabs(tw_delay_quantile(d, 0.99) / 0.05 - 1) < 0.022);
    assert_true(tw_delay_quantile(d, 1.0) > 3000); /* the last bucket: about an hour on */
    assert_true(fabs(tw_delay_quantile(d, 0) / 0.002 - 1) < 0.022);
    assert_true(isnan(tw_delay_quantile(d, 1.5)));
    assert_true(isnan(tw_delay_quantile(d, -0.1)));
    assert_true(isnan(tw_delay_quantile(d, NAN)));
    tw_delay_add(d, 999.0, 1000.0); /* the publisher's clock is ahead: bucket 0 */
    assert_int_equal(tw_delay_count(d), 101);
    assert_true(tw_delay_quantile(d, 0) == 0.0);
    tw_delay_destroy(&d);
}

/* Every delay from 1 us to an hour reads back within half a bucket: a factor 2^(1/32) (2.2 %). */
static void
test_precision(void **state)
{
    (void)state;
    for (double x = 1.5e-6; x < 3000; x *= 1.7) {
        tw_delay *d = tw_delay_new();
        assert_non_null(d);
        tw_delay_add(d, 100.0 + x, 100.0);
        double q = tw_delay_quantile(d, 0.5);
        assert_true(q / x < exp2(1.0 / 32) + 1e-9 && x / q < exp2(1.0 / 32) + 1e-9);
        tw_delay_destroy(&d);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_precision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
