/* view.c - the monitor's ncurses view: terminal setup and restore, view state, keys, layout. */
#include "view_impl.h"

#include "input.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CTRL_KEY(c) ((c)&0x1f)
#define KEY_ESC     27

/* The smallest chart the layout keeps before it drops optional lines. */
#define MIN_CHART_ROWS TW_CHART_MIN_HEIGHT
/* Lines of the alerts panel (key a), its title included. */
#define ALERTS_PANEL_ROWS 5

/* ------------------------------------------------------------------------------------------ */
/* Small helpers shared by the view's files                                                    */

int
tw_view_names_push(tw_view_names *a, const char *s)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        tw_view_name *p = realloc(a->v, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        a->v = p;
        a->cap = cap;
    }
    snprintf(a->v[a->n].s, sizeof a->v[a->n].s, "%s", s);
    a->n++;
    return 0;
}

long
tw_view_names_find(const tw_view_names *a, const char *s)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].s, s) == 0)
            return (long)i;
    return -1;
}

/* Removes entry i of a name array, keeping the order. */
static void
names_remove(tw_view_names *a, size_t i)
{
    if (i >= a->n)
        return;
    memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof a->v[0]);
    a->n--;
}

const char *
tw_view_run_label(const tw_store_run *run)
{
    return run->name[0] ? run->name : run->id;
}

bool
tw_view_run_matches(const tw_view *v, const tw_store_run *run)
{
    if (!v->has_filter)
        return true;
    return regexec(&v->filter_re, tw_view_run_label(run), 0, NULL, 0) == 0 ||
           regexec(&v->filter_re, run->id, 0, NULL, 0) == 0;
}

/* Orders names for qsort and bsearch. */
static int
cmp_name(const void *a, const void *b)
{
    return strcmp(((const tw_view_name *)a)->s, ((const tw_view_name *)b)->s);
}

bool
tw_view_run_hidden(const tw_view *v, const char *id)
{
    tw_view_name key;

    if (v->hidden.n == 0)
        return false;
    snprintf(key.s, sizeof key.s, "%s", id);
    return bsearch(&key, v->hidden.v, v->hidden.n, sizeof key, cmp_name) != NULL;
}

int
tw_view_run_color(const tw_view *v, const tw_store_run *run)
{
    for (size_t i = 0; i < v->runs_list.n; i++)
        if (v->rows[i].run == run)
            return v->rows[i].color;
    return 1;
}

void
tw_view_cell_attr(const tw_view *v, int color, unsigned flags, attr_t *attr, short *pair)
{
    /* Monochrome: runs told apart by underline and italic, cycling; bold and dim stay free to
     * tell the main line from validation. */
#ifdef A_ITALIC
    static const attr_t mono[4] = {A_NORMAL, A_UNDERLINE, A_ITALIC, A_UNDERLINE | A_ITALIC};
#else
    static const attr_t mono[4] = {A_NORMAL, A_UNDERLINE, A_NORMAL, A_UNDERLINE};
#endif
    bool main_line = ((unsigned)color & TW_VIEW_COLOR_MAIN) != 0;

    color = (int)((unsigned)color & ~TW_VIEW_COLOR_MAIN);
    *attr = A_NORMAL;
    *pair = 0;
    if (color > 0) {
        if (v->color)
            *pair = (short)((color - 1) % TW_VIEW_RUN_COLORS + 1);
        else
            *attr = mono[(color - 1) % 4];
    }
    if (flags & TW_CHART_CELL_DIM)
        *attr |= A_DIM;
    else if (main_line || (flags & TW_CHART_CELL_BOLD))
        *attr |= A_BOLD;
}

attr_t
tw_view_run_line_attr(const tw_view *v, int color, short *pair)
{
    attr_t a;

    tw_view_cell_attr(v, (int)((unsigned)color | TW_VIEW_COLOR_MAIN), 0, &a, pair);
    return a;
}

/* ------------------------------------------------------------------------------------------ */
/* Filter                                                                                      */

