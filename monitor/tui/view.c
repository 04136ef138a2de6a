/* view.c - the monitor's ncurses view: terminal setup and restore, the tw_view API, and one
 * frame: the update (sync, layout, chart frame) then the panes. */
#include "keys.h"
#include "mouse.h"
#include "panes.h"
#include "sweep.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
    static const short shade[TW_VIEW_RUN_COLORS] = {24, 94, 29, 89, 60, 95, 96, 23};
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
    if (COLORS < 256 || COLOR_PAIRS < TW_PAIR_SHADE + TW_VIEW_RUN_COLORS)
        return;
    for (int i = 0; i < TW_VIEW_RUN_COLORS; i++)
        init_pair((short)(TW_PAIR_SHADE + i), shade[i], bg);
    v->shades = true;
}

/* xterm's mouse reports: presses, releases and the wheel (1000), SGR-encoded (1006). */
#define MOUSE_ON  "\033[?1000h\033[?1006h"
#define MOUSE_OFF "\033[?1006l\033[?1000l"

/* Writes a control sequence of the view's own to the terminal, beside ncurses's output. */
static void
terminal_write(const char *seq)
{
    fflush(stdout);
    fputs(seq, stdout);
    fflush(stdout);
}

/* Binds the mouse reports' introducers to the view's own codes (so that a report never
 * reaches the keymap as keys, asked for or not) and, unless off or the terminal has no mouse,
 * asks for xterm's SGR 1006 reports of presses, releases and the wheel. */
static void
setup_mouse(tw_view *v, bool off)
{
    const char *km = tigetstr("kmous");

    define_key("\033[<", 0);
    define_key("\033[M", 0);
    define_key("\033[<", TW_KEY_MOUSE_SGR);
    define_key("\033[M", TW_KEY_MOUSE_X10);
    if (off || !km || km == (const char *)-1 || !*km)
        return;
    terminal_write(MOUSE_ON);
    v->mouse = true;
}

/* Reads the rest of a mouse report from the terminal (bytes that came with its introducer)
 * and applies it; a malformed or cut-short report, or one while the mouse is off, is
 * dropped. Returns the flags. */
static int
read_mouse(tw_view *v, int first)
{
    char b[TW_MOUSE_SGR_MAX + 1];
    size_t n = 0;
    tw_mouse_event e;
    int ch;
    bool ok;

    wtimeout(stdscr, 100); /* the rest of a report split over two reads (ssh) is waited for */
    if (first == TW_KEY_MOUSE_X10) {
        while (n < 3 && (ch = wgetch(stdscr)) != ERR && ch >= 0 && ch < 256)
            b[n++] = (char)ch;
        ok = n == 3 && tw_mouse_parse_x10((const unsigned char *)b, &e);
    } else {
        /* Parameters (digits and ';') up to the final 'M' or 'm'; past the limit they are
         * still read, and dropped. Any other byte ends a malformed report and is kept for the
         * keymap (a key typed after a cut-short report is not lost). */
        bool over = false;
        while ((ch = wgetch(stdscr)) != ERR) {
            if ((ch >= '0' && ch <= '9') || ch == ';' || ch == 'M' || ch == 'm') {
                if (n < sizeof b)
                    b[n++] = (char)ch;
                else
                    over = true;
                if (ch == 'M' || ch == 'm')
                    break;
            } else {
                ungetch(ch);
                break;
            }
        }
        n = over ? 0 : n;
        ok = tw_mouse_parse_sgr(b, n, &e);
    }
    nodelay(stdscr, TRUE);
    return ok && v->mouse ? tw_view_mouse_apply(v, &e) : 0;
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
    v->cursor.click_col = -1;
    tw_list_init(&v->metrics_list);
    tw_list_init(&v->runs_list);
    v->full = true;
    if (o->metric)
        snprintf(v->metric, sizeof v->metric, "%s", o->metric);
    if (o->filter && tw_view_set_filter(v, o->filter, v->filter_err, sizeof v->filter_err) < 0)
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
    /* ncurses (6.4) writes its output at every cursor movement until the screen has been left
       and resumed once (_nc_mvcur flushes while it is "not yet initialized"): a frame would be
       a write(2) a movement, a packet each over SSH. Leaving and resuming it now, before
       anything is drawn, makes a frame one write. */
    endwin();
    refresh();
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    setup_mouse(v, o->no_mouse);
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
        if (v->mouse)
            terminal_write(MOUSE_OFF);
        delscreen(v->screen);
    }
    if (v->has_filter)
        regfree(&v->filter_re);
    tw_chart_destroy(&v->chart);
    tw_sweep_frame_destroy(&v->sweep_frame);
    tw_view_grid_free(v);
    free(v->hidden.v);
    free(v->metrics.v);
    free(v->xy);
    free(v->series);
    free(v->marks);
    free(v->buckets);
    free(v->rows);
    free(v->chart_rows);
    free(v->shown);
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

void
tw_view_set_alerts(tw_view *v, const tw_alerts *a)
{
    if (v)
        v->alerts = a;
}

