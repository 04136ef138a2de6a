/* header_c99.c - the public header compiles alone as -std=c99 -pedantic and links. */
#include "trainwatch.h"

#include <stdio.h>
#include <string.h>

int
main(void)
{
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    if (!m || tw_metric_update_scalar(m, 3.0, 2.0) != 0 || tw_metric_result(m) != 3.0)
        return 1;
    tw_metric_destroy(&m);
    if (m != NULL || strcmp(tw_version(), "0.2.0") != 0)
        return 1;
    puts("header_c99: ok");
    return 0;
}