/* Compiles text as the run filter (empty: no filter). On a bad expression the filter is
 * unchanged and err receives regerror's sentence. Returns 0 or -EINVAL. */
static int
set_filter(tw_view *v, const char *text, char *err, size_t errlen)
{
    regex_t re;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!text || !text[0]) {
        if (v->has_filter)
            regfree(&v->filter_re);
        v->has_filter = false;
        v->filter[0] = '\0';
        return 0;
    }
    rc = regcomp(&re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        if (err && errlen)
            regerror(rc, &re, err, errlen);
        return -EINVAL;
    }
    if (v->has_filter)
        regfree(&v->filter_re);
    v->filter_re = re;
    v->has_filter = true;
    snprintf(v->filter, sizeof v->filter, "%s", text);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Terminal                                                                                    */

/* Sets up colors: run pairs 1..8 and the UI pairs, over the terminal's own background when it
 * allows. Leaves v->color false when the terminal has none. */
static void
setup_colors(tw_view *v)
{
    /* 8-color terminals; 256-color ones get a palette closer to Tableau 10. */
    static const short basic[TW_VIEW_RUN_COLORS] = {COLOR_CYAN,    COLOR_YELLOW, COLOR_GREEN,
                                                    COLOR_MAGENTA, COLOR_RED,    COLOR_BLUE,
                                                    COLOR_WHITE,   COLOR_CYAN};
    static const short rich[TW_VIEW_RUN_COLORS] = {39, 214, 78, 204, 141, 180, 219, 116};
    short bg = COLOR_BLACK;

    if (!has_colors() || start_color() != OK || COLOR_PAIRS < TW_PAIR_COUNT)
        return;
    if (use_default_colors() == OK)
        bg = -1;
    for (int i = 0; i < TW_VIEW_RUN_COLORS; i++)
        init_pair((short)(i + 1), COLORS >= 256 ? rich[i] : basic[i], bg);
    init_pair(TW_PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);
    init_pair(TW_PAIR_ERROR, COLOR_RED, bg);
    init_pair(TW_PAIR_GOOD, COLOR_GREEN, bg);
    init_pair(TW_PAIR_BAR, COLOR_CYAN, bg);
    v->color = true;
}

tw_view *
tw_view_new(const tw_view_options *o)
{
    tw_view_options none = {0};
    const char *ctype;
    tw_view *v;

    if (!o)
        o = &none;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        errno = ENOTTY;
        return NULL;
    }
    /* ncursesw needs the locale's character set; main may have set it already. */
    ctype = setlocale(LC_CTYPE, NULL);
    if (!ctype || strcmp(ctype, "C") == 0 || strcmp(ctype, "POSIX") == 0)
        setlocale(LC_CTYPE, "");

    v = calloc(1, sizeof *v);
    if (!v) {
        errno = ENOMEM;
        return NULL;
    }
    v->chart = tw_chart_new();
    if (!v->chart) {
        free(v);
        errno = ENOMEM;
        return NULL;
    }
    v->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    v->braille = v->utf8 && !o->ascii;
    v->in_fd = STDIN_FILENO;
    v->focus = TW_FOCUS_CHART;
    v->envelope = true;
    tw_list_init(&v->metrics_list);
    tw_list_init(&v->runs_list);
    v->full = true;
    if (o->metric)
        snprintf(v->metric, sizeof v->metric, "%s", o->metric);
    if (o->filter && set_filter(v, o->filter, v->filter_err, sizeof v->filter_err) < 0)
        snprintf(v->filter, sizeof v->filter, "%s", o->filter);

    /* newterm, unlike initscr, returns NULL for an unknown terminal instead of exiting. */
    v->screen = newterm(NULL, stdout, stdin);
    if (!v->screen) {
        tw_chart_destroy(&v->chart);
        if (v->has_filter)
            regfree(&v->filter_re);
        free(v);
        errno = ENOTTY;
        return NULL;
    }
    set_term(v->screen);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (!o->no_color)
        setup_colors(v);
    tw_view_layout(v);
    return v;
}

