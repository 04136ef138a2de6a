/* test_links.c - which connection carried which rank (monitor/links.h), over a real store: a
 * lost connection disconnects every rank it carried and only those, a new connection makes a
 * rank connected again, records queued from a lost connection do not, a rank that moved to
 * another connection is no longer carried by the old one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "links.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A rank-incarnation as a publisher would send it: its header and its next seq. */
typedef struct peer {
    tw_wire_header h;
    uint64_t seq;
} peer;

static peer
peer_make(const char *run, uint64_t incarnation, uint32_t rank, uint32_t world)
{
    peer p = {.h = {.version = 1, .incarnation = incarnation, .rank = rank, .world = world}};
    snprintf(p.h.run, sizeof p.h.run, "%s", run);
    return p;
}

/* What main.c does with a live record: the store ingests a heartbeat of p at `now`, then the
 * links hear that it came over `link`. Returns tw_links_record's result. */
static int
heard(tw_store *s, tw_links *l, peer *p, uint64_t link, double now)
{
    tw_wire_record r = {.type = TW_REC_HEARTBEAT,
                        .seq = ++p->seq,
                        .epoch = 1,
                        .step = p->seq,
                        .time = now,
                        .interval_ms = 500};
    assert_int_equal(tw_store_ingest(s, &p->h, &r, now), 0);
    return tw_links_record(l, &p->h, link, now);
}

static tw_store_state
rank_state(const tw_store *s, const peer *p)
{
    const tw_store_run *rn = tw_store_find_run(s, p->h.run);
    assert_non_null(rn);
    return tw_store_run_rank(rn, p->h.rank)->state;
}

/* Arguments: a map needs a store; NULL and connection 0 are refused; destroy is NULL-safe. */
static void
test_arguments(void **state)
{
    (void)state;
    errno = 0;
    assert_null(tw_links_new(NULL));
    assert_int_equal(errno, EINVAL);
    tw_store *s = tw_store_new(NULL);
    assert_non_null(s);
    tw_links *l = tw_links_new(s);
    assert_non_null(l);
    peer p = peer_make("args", 1, 0, 1);
    assert_int_equal(tw_links_record(l, &p.h, 0, 10.0), -EINVAL);
    assert_int_equal(tw_links_record(NULL, &p.h, 1, 10.0), -EINVAL);
    assert_int_equal(tw_links_record(l, NULL, 1, 10.0), -EINVAL);
    /* a rank the store does not know: nothing kept */
    assert_int_equal(tw_links_record(l, &p.h, 1, 10.0), 0);
    assert_int_equal(tw_links_count(l), 0);
    assert_int_equal(tw_links_down(l, 1, 10.0), 0);
    assert_int_equal(tw_links_down(l, 0, 10.0), 0);
    assert_int_equal(tw_links_down(NULL, 1, 10.0), 0);
    assert_int_equal(tw_links_carried(NULL, 1), 0);
    assert_int_equal(tw_links_carried(l, 0), 0);
    assert_int_equal(tw_links_count(NULL), 0);
    tw_links_destroy(&l);
    assert_null(l);
    tw_links_destroy(&l);
    tw_links_destroy(NULL);
    tw_store_destroy(&s);
}

/* One connection carries two runs (a relay, or several ranks behind one --listen), another a
 * third rank: losing the first disconnects both of its ranks and not the third; records still
 * queued from it do not reconnect them; a new connection does, rank by rank. Down for
 * link_grace, a rank is vanished, saying why. */
