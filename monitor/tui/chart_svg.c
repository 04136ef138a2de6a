/* chart_svg.c - the chart as an SVG file (key W), in the update path: the selected metric of
 * the charted runs, on the chart's x axis and y scale, written to a new file in the working
 * directory (never through a planted link, never over an earlier one); the notice line says
 * where. */
#include "draw.h"
#include "svg.h"
#include "xmap.h"

#include <errno.h>
#include <fcntl.h>
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

/* The file's stem: trainwatch-METRIC-YYYYmmdd-HHMMSS, the metric's name kept to letters,
 * digits, '.', '-' and '_' (it comes from the wire). */
static void
file_stem(const tw_view *v, char *buf, size_t size)
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
    snprintf(buf, size, "trainwatch-%s-%s", n ? metric : "chart", stamp);
}

/* Tries a new file of its own at most this many names: STEM.svg, STEM-2.svg, ... */
#define SVG_MAX_TRIES 100

/* Creates a new file STEM.svg, or STEM-N.svg when that name exists (a second W in the same
 * second, or anything planted there: never followed, never overwritten); its name in name.
 * Returns the descriptor, or -errno. */
static int
create_file(const char *stem, char *name, size_t size)
{
    for (int k = 1; k <= SVG_MAX_TRIES; k++) {
        if (k == 1)
            snprintf(name, size, "%s.svg", stem);
        else
            snprintf(name, size, "%s-%d.svg", stem, k);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Writes len bytes of text to a new file named after stem (create_file), its name in name.
 * Returns 0 or a positive errno. */
static int
write_file(const char *stem, char *name, size_t size, const char *text, size_t len)
{
    int fd = create_file(stem, name, size);
    if (fd < 0)
        return -fd;
    int err = 0;
    for (size_t at = 0; at < len && !err;) {
        ssize_t w = write(fd, text + at, len - at);
        if (w > 0)
            at += (size_t)w;
        else if (w < 0 && errno != EINTR)
            err = errno;
    }
    if (close(fd) != 0 && !err && errno != EINTR)
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
    char stem[112], name[128], cwd[PATH_MAX], *svg;
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
    file_stem(v, stem, sizeof stem);
    snprintf(name, sizeof name, "%s.svg", stem);
    err = svg ? write_file(stem, name, sizeof name, svg, len) : errno;
    free(svg);
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    if (err)
        tw_view_fmt(v->message, sizeof v->message, "could not write %s/%s: %s", cwd, name,
                    strerror(err));
    else
        tw_view_fmt(v->message, sizeof v->message, "chart written to %s/%s", cwd, name);
}