void
tw_view_destroy(tw_view **pv)
{
    tw_view *v;

    if (!pv || !*pv)
        return;
    v = *pv;
    if (v->screen) {
        curs_set(1);
        endwin();
        delscreen(v->screen);
    }
    if (v->has_filter)
        regfree(&v->filter_re);
    tw_chart_destroy(&v->chart);
    free(v->hidden.v);
    free(v->metrics.v);
    free(v->xy);
    free(v->series);
    free(v->marks);
    free(v->buckets);
    free(v->rows);
    free(v->chart_rows);
    free(v->param_keys.v);
    free(v->param_seen.v);
    free(v);
    *pv = NULL;
}

int
tw_view_input_fd(const tw_view *v)
{
    return v ? v->in_fd : -1;
}

bool
tw_view_paused(const tw_view *v)
{
    return v && v->paused;
}

/* ------------------------------------------------------------------------------------------ */
/* Geometry                                                                                    */

/* A rectangle; negative sizes become 0 (not shown). */
static tw_rect
rect(int y, int x, int h, int w)
{
    tw_rect r = {y, x, h > 0 ? h : 0, w > 0 ? w : 0};
    return r;
}

/* The lists take their panes from the geometry: a pane too small to list anything shows no
 * entries (and the runs pane keeps rows for the cursor run's details). */
static void
lists_geometry(tw_view *v)
{
    tw_rect m = v->g.metrics, r = v->g.runs;
    bool mshow = m.h >= 2 && m.w >= 10, rshow = r.h >= 2 && r.w >= 10;

    tw_list_set_geometry(&v->metrics_list, m, mshow ? tw_view_metrics_page(m.h) : 0);
    tw_list_set_geometry(&v->runs_list, r, rshow ? tw_view_runs_page(r.h, NULL) : 0);
}

void
tw_view_layout(tw_view *v)
{
    tw_view_geometry *g = &v->g;
    int rows, cols, top, bottom, avail, side_w, main_w, alerts_h;
    bool want_progress, want_metric_line, want_legend, want_alerts, was_wide;

    getmaxyx(stdscr, rows, cols);
    was_wide = g->wide;
    memset(g, 0, sizeof *g);
    g->rows = rows;
    g->cols = cols;
    if (cols < TW_VIEW_MIN_COLS || rows < TW_VIEW_MIN_ROWS) {
        g->too_small = true;
        lists_geometry(v);
        return;
    }
    g->wide = cols >= TW_VIEW_WIDE_COLS;
    if (was_wide && !g->wide)
        v->focus = TW_FOCUS_CHART; /* narrowed: the chart stays in view */
    g->title = rect(0, 0, 1, cols);
    g->help = rect(rows - 1, 0, 1, cols);
    top = 1;
    bottom = rows - 1; /* rows [top, bottom) are left */
    avail = bottom - top;
    alerts_h = v->alerts_panel ? ALERTS_PANEL_ROWS : 1;

    /* Optional lines by priority, each only while the chart keeps its minimum height. */
    want_progress = avail - 1 >= MIN_CHART_ROWS;
    avail -= want_progress;
    want_metric_line = !g->wide && avail - 1 >= MIN_CHART_ROWS;
    avail -= want_metric_line;
    want_legend = avail - 1 >= MIN_CHART_ROWS;
    avail -= want_legend;
    want_alerts = avail - alerts_h >= MIN_CHART_ROWS;
    if (!want_alerts && alerts_h > 1 && avail - 1 >= MIN_CHART_ROWS) {
        alerts_h = 1;
        want_alerts = true;
    }
    avail -= want_alerts ? alerts_h : 0;

    if (want_alerts) {
        bottom -= alerts_h;
        g->alerts = rect(bottom, 0, alerts_h, cols);
    }
    if (want_progress) {
        bottom -= 1;
        g->progress = rect(bottom, 0, 1, cols);
    }
    if (want_metric_line) {
        bottom -= 1;
        g->metric_line = rect(bottom, 0, 1, cols);
    }

    side_w = 0;
    if (g->wide) {
        /* Very wide terminals give the runs table room for its parameter columns. */
        side_w = cols * (cols >= 160 ? 40 : 32) / 100;
        if (side_w < 36)
            side_w = 36;
        if (side_w > 96)
            side_w = 96;
    }
    main_w = g->wide ? cols - side_w - 1 : cols;
    if (want_legend) {
        g->legend = rect(top, 0, 1, main_w);
        g->chart = rect(top + 1, 0, bottom - top - 1, main_w);
    } else {
        g->chart = rect(top, 0, bottom - top, main_w);
    }
    if (g->wide) {
        /* The metrics list as tall as its entries (title, header, one a metric), at most
         * two fifths; the runs list takes the rest. */
        int h = bottom - top, mh = (int)v->metrics.n + 3;
        if (mh > h * 2 / 5)
            mh = h * 2 / 5;
        if (mh < 4)
            mh = 4;
        g->metrics_n = v->metrics.n;
        g->side = rect(top, main_w + 1, h, side_w);
        g->metrics = rect(top, main_w + 1, mh, side_w);
        g->runs = rect(top + mh, main_w + 1, h - mh, side_w);
    } else if (v->focus == TW_FOCUS_METRICS || v->focus == TW_FOCUS_RUNS) {
        /* Narrow: the focused list takes the chart's place (legend line included). */
        tw_rect pane = rect(top, 0, bottom - top, cols);
        if (v->focus == TW_FOCUS_METRICS)
            g->metrics = pane;
        else
            g->runs = pane;
        g->legend = rect(0, 0, 0, 0);
        g->chart = rect(0, 0, 0, 0);
    }
    lists_geometry(v);
}

