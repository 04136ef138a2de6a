/* links.h - which connection carried which rank: the program's map from the sources'
 * connection ids to the (run, rank, incarnation) whose records came over them.
 *
 * Design note. The sources name the connection of each live record (tw_source_origin.link,
 * new at each reconnect) and report a connection lost (tw_source_link.link); the store only
 * learns whether a rank is connected (tw_store_set_connected). Between the two, this map keeps
 * for every rank-incarnation the connection its newest live records came over. A record on a
 * connection other than its rank's tells the store the rank is connected; a connection lost
 * tells it that every rank it carried is not. A rank's entry outlives its connection, so that
 * records still queued from a lost connection do not make the rank connected again: only a
 * new connection does. Entries are kept for the map's life, one per rank-incarnation seen live
 * (as the store keeps its incarnations): a slot is about 150 bytes and the table is kept at
 * most half full. A record costs a hash lookup, or a comparison when it is of the same rank as
 * the record before. Not thread-safe. */
#ifndef TW_LINKS_H
#define TW_LINKS_H

#include "store.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tw_links tw_links;

/* A new, empty map that reports to `store` (borrowed: it must outlive the map). NULL with
 * errno EINVAL (store NULL) or ENOMEM. Free with tw_links_destroy(). */
tw_links *tw_links_new(tw_store *store);

/* Frees the map; NULL-safe, sets *l to NULL. The store is not touched. */
void tw_links_destroy(tw_links **l);

/* A record of (h->run, h->rank, h->incarnation) came over connection `link` at `now`. When
 * that is not the connection the rank's records came over last, the rank is now carried by
 * `link` and the store is told it is connected. Call it for every live record, after the
 * store ingested it (whatever the store said: a replay's duplicates show a new connection
 * too). Returns 1 when the store's rank changed (it was disconnected), 0 when not (also when
 * the store knows no such rank: nothing is kept then), -EINVAL for NULL or link 0, -ENOMEM
 * (nothing kept; the next record tries again). */
int tw_links_record(tw_links *l, const tw_wire_header *h, uint64_t link, double now);

/* Connection `link` was lost at `now`: every rank it carried (whose newest records came over
 * it) is set disconnected in the store. Returns how many ranks that changed (not those that
 * ended or were disconnected already). */
size_t tw_links_down(tw_links *l, uint64_t link, double now);

/* How many rank-incarnations connection `link` carries (their newest records came over it),
 * ended ones included; 0 for NULL or link 0. */
size_t tw_links_carried(const tw_links *l, uint64_t link);

/* How many rank-incarnations the map holds; 0 for NULL. */
size_t tw_links_count(const tw_links *l);

#endif
