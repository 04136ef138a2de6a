/* chart_svg.c - the chart as an SVG file (key W), in the update path: the selected metric of
 * the charted runs, on the chart's x axis and y scale, written to the working directory; the
 * notice line says where. */
#include "draw.h"
#include "svg.h"
#include "xmap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const tw_split splits[TW_VIEW_N_SPLITS] = {TW_SPLIT_TRAIN, TW_SPLIT_VAL, TW_SPLIT_TEST};

/* A point's x on the view's axis (the figure's x_of). */
static double
point_x(void *ctx, const tw_store_run *run, const tw_store_point *p)
{
    const tw_view *v = ctx;
    const tw_store_series *ser[TW_VIEW_N_SPLITS];
    tw_view_xmap m;

    for (int k = 0; k < TW_VIEW_N_SPLITS; k++)
        ser[k] = tw_store_find_series(run, v->metric, splits[k]);
    tw_view_xmap_init(&m, v, run, ser);
    m.step_mode = false;
    return tw_view_xmap_point(&m, p->epoch, p->step, p->time);
}

/* The file's name: trainwatch-METRIC-YYYYmmdd-HHMMSS.svg, the metric's name kept to letters,
 * digits, '.', '-' and '_' (it comes from the wire). */
static void
file_name(const tw_view *v, char *buf, size_t size)
{
    char metric[64], stamp[32];
    size_t n = 0;
    time_t now = time(NULL);
    struct tm tm;

    for (const char *c = v->metric; *c && n + 1 < sizeof metric; c++) {
        unsigned char ch = (unsigned char)*c;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
        metric[n++] = keep ? (char)ch : '_';
    }
    metric[n] = '\0';
    if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm))
        snprintf(stamp, sizeof stamp, "%lld", (long long)now);
    snprintf(buf, size, "trainwatch-%s-%s.svg", n ? metric : "chart", stamp);
}

/* Writes len bytes of text to path. Returns 0 or a positive errno. */
static int
write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    int err;

    if (!f)
        return errno;
    err = fwrite(text, 1, len, f) == len ? 0 : errno;
    if (fclose(f) != 0 && !err)
        err = errno;
    return err;
}

void
tw_view_chart_svg(tw_view *v)
{
    static const char *const xlabel[] = {"epoch", "step", "time (s)"};
    const tw_store_run *runs[TW_VIEW_READOUT_RUNS * 32];
    int colors[TW_VIEW_READOUT_RUNS * 32];
    size_t n = 0, len;
    tw_svg_spec spec = {0};
    char name[128], cwd[PATH_MAX], *svg;
    int err;

    v->svg_pending = false;
    if (!v->metric[0] || v->chart_runs == 0) {
        tw_view_fmt(v->message, sizeof v->message, "no chart to write");
        return;
    }
    for (size_t i = 0; i < v->chart_runs && n < sizeof runs / sizeof runs[0]; i++, n++) {
        runs[n] = v->chart_rows[i].run;
        colors[n] = v->chart_rows[i].color - 1;
    }
    spec.title = v->metric;
    spec.y_label = v->metric;
    spec.x_label = xlabel[v->xaxis];
    spec.log_y = v->log_y;
    svg = tw_svg_metric_figure(runs, colors, n, v->metric, &spec, point_x, v, &len);
    file_name(v, name, sizeof name);
    err = svg ? write_file(name, svg, len) : errno;
    free(svg);
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    if (err)
        tw_view_fmt(v->message, sizeof v->message, "could not write %s/%s: %s", cwd, name,
                    strerror(err));
    else
        tw_view_fmt(v->message, sizeof v->message, "chart written to %s/%s", cwd, name);
}