void
tw_view_resize(tw_view *v)
{
    struct winsize ws;

    if (!v)
        return;
    /* When main.c owns SIGWINCH, ncurses has not seen the new size yet: ask the terminal. */
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
        (ws.ws_row != LINES || ws.ws_col != COLS))
        resizeterm(ws.ws_row, ws.ws_col);
    tw_view_layout(v);
    v->full = true;
    v->clear = true;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys                                                                                        */

/* The selected metric's name follows the metrics list's selection. */
static void
metric_from_list(tw_view *v)
{
    if (v->metrics_list.sel < v->metrics.n)
        snprintf(v->metric, sizeof v->metric, "%s", v->metrics.v[v->metrics_list.sel].s);
}

/* The runs cursor's id follows the runs list's selection. */
static void
cursor_from_list(tw_view *v)
{
    if (v->runs_list.sel < v->runs_list.n)
        snprintf(v->cursor_run, sizeof v->cursor_run, "%s", v->rows[v->runs_list.sel].id);
}

/* Moves the metric selection by delta (clamped) over the names the last draw showed. */
static void
move_metric(tw_view *v, long delta)
{
    tw_list_move(&v->metrics_list, delta);
    metric_from_list(v);
}

/* A movement key for whichever list has the focus (the metrics when the chart has it). */
static void
move_focused(tw_view *v, tw_action a)
{
    if (v->focus == TW_FOCUS_RUNS) {
        tw_list_key(&v->runs_list, a);
        cursor_from_list(v);
    } else {
        tw_list_key(&v->metrics_list, a);
        metric_from_list(v);
    }
}

/* Hides the cursor's run from the chart, or shows it again. */
static void
toggle_run(tw_view *v)
{
    long i;

    if (v->runs_list.n == 0 || !v->cursor_run[0])
        return;
    i = tw_view_names_find(&v->hidden, v->cursor_run);
    if (i >= 0)
        names_remove(&v->hidden, (size_t)i);
    else if (tw_view_names_push(&v->hidden, v->cursor_run) == 0)
        qsort(v->hidden.v, v->hidden.n, sizeof v->hidden.v[0], cmp_name);
}

