/* header_cxx.cpp - the public header compiles and links from C++. */
#include "trainwatch.h"

#include <cstdio>

int
main()
{
    tw_metric_options o = tw_metric_defaults();
    o.k = 2;
    tw_metric *m = tw_metric_new(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, &o);
    const float label[1] = {1.0f}, scores[3] = {0.5f, 0.2f, 0.3f};
    if (!m || tw_metric_update_state(m, label, scores, nullptr, 1, 3) != 0 ||
        tw_metric_result(m) != 0.0)
        return 1;
    tw_metric_destroy(&m);
    std::puts("header_cxx: ok");
    return m == nullptr ? 0 : 1;
}