void
tw_view_set_delay(tw_view *v, const tw_delay *d)
{
    if (v)
        v->delay = d;
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

/* What the terminal must do after a key or a click changed the state: here, never in the
 * handlers. Returns the flags for the caller. */
static int
settle(tw_view *v, int flags)
{
    if (flags & TW_KEY_RESIZE)
        tw_view_resize(v);
    else if (flags & TW_KEY_RELAYOUT)
        tw_view_layout(v);
    return flags & ~(TW_KEY_RELAYOUT | TW_KEY_RESIZE);
}

int
tw_view_key(tw_view *v, int key)
{
    return v ? settle(v, tw_view_keys_apply(v, key)) : 0;
}

int
tw_view_read_keys(tw_view *v)
{
    int flags = 0, ch;

    if (!v)
        return 0;
    while ((ch = wgetch(stdscr)) != ERR) {
        if (ch == TW_KEY_MOUSE_SGR || ch == TW_KEY_MOUSE_X10)
            flags |= settle(v, read_mouse(v, ch));
        else
            flags |= tw_view_key(v, ch);
        if (flags & TW_VIEW_QUIT)
            break;
    }
    return flags;
}

/* The update path of a full frame: the rows and names from the store, the layout when the
 * metrics list grew, the chart's frame. */
static void
update(tw_view *v, const tw_store *s)
{
    v->full = false;
    tw_view_sync(v, s);
    if (v->g.wide && v->metrics.n != v->g.metrics_n)
        tw_view_layout(v); /* the metrics list grew */
    v->chart_status = TW_VIEW_CHART_NONE;
    if (v->g.chart.h && v->sweep)
        tw_view_sweep_frame(v, s, v->g.chart);
    else if (v->g.chart.h)
        tw_view_chart_frame(v, s, v->g.chart);
    if (v->grid)
        tw_view_grid_frame(v, s);
    tw_view_cursor_frame(v);
    if (v->svg_pending)
        tw_view_chart_svg(v);
}

/* Every pane of the main screen, from the state the update left. */
static void
paint(const tw_view *v, const tw_store *s)
{
    werase(stdscr);
    tw_view_draw_title(v, s);
    if (v->sweep && v->g.chart.h) {
        tw_view_draw_sweep(v, v->g.legend, v->g.chart);
    } else {
        if (v->g.legend.h)
            tw_view_draw_legend(v, s, v->g.legend);
        if (v->g.chart.h)
            tw_view_draw_chart(v, v->g.chart);
    }
    if (v->grid)
        tw_view_draw_grid(v);
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
        tw_view_draw_alerts(v, v->g.alerts);
}

/* Marks untouched every line of stdscr that holds what the last frame handed to ncurses
 * (v->shown), and keeps the others there: the frame redraws every pane, but wnoutrefresh and
 * doupdate then copy and compare only the lines that changed, usually a few of the screen's. A
 * new size (or no memory) hands every line. */
static void
untouch_same_lines(tw_view *v)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    size_t stride = (size_t)cols + 1; /* a line and the null cell mvwin_wchnstr may add */
    if (rows != v->shown_rows || cols != v->shown_cols) {
        free(v->shown);
        /* one line more: where the frame's line is read */
        v->shown = calloc(((size_t)rows + 1) * stride, sizeof *v->shown);
        v->shown_rows = v->shown ? rows : 0;
        v->shown_cols = v->shown ? cols : 0;
        if (!v->shown)
            return;
        for (int y = 0; y < rows; y++) /* nothing known yet: every line differs */
            v->shown[(size_t)y * stride].chars[0] = L'\x1';
    }
    cchar_t *now = v->shown + (size_t)rows * stride;
    for (int y = 0; y < rows; y++) {
        cchar_t *was = v->shown + (size_t)y * stride;
        if (mvwin_wchnstr(stdscr, y, 0, now, cols) == ERR)
            continue;
        if (memcmp(now, was, (size_t)cols * sizeof *now) == 0)
            wtouchln(stdscr, y, 1, 0);
        else
            memcpy(was, now, (size_t)cols * sizeof *now);
    }
}

void
tw_view_draw(tw_view *v, const tw_store *s)
{
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
        tw_view_draw_help(v);
    } else if (v->paused && !v->full) {
        /* Frozen picture: only the status line follows the data. */
        wmove(stdscr, 0, 0);
        wclrtoeol(stdscr);
        tw_view_draw_title(v, s);
    } else {
        update(v, s);
        paint(v, s);
    }
    if (!v->g.too_small && !v->help)
        tw_view_draw_bottom(v);
    wattr_set(stdscr, A_NORMAL, 0, NULL);
    curs_set(v->prompting && !v->help && !v->g.too_small ? 1 : 0);
    if (!v->prompting)
        wmove(stdscr, v->g.rows > 0 ? v->g.rows - 1 : 0, 0);
    untouch_same_lines(v);
    wnoutrefresh(stdscr);
    doupdate();
}