/* Shows only the cursor's run; when that is already so, shows every run. */
static void
solo_run(tw_view *v)
{
    bool solo = !tw_view_run_hidden(v, v->cursor_run);

    if (v->runs_list.n == 0)
        return;
    for (size_t i = 0; i < v->runs_list.n && solo; i++)
        if (strcmp(v->rows[i].id, v->cursor_run) != 0 && !tw_view_run_hidden(v, v->rows[i].id))
            solo = false;
    v->hidden.n = 0;
    if (solo)
        return;
    for (size_t i = 0; i < v->runs_list.n; i++)
        if (strcmp(v->rows[i].id, v->cursor_run) != 0)
            tw_view_names_push(&v->hidden, v->rows[i].id);
    qsort(v->hidden.v, v->hidden.n, sizeof v->hidden.v[0], cmp_name);
}

/* Moves the focus (dir 1 forwards, -1 backwards): metrics and runs when wide; chart,
 * metrics and runs when narrow, where the focused list replaces the chart. */
static void
cycle_focus(tw_view *v, int dir)
{
    if (v->g.wide) {
        v->focus = v->focus == TW_FOCUS_RUNS ? TW_FOCUS_METRICS : TW_FOCUS_RUNS;
    } else {
        int f = ((int)v->focus + dir + 3) % 3;
        v->focus = (tw_view_focus)f;
    }
    tw_view_layout(v);
}

/* Zooms in (dir > 0: half as many of the last epochs) or out (twice as many, then all). */
static void
zoom(tw_view *v, int dir)
{
    uint64_t base = v->zoom ? v->zoom : v->max_epoch;

    if (dir > 0) {
        if (base <= 1)
            return;
        v->zoom = base / 2 ? base / 2 : 1;
    } else if (v->zoom) {
        v->zoom *= 2;
        if (v->zoom >= v->max_epoch)
            v->zoom = 0;
    }
}

/* Removes the UTF-8 character before the end of the prompt. */
static void
prompt_backspace(tw_view *v)
{
    while (v->prompt_len > 0) {
        unsigned char c = (unsigned char)v->prompt[--v->prompt_len];
        if ((c & 0xc0) != 0x80)
            break;
    }
    v->prompt[v->prompt_len] = '\0';
}

/* A key typed at the filter prompt. The filter follows the text while it compiles; Enter
 * keeps it (not while it is invalid), Escape restores the one from before the prompt. */
static int
prompt_key(tw_view *v, int key)
{
    char err[sizeof v->prompt_err];

    if (key == KEY_ESC) {
        if (set_filter(v, v->prompt_saved, v->filter_err, sizeof v->filter_err) < 0) {
            /* It was a bad initial filter: back to none, its error still in the title. */
            set_filter(v, "", NULL, 0);
            snprintf(v->filter, sizeof v->filter, "%s", v->prompt_saved);
        }
        v->prompting = false;
        curs_set(0);
        return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    }
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        if (set_filter(v, v->prompt, v->prompt_err, sizeof v->prompt_err) == 0) {
            v->prompting = false;
            v->filter_err[0] = '\0';
            curs_set(0);
        }
        return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == CTRL_KEY('h'))
        prompt_backspace(v);
    else if (key == CTRL_KEY('u'))
        v->prompt_len = 0;
    else if (key >= 32 && key < 256 && key != 127 && v->prompt_len + 1 < sizeof v->prompt)
        v->prompt[v->prompt_len++] = (char)key;
    else
        return TW_VIEW_HANDLED;
    v->prompt[v->prompt_len] = '\0';
    /* Live preview: apply when it compiles (an incomplete UTF-8 tail may not, yet). */
    if (set_filter(v, v->prompt, err, sizeof err) == 0)
        v->prompt_err[0] = '\0';
    else
        snprintf(v->prompt_err, sizeof v->prompt_err, "%s", err);
    return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
}

