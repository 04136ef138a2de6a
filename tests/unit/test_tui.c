/* test_tui.c - the terminal UI: the real view drawn on a pseudo-terminal, compared with golden
 * screens.
 *
 * Each case fills a store from the recorded run log (tests/golden/run/golden-mlp.twlog, decoded
 * with the protocol layer as the monitor's sources do), opens the view on a pseudo-terminal of
 * a given size (TERM=xterm-256color, LC_ALL C.UTF-8 or C), applies keys through tw_view_key,
 * draws, and reads the screen back from ncurses (stdscr, cell by cell: glyphs, attributes,
 * color pairs). It compares the text with golden/tui/NAME_{utf8,c}.txt under the working
 * directory (meson runs the test in tests/); TW_UPDATE_GOLDEN=1 rewrites them.
 *
 * The view draws to stdout and reads stdin (tw_view_new checks that both are terminals), so
 * each case points descriptors 0 and 1 at the pty's slave for its duration and a thread drains
 * the master, so that ncurses never blocks on a full pty buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "alerts.h"
#include "draw.h"
#include "input.h"
#include "runlog.h"
#include "store.h"
#include "view.h"
#include "wire.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <wchar.h>

#define GOLDEN_DIR "golden/tui"
#define RUN_LOG    "golden/run/golden-mlp.twlog"

/* ------------------------------------------------------------------------------------------ */
/* The model: a store and alerts filled from the recorded run                                  */

typedef struct fill_ctx {
    tw_store *store;
    double last; /* the newest record time seen */
} fill_ctx;

/* One decoded record into the store, at the record's own time (so that nothing depends on the
 * clock of the machine running the test). */
static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    fill_ctx *f = ctx;
    double now = r->time > f->last ? r->time : f->last;

    f->last = now;
    tw_store_ingest(f->store, h, r, now);
    return 0;
}

/* The model of every case: the run log read to its end, marked static as the monitor does
 * once its logs are read, and the alert rules evaluated once. */
typedef struct model {
    tw_store *store;
    tw_alerts *alerts;
    double now;
} model;

static void
model_load(model *m)
{
    tw_store_options so = tw_store_defaults();
    /* trainwatch 0.1's overfitting rule (no noise tests): on the recorded run it raises the
     * alerts the screens show; the default rule raises none there (golden_run checks that) */
    tw_alert_config ac = tw_alert_defaults();
    ac.overfit_z = ac.overfit_floor = ac.overfit_samples = 0;
    ac.overfit_slope = 0;
    tw_runlog_reader *r = tw_runlog_reader_open(RUN_LOG);
    tw_wire_decoder *dec = tw_wire_decoder_new();
    fill_ctx f = {0};
    const uint8_t *payload;
    size_t len;

    assert_non_null(r);
    assert_non_null(dec);
    m->store = tw_store_new(&so);
    assert_non_null(m->store);
    f.store = m->store;
    while (tw_runlog_reader_next(r, &payload, &len) == TW_RUNLOG_FRAME)
        assert_true(tw_wire_decode(dec, payload, len, on_record, &f) >= 0);
    tw_runlog_reader_close(&r);
    tw_wire_decoder_destroy(&dec);
    assert_true(tw_store_run_count(m->store) > 0);
    m->now = f.last + 1;
    for (size_t i = 0; i < tw_store_run_count(m->store); i++)
        tw_store_mark_static(m->store, tw_store_run_at(m->store, i)->id, m->now);
    m->alerts = tw_alerts_new(&ac);
    assert_non_null(m->alerts);
    assert_true(tw_alerts_eval(m->alerts, m->store, m->now) >= 0);
}

static void
model_free(model *m)
{
    tw_alerts_destroy(&m->alerts);
    tw_store_destroy(&m->store);
}

/* ------------------------------------------------------------------------------------------ */
/* A pseudo-terminal as the view's terminal                                                    */

typedef struct term {
    int master, slave;
    int saved_in, saved_out; /* the test's own stdin and stdout */
    int stop[2];             /* a pipe that tells the drain thread to finish */
    pthread_t drain;
} term;