static void
test_down(void **state)
{
    (void)state;
    tw_store *s = tw_store_new(NULL);
    tw_links *l = tw_links_new(s);
    assert_non_null(l);
    peer a0 = peer_make("a", 1, 0, 2), a1 = peer_make("a", 2, 1, 2), b0 = peer_make("b", 3, 0, 1);
    assert_int_equal(heard(s, l, &a0, 7, 100.0), 0); /* connected already: no change */
    assert_int_equal(heard(s, l, &b0, 7, 100.0), 0);
    assert_int_equal(heard(s, l, &a1, 8, 100.0), 0);
    assert_int_equal(heard(s, l, &a0, 7, 100.1), 0); /* same connection: nothing to do */
    assert_int_equal(tw_links_count(l), 3);

    assert_int_equal(tw_links_carried(l, 99), 0);
    assert_int_equal(tw_links_down(l, 99, 100.5), 0); /* a connection that carried nothing */
    assert_int_equal(tw_links_carried(l, 7), 2);
    assert_int_equal(tw_links_carried(l, 8), 1);
    assert_int_equal(tw_links_down(l, 7, 100.5), 2);
    assert_int_equal(tw_links_carried(l, 7), 2); /* still: its ranks' newest records */
    assert_int_equal(rank_state(s, &a0), TW_STATE_DISCONNECTED);
    assert_int_equal(rank_state(s, &b0), TW_STATE_DISCONNECTED);
    assert_int_equal(rank_state(s, &a1), TW_STATE_LIVE);
    assert_int_equal(tw_store_find_run(s, "a")->state, TW_STATE_DISCONNECTED);
    assert_string_equal(tw_store_find_run(s, "a")->reason,
                        "rank 0 disconnected: its network connection is down, reconnecting");
    assert_int_equal(tw_links_down(l, 7, 100.6), 0); /* already */

    /* records still queued from the lost connection do not reconnect ... */
    assert_int_equal(heard(s, l, &a0, 7, 101.0), 0);
    assert_int_equal(rank_state(s, &a0), TW_STATE_DISCONNECTED);
    /* ... a new connection does, for the rank heard on it */
    assert_int_equal(heard(s, l, &a0, 9, 101.0), 1);
    assert_int_equal(rank_state(s, &a0), TW_STATE_LIVE);
    assert_int_equal(tw_store_find_run(s, "a")->state, TW_STATE_LIVE);
    assert_int_equal(rank_state(s, &b0), TW_STATE_DISCONNECTED);

    /* b stays down: disconnected for link_grace (60 s from 100.5), then vanished */
    tw_store_tick(s, 160.0);
    assert_int_equal(tw_store_find_run(s, "b")->state, TW_STATE_DISCONNECTED);
    tw_store_tick(s, 161.0);
    assert_int_equal(tw_store_find_run(s, "b")->state, TW_STATE_VANISHED);
    assert_string_equal(tw_store_find_run(s, "b")->reason,
                        "rank 0 vanished: its connection has been down for over 60 s");
    tw_links_destroy(&l);
    tw_store_destroy(&s);
}

/* A rank heard on another connection is carried by that one: losing the old one leaves it;
 * an ended rank is not disconnected; an earlier incarnation of a rank is tracked apart. */
static void
test_moved_ended_incarnations(void **state)
{
    (void)state;
    tw_store *s = tw_store_new(NULL);
    tw_links *l = tw_links_new(s);
    assert_non_null(l);
    peer p = peer_make("m", 1, 0, 1);
    assert_int_equal(heard(s, l, &p, 7, 100.0), 0);
    assert_int_equal(heard(s, l, &p, 9, 100.2), 0); /* moved (a reconnect seen by its data) */
    assert_int_equal(tw_links_count(l), 1);
    assert_int_equal(tw_links_down(l, 7, 100.5), 0);
    assert_int_equal(rank_state(s, &p), TW_STATE_LIVE);

    /* the process restarts: a new incarnation on a new connection */
    peer q = peer_make("m", 2, 0, 1);
    assert_int_equal(heard(s, l, &q, 10, 101.0), 0);
    assert_int_equal(tw_links_count(l), 2);
    assert_int_equal(tw_links_down(l, 9, 101.5), 1); /* the old incarnation's */
    assert_int_equal(rank_state(s, &q), TW_STATE_LIVE);

    /* an ended rank: its connection closing changes nothing */
    tw_wire_record end = {.type = TW_REC_RUN_END, .seq = ++q.seq, .time = 102.0};
    assert_int_equal(tw_store_ingest(s, &q.h, &end, 102.0), 0);
    assert_int_equal(tw_links_carried(l, 10), 1); /* carried, ended: a close after the end */
    assert_int_equal(tw_links_down(l, 10, 102.5), 0);
    assert_int_equal(rank_state(s, &q), TW_STATE_ENDED);
    tw_links_destroy(&l);
    tw_store_destroy(&s);
}

/* Many ranks over a few connections: the map grows and still finds each; a lost connection
 * disconnects exactly its share. */
static void
test_many(void **state)
{
    (void)state;
    enum { RUNS = 300, LINKS = 3 };
    tw_store *s = tw_store_new(NULL);
    tw_links *l = tw_links_new(s);
    assert_non_null(l);
    peer p[RUNS];
    for (int i = 0; i < RUNS; i++) {
        char run[32];
        snprintf(run, sizeof run, "run-%03d", i);
        p[i] = peer_make(run, (uint64_t)i + 1, 0, 1);
        assert_int_equal(heard(s, l, &p[i], 1 + (uint64_t)(i % LINKS), 100.0), 0);
    }
    assert_int_equal(tw_links_count(l), RUNS);
    for (int i = 0; i < RUNS; i++) /* found again: same connection, nothing to do */
        assert_int_equal(heard(s, l, &p[i], 1 + (uint64_t)(i % LINKS), 100.1), 0);
    assert_int_equal(tw_links_count(l), RUNS);
    assert_int_equal(tw_links_down(l, 2, 100.5), RUNS / LINKS);
    for (int i = 0; i < RUNS; i++)
        assert_int_equal(rank_state(s, &p[i]),
                         i % LINKS == 1 ? TW_STATE_DISCONNECTED : TW_STATE_LIVE);
    tw_links_destroy(&l);
    tw_store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_down),
        cmocka_unit_test(test_moved_ended_incarnations),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