int
tw_view_key(tw_view *v, int key)
{
    int flags = TW_VIEW_HANDLED | TW_VIEW_REDRAW;

    if (!v)
        return 0;
    if (key == KEY_RESIZE) {
        tw_view_resize(v);
        return flags;
    }
    if (v->prompting) {
        flags = prompt_key(v, key);
        v->full = true;
        return flags;
    }
    if (v->help) {
        /* Any key closes the help screen, and does nothing else. */
        v->help = false;
        v->full = true;
        return flags;
    }

    switch (tw_input_action(key)) {
    case TW_ACT_QUIT:
        return TW_VIEW_HANDLED | TW_VIEW_QUIT;
    case TW_ACT_HELP:
        v->help = true;
        break;
    case TW_ACT_UP:
    case TW_ACT_DOWN:
    case TW_ACT_PAGE_UP:
    case TW_ACT_PAGE_DOWN:
    case TW_ACT_HOME:
    case TW_ACT_END:
        move_focused(v, tw_input_action(key));
        break;
    case TW_ACT_METRIC_PREV:
        move_metric(v, -1);
        break;
    case TW_ACT_METRIC_NEXT:
        move_metric(v, 1);
        break;
    case TW_ACT_FOCUS_NEXT:
        cycle_focus(v, 1);
        break;
    case TW_ACT_FOCUS_PREV:
        cycle_focus(v, -1);
        break;
    case TW_ACT_TOGGLE_RUN:
        toggle_run(v);
        break;
    case TW_ACT_SOLO_RUN:
        solo_run(v);
        break;
    case TW_ACT_XAXIS:
        v->xaxis = (tw_view_xaxis)((v->xaxis + 1) % 3);
        break;
    case TW_ACT_MODE:
        v->step_mode = !v->step_mode;
        break;
    case TW_ACT_SMOOTH:
        v->smooth = (v->smooth + 1) % TW_STORE_N_SMOOTH;
        break;
    case TW_ACT_SMOOTH_0:
    case TW_ACT_SMOOTH_1:
    case TW_ACT_SMOOTH_2:
    case TW_ACT_SMOOTH_3:
        v->smooth = (int)(tw_input_action(key) - TW_ACT_SMOOTH_0);
        break;
    case TW_ACT_ENVELOPE:
        v->envelope = !v->envelope;
        break;
    case TW_ACT_LOGY:
        v->log_y = !v->log_y;
        break;
    case TW_ACT_ZOOM_IN:
        zoom(v, 1);
        break;
    case TW_ACT_ZOOM_OUT:
        zoom(v, -1);
        break;
    case TW_ACT_ZOOM_RESET:
        v->zoom = 0;
        break;
    case TW_ACT_PAUSE:
        v->paused = !v->paused;
        flags |= TW_VIEW_PAUSE;
        break;
    case TW_ACT_FILTER:
        v->prompting = true;
        /* The current filter, or the bad one given at start, to be fixed. */
        snprintf(v->prompt_saved, sizeof v->prompt_saved, "%s", v->filter);
        snprintf(v->prompt, sizeof v->prompt, "%s", v->prompt_saved);
        v->prompt_len = strlen(v->prompt);
        /* A bad initial filter's error moves from the title to the prompt. */
        snprintf(v->prompt_err, sizeof v->prompt_err, "%s", v->filter_err);
        v->filter_err[0] = '\0';
        curs_set(1);
        break;
    case TW_ACT_SORT:
        v->sort = (tw_view_sort)((v->sort + 1) % 3);
        break;
    case TW_ACT_ALERTS:
        v->alerts_panel = !v->alerts_panel;
        tw_view_layout(v);
        break;
    case TW_ACT_ACK:
        flags |= TW_VIEW_ACK;
        break;
    case TW_ACT_ASCII:
        v->braille = v->utf8 && !v->braille;
        break;
    case TW_ACT_REDRAW:
        v->clear = true;
        break;
    case TW_ACT_RESIZE:
        tw_view_resize(v);
        break;
    case TW_ACT_NONE:
    case TW_ACT_COUNT:
        return 0;
    }
    v->full = true;
    return flags;
}

