/* chart_smooth.c - smoothing a curve for display: TensorBoard's debiased EMA. */
#include "chart_impl.h"

#include <errno.h>
#include <math.h>

/* TensorBoard's debiased EMA. */
int
tw_chart_smooth(const double *y, double *out, size_t n, double w)
{
    if ((n > 0 && (!y || !out)) || isnan(w))
        return -EINVAL;
    w = clampd(w, 0.0, 0.999);
    bool constant = true;
    double c = NAN;
    for (size_t i = 0; i < n && constant; i++) {
        if (!isfinite(y[i]))
            continue;
        if (isnan(c))
            c = y[i];
        else if (y[i] != c)
            constant = false;
    }
    double last = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        if (constant || !isfinite(v)) {
            out[i] = v;
            continue;
        }
        last = last * w + (1 - w) * v;
        k++;
        double debias = 1 - pow(w, (double)k);
        out[i] = debias > 0 ? last / debias : v;
    }
    return 0;
}