/* Reads and drops whatever the view writes to the terminal, until told to stop. */
static void *
drain(void *arg)
{
    term *t = arg;
    char buf[4096];

    for (;;) {
        struct pollfd p[2] = {{t->master, POLLIN, 0}, {t->stop[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[0].revents & POLLIN) {
            if (read(t->master, buf, sizeof buf) <= 0)
                break;
            continue;
        }
        if (p[1].revents || (p[0].revents & (POLLHUP | POLLERR)))
            break;
    }
    return NULL;
}

static void
term_set_size(term *t, int cols, int rows)
{
    struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
    assert_int_equal(ioctl(t->master, TIOCSWINSZ, &ws), 0);
}

/* Opens a pty of cols x rows and makes it the process's stdin and stdout. */
static void
term_open(term *t, int cols, int rows, bool utf8)
{
    setenv("TERM", "xterm-256color", 1);
    setenv("TZ", "UTC", 1); /* alert lines show their local time */
    tzset();
    setenv("LC_ALL", utf8 ? "C.UTF-8" : "C", 1);
    /* tw_view_new sets the locale from the environment when it is still "C". */
    setlocale(LC_CTYPE, "C");
    assert_int_equal(openpty(&t->master, &t->slave, NULL, NULL, NULL), 0);
    term_set_size(t, cols, rows);
    assert_int_equal(pipe(t->stop), 0);
    assert_int_equal(pthread_create(&t->drain, NULL, drain, t), 0);
    fflush(stdout);
    t->saved_in = dup(STDIN_FILENO);
    t->saved_out = dup(STDOUT_FILENO);
    assert_true(t->saved_in >= 0 && t->saved_out >= 0);
    assert_true(dup2(t->slave, STDIN_FILENO) >= 0);
    assert_true(dup2(t->slave, STDOUT_FILENO) >= 0);
}

/* Gives the test its stdin and stdout back and closes the pty. */
static void
term_close(term *t)
{
    fflush(stdout);
    dup2(t->saved_in, STDIN_FILENO);
    dup2(t->saved_out, STDOUT_FILENO);
    close(t->saved_in);
    close(t->saved_out);
    assert_int_equal(write(t->stop[1], "x", 1), 1);
    pthread_join(t->drain, NULL);
    close(t->stop[0]);
    close(t->stop[1]);
    close(t->slave);
    close(t->master);
    setlocale(LC_CTYPE, "C");
}

/* The write(2) calls to standard output while counting: this definition is the one ncurses
 * calls too (the executable's symbols come first). */
static atomic_int counting_writes, writes_counted;
static size_t write_sizes[256];

ssize_t
write(int fd, const void *buf, size_t n)
{
    if (fd == STDOUT_FILENO && atomic_load(&counting_writes)) {
        int i = atomic_fetch_add(&writes_counted, 1);
        if (i < 256)
            write_sizes[i] = n;
    }
    return syscall(SYS_write, fd, buf, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Screens as text                                                                             */

/* Appends to a growing string. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void
text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* The screen as ncurses holds it: the glyphs (UTF-8, trailing blanks removed), a blank line,
 * the attributes (one hex digit a cell: 1 bold, 2 dim, 4 reverse, 8 underline; ' ' for none),
 * a blank line, the color pairs ('.' for 0, then 1-9, a-z). Line-drawing characters of the
 * alternate character set show as '|' and '-'. */
static char *
screen_text(void)
{
    int rows, cols;
    text t = {0};

    getmaxyx(stdscr, rows, cols);
    for (int plane = 0; plane < 3; plane++) {
        if (plane)
            text_add(&t, "\n", 1);
        for (int y = 0; y < rows; y++) {
            size_t start = t.len, keep = t.len;
            for (int x = 0; x < cols; x++) {
                cchar_t cc;
                wchar_t wc[CCHARW_MAX + 1] = {0};
                attr_t a = 0;
                short pair = 0;
                char out[MB_LEN_MAX + 1];
                size_t n;

                if (mvwin_wch(stdscr, y, x, &cc) == ERR)
                    break;
                getcchar(&cc, wc, &a, &pair, NULL);
                if (plane == 0) {
                    mbstate_t st;
                    if (!wc[0])
                        continue; /* the right half of a wide character */
                    if ((a & A_ALTCHARSET) && (wc[0] == L'x' || wc[0] == L'q'))
                        wc[0] = wc[0] == L'x' ? L'|' : L'-'; /* ACS_VLINE, ACS_HLINE */
                    memset(&st, 0, sizeof st);
                    n = wcrtomb(out, wc[0], &st);
                    if (n == (size_t)-1) {
                        out[0] = '?';
                        n = 1;
                    }
                } else if (plane == 1) {
                    int d = ((a & A_BOLD) ? 1 : 0) | ((a & A_DIM) ? 2 : 0) |
                            ((a & A_REVERSE) ? 4 : 0) | ((a & A_UNDERLINE) ? 8 : 0);
                    out[0] = d ? "0123456789abcdef"[d] : ' ';
                    n = 1;
                } else {
                    out[0] = pair == 0   ? '.'
                             : pair < 10 ? (char)('0' + pair)
                                         : (char)('a' + (pair - 10) % 26);
                    n = 1;
                }
                text_add(&t, out, n);
                if (!(n == 1 && out[0] == ' ') && !(plane == 2 && out[0] == '.'))
                    keep = t.len;
            }
            /* trailing blanks (and, in the pair plane, trailing '.') removed */
            t.len = keep >= start ? keep : start;
            t.s[t.len] = '\0';
            text_add(&t, "\n", 1);
        }
    }
    return t.s;
}

static char *
read_file_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    text t = {0};
    char buf[4096];
    size_t k;

    if (!f)
        return NULL;
    text_add(&t, "", 0);
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, k);
    fclose(f);
    return t.s;
}

/* Compares a screen (taken by screen_text; freed here) with golden/tui/NAME_LOCALE.txt, or
 * rewrites that file. */
static void
check_screen(const char *name, bool utf8, char *got)
{
    const char *upd = getenv("TW_UPDATE_GOLDEN");
    char path[512], *want;

    snprintf(path, sizeof path, "%s/%s_%s.txt", GOLDEN_DIR, name, utf8 ? "utf8" : "c");
    if (upd && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        free(got);
        return;
    }
    want = read_file_all(path);
    if (!want || strcmp(want, got) != 0) {
        char gotpath[600];
        FILE *f;
        snprintf(gotpath, sizeof gotpath, "%s.got", path);
        f = fopen(gotpath, "wb");
        if (f) {
            fputs(got, f);
            fclose(f);
        }
        fprintf(stderr, "screen %s differs from %s (this render: %s)\n", name, path, gotpath);
    }
    assert_non_null(want);
    assert_string_equal(want, got);
    free(want);
    free(got);
}

/* ------------------------------------------------------------------------------------------ */
/* Cases                                                                                       */

/* One screen: a terminal of cols x rows, the keys applied in order (0 ends them; KEY_RESIZE
 * first changes the pty's size to rcols x rrows), drawn, compared. */
typedef struct screen_case {
    const char *name;
    int cols, rows;
    int keys[8];
    int rcols, rrows;
} screen_case;

static void
run_case(const screen_case *c, bool utf8)
{
    model m = {0};
    term t;
    tw_view_options o = {0};
    tw_view *v;
    char *got;

    model_load(&m);
    term_open(&t, c->cols, c->rows, utf8);
    v = tw_view_new(&o);
    if (!v)
        term_close(&t);
    assert_non_null(v);
    tw_view_set_alerts(v, m.alerts);
    tw_view_draw(v, m.store);
    for (int i = 0; c->keys[i]; i++) {
        if (c->keys[i] == KEY_RESIZE)
            term_set_size(&t, c->rcols, c->rrows);
        tw_view_key(v, c->keys[i]);
        tw_view_draw(v, m.store);
    }
    /* The screen is read before the terminal is restored, and compared after (so that a
     * failure is reported on the test's own stdout). */
    got = screen_text();
    tw_view_destroy(&v);
    assert_null(v);
    term_close(&t);
    model_free(&m);
    check_screen(c->name, utf8, got);
}

static const screen_case cases[] = {
    {"main", 100, 30, {0}, 0, 0},
    {"help", 100, 30, {'?', 0}, 0, 0},
    {"help_closed", 100, 30, {'?', 'x', 0}, 0, 0},
    {"runs_focus", 100, 30, {'\t', KEY_DOWN, 0}, 0, 0},
    {"runs_narrow", 80, 24, {'\t', '\t', 0}, 0, 0},
    {"metrics_narrow", 80, 24, {'\t', KEY_DOWN, 0}, 0, 0},
    {"metric_next", 100, 30, {']', 0}, 0, 0},
    {"metric_next_step", 100, 30, {']', ']', 'm', 0}, 0, 0},
    {"xaxis_log_zoom", 100, 30, {'x', 'l', '+', 0}, 0, 0},
    {"alerts_panel", 100, 30, {'a', 0}, 0, 0},
    /* the validation accuracy's +-SE bars (the recorded run's losses have no SE) */
    {"errbars", 100, 30, {']', 'E', 0}, 0, 0},
    {"hidden_run", 100, 30, {'\t', ' ', 0}, 0, 0},
    {"filter_prompt", 100, 30, {'/', 'z', 'z', 0}, 0, 0},
    {"resize_40x10", 100, 30, {KEY_RESIZE, 0}, 40, 10},
    {"too_small", 100, 30, {KEY_RESIZE, 0}, 30, 8},
    {"too_small_start", 39, 9, {0}, 0, 0},
    {"cursor", 100, 30, {'c', ',', ',', ',', 0}, 0, 0},
    {"cursor_narrow", 80, 24, {'.', '<', '<', '<', '<', '<', '<', 0}, 0, 0},
    {"cursor_step", 100, 30, {'m', 'c', ',', ',', 0}, 0, 0},
    {"cursor_tight", 50, 16, {']', ']', 'c', 0}, 0, 0},
    {"cursor_escaped", 100, 30, {'c', ',', 27, 0}, 0, 0},
    {"cursor_se", 100, 30, {']', ']', 'c', ',', 0}, 0, 0},
    {"grid", 100, 30, {'M', 0}, 0, 0},
    {"grid_80x24", 80, 24, {'M', KEY_DOWN, ']', 0}, 0, 0},
    {"grid_40x10", 40, 10, {'M', KEY_DOWN, 0}, 0, 0},
    {"grid_pages", 60, 14, {'M', KEY_NPAGE, 0}, 0, 0},
    {"grid_open", 80, 24, {'M', KEY_DOWN, '\n', 0}, 0, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void
test_screens_utf8(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++)
        run_case(&cases[i], true);
}

static void
test_screens_c(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++)
        run_case(&cases[i], false);
}

/* Keys return flags and say what the loop must do; quit draws nothing. */
static void
test_key_flags(void **state)
{
    model m = {0};
    term t;
    tw_view *v;
    int f;

    (void)state;
    model_load(&m);
    term_open(&t, 100, 30, true);
    v = tw_view_new(NULL);
    assert_non_null(v);
    tw_view_draw(v, m.store);
    f = tw_view_key(v, 'q');
    assert_true(f & TW_VIEW_QUIT);
    f = tw_view_key(v, 'p');
    assert_true(f & TW_VIEW_PAUSE);
    assert_true(tw_view_paused(v));
    f = tw_view_key(v, 'p');
    assert_false(tw_view_paused(v));
    f = tw_view_key(v, 'A');
    assert_true(f & TW_VIEW_ACK);
    f = tw_view_key(v, 0x7fff); /* bound to nothing */
    assert_int_equal(f, 0);
    f = tw_view_key(v, ']');
    assert_true((f & TW_VIEW_HANDLED) && (f & TW_VIEW_REDRAW));
    tw_view_destroy(&v);
    term_close(&t);
    model_free(&m);
}

/* Keys that come together, before any frame (a paste, a key held down): the cursor moved back
 * from the newest epoch lands where it would with a frame between the keys. */
static void
test_cursor_keys_before_a_frame(void **state)
{
    model m = {0};
    term t;
    tw_view *v;
    char *got;

    (void)state;
    model_load(&m);
    term_open(&t, 100, 30, true);
    v = tw_view_new(NULL);
    assert_non_null(v);
    tw_view_draw(v, m.store);
    tw_view_key(v, 'c');
    tw_view_key(v, ',');
    tw_view_key(v, ',');
    tw_view_key(v, ',');
    tw_view_draw(v, m.store);
    got = screen_text();
    tw_view_destroy(&v);
    term_close(&t);
    model_free(&m);
    assert_non_null(strstr(got, "epoch 13 "));
    free(got);
}

/* A frame reaches the terminal in as few writes as its bytes need (a packet each over SSH),
 * not a write a cursor movement: every write but a frame's last is a full buffer of ncurses'
 * ((LINES + 2) x (COLS + 6) bytes in 6.4; at least 1 kB here), the first frame (every cell)
 * and one after a key (the chart redrawn). */
static void
test_frame_few_writes(void **state)
{
    model m = {0};
    term t;
    tw_view *v;

    (void)state;
    model_load(&m);
    term_open(&t, 100, 30, true);
    v = tw_view_new(NULL);
    assert_non_null(v);
    int counted[2];
    size_t smallest[2] = {SIZE_MAX, SIZE_MAX}, total[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        if (i)
            tw_view_key(v, 'm'); /* per step: the chart and the header change */
        atomic_store(&writes_counted, 0);
        atomic_store(&counting_writes, 1);
        tw_view_draw(v, m.store);
        atomic_store(&counting_writes, 0);
        counted[i] = atomic_load(&writes_counted);
        for (int k = 0; k < counted[i] && k < 256; k++) {
            total[i] += write_sizes[k];
            if (k + 1 < counted[i] && write_sizes[k] < smallest[i])
                smallest[i] = write_sizes[k];
        }
    }
    tw_view_destroy(&v);
    term_close(&t);
    model_free(&m);
    for (int i = 0; i < 2; i++) {
        assert_true(counted[i] >= 1 && total[i] > 1000); /* a frame of some size was drawn */
        assert_true(counted[i] == 1 || smallest[i] >= 1024);
        assert_true(counted[i] <= 1 + (int)(total[i] / 1024));
    }
}

/* The per-step envelope is faint and never bold: a darker shade of the run's color on
 * 256-colour terminals (so also where dim is not rendered), dim on 8-colour ones and without
 * colors, where the main line stays bold. */
static void
test_envelope_attrs(void **state)
{
    static const char *const terms[] = {"xterm-256color", "xterm", "vt100"};
    unsigned main1 = 1 | TW_VIEW_COLOR_MAIN, band = TW_CHART_CELL_DIM | TW_CHART_CELL_BAND;

    (void)state;
    for (int i = 0; i < 3; i++) {
        term t;
        tw_view *v;
        attr_t a, la;
        short pair, lpair;

        term_open(&t, 100, 30, true);
        setenv("TERM", terms[i], 1);
        v = tw_view_new(NULL);
        assert_non_null(v);
        tw_view_cell_attr(v, (int)main1, band, &a, &pair);
        tw_view_cell_attr(v, (int)main1, 0, &la, &lpair);
        assert_true(la & A_BOLD);
        assert_false(a & A_BOLD);
        if (i == 0) {
            assert_int_equal(pair, TW_PAIR_SHADE);
            assert_int_not_equal(pair, lpair);
        } else {
            assert_true(a & A_DIM);
        }
        tw_view_destroy(&v);
        term_close(&t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screens_utf8),
        cmocka_unit_test(test_screens_c),
        cmocka_unit_test(test_key_flags),
        cmocka_unit_test(test_envelope_attrs),
        cmocka_unit_test(test_cursor_keys_before_a_frame),
        cmocka_unit_test(test_frame_few_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