int
tw_view_read_keys(tw_view *v)
{
    int flags = 0, ch;

    if (!v)
        return 0;
    while ((ch = wgetch(stdscr)) != ERR) {
        flags |= tw_view_key(v, ch);
        if (flags & TW_VIEW_QUIT)
            break;
    }
    return flags;
}

/* ------------------------------------------------------------------------------------------ */
/* Drawing                                                                                     */

/* The bottom line: the filter prompt while one is open, else the key help. */
static void
draw_bottom(tw_view *v)
{
    tw_rect r = v->g.help;
    int x;

    if (!v->prompting) {
        tw_view_draw_keyhelp(v, r);
        return;
    }
    x = tw_view_put(r.y, r.x, r.w, A_BOLD, 0, "filter: ");
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, v->prompt);
    if (v->prompt_err[0]) {
        int ex = x + 2;
        tw_view_put(r.y, r.x + ex, r.w - ex, v->color ? A_NORMAL : A_BOLD,
                    v->color ? TW_PAIR_ERROR : 0, v->prompt_err);
    } else if (x + 2 < r.w - 30) {
        tw_view_put(r.y, r.x + r.w - 30, 30, A_DIM, 0, "Enter: keep  Esc: cancel");
    }
    wmove(stdscr, r.y, r.x + (x < r.w ? x : r.w - 1));
}

void
tw_view_set_alerts(tw_view *v, const tw_alerts *a)
{
    if (v)
        v->alerts = a;
}

void
tw_view_set_notice(tw_view *v, const char *msg)
{
    if (v)
        snprintf(v->notice, sizeof v->notice, "%s", msg ? msg : "");
}

void
tw_view_set_link_problem(tw_view *v, const char *msg)
{
    if (v)
        snprintf(v->link_problem, sizeof v->link_problem, "%s", msg ? msg : "");
}

void
tw_view_draw(tw_view *v, const tw_store *s, double now)
{
    (void)now; /* nothing shown depends on the clock: ages and states come from the store */
    if (!v)
        return;
    if (v->clear) {
        clearok(curscr, TRUE);
        v->clear = false;
    }
    if (v->g.too_small) {
        werase(stdscr);
        tw_view_draw_too_small(v);
    } else if (v->help) {
        werase(stdscr);
        tw_view_draw_help(v, s);
    } else if (v->paused && !v->full) {
        /* Frozen picture: only the status line follows the data. */
        wmove(stdscr, 0, 0);
        wclrtoeol(stdscr);
        tw_view_draw_title(v, s);
    } else {
        v->full = false;
        tw_view_sync(v, s);
        if (v->g.wide && v->metrics.n != v->g.metrics_n)
            tw_view_layout(v); /* the metrics list grew */
        werase(stdscr);
        tw_view_draw_title(v, s);
        if (v->g.legend.h)
            tw_view_draw_legend(v, s, v->g.legend);
        if (v->g.chart.h)
            tw_view_draw_chart(v, s, v->g.chart);
        if (v->g.wide) {
            wattr_set(stdscr, A_NORMAL, 0, NULL);
            mvwvline(stdscr, v->g.side.y, v->g.side.x - 1, ACS_VLINE, v->g.side.h);
        }
        if (v->g.metrics.h)
            tw_view_draw_metrics(v, s, v->g.metrics);
        if (v->g.runs.h)
            tw_view_draw_runs(v, s, v->g.runs);
        if (v->g.metric_line.h)
            tw_view_draw_metric_line(v, s, v->g.metric_line);
        if (v->g.progress.h)
            tw_view_draw_progress(v, s, v->g.progress);
        if (v->g.alerts.h)
            tw_view_draw_alerts(v, s, v->g.alerts);
    }
    if (!v->g.too_small && !v->help)
        draw_bottom(v);
    wattr_set(stdscr, A_NORMAL, 0, NULL);
    curs_set(v->prompting && !v->help && !v->g.too_small ? 1 : 0);
    if (!v->prompting)
        wmove(stdscr, v->g.rows > 0 ? v->g.rows - 1 : 0, 0);
    wnoutrefresh(stdscr);
    doupdate();
}
