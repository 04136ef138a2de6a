/* golden_run.c - re-encodes a recorded run log: every frame decoded and encoded again, written
 * with the run-log writer. The wire and run-log formats are unchanged when the copy is
 * byte-identical to the recording (tests/golden/golden_run.sh compares them).
 *
 * usage: golden_run IN.twlog OUT.twlog; exit 0 when every frame was copied, 1 otherwise. */
#include "runlog.h"
#include "wire.h"

#include <stdio.h>

typedef struct copy {
    tw_wire_encoder *enc;
    bool begun;
} copy;

/* Starts the message with the first record's envelope, then adds every record. */
static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    copy *c = ctx;
    if (!c->begun) {
        tw_wire_encoder_begin(c->enc, h);
        c->begun = true;
    }
    return tw_wire_encoder_add(c->enc, r);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: golden_run IN.twlog OUT.twlog\n");
        return 2;
    }
    tw_runlog_reader *in = tw_runlog_reader_open(argv[1]);
    tw_runlog_writer *out = tw_runlog_writer_open(argv[2], 1000);
    tw_wire_decoder *dec = tw_wire_decoder_new();
    copy c = {tw_wire_encoder_new(), false};
    int status = 1;
    if (!in || !out || !dec || !c.enc) {
        perror("golden_run: open");
        goto done;
    }
    const uint8_t *payload;
    size_t len;
    int rc;
    uint64_t frames = 0;
    while ((rc = tw_runlog_reader_next(in, &payload, &len)) == TW_RUNLOG_FRAME) {
        c.begun = false;
        int drc = tw_wire_decode(dec, payload, len, on_record, &c);
        const uint8_t *data;
        size_t n;
        if (drc != 0 || !c.begun || tw_wire_encoder_finish(c.enc, &data, &n) != 0 ||
            tw_runlog_writer_append(out, data, n) != 0) {
            fprintf(stderr, "golden_run: frame %llu did not survive decode and encode (%d)\n",
                    (unsigned long long)frames + 1, drc);
            goto done;
        }
        frames++;
    }
    if (rc != TW_RUNLOG_END) {
        fprintf(stderr, "golden_run: %s\n", tw_runlog_reader_error(in));
        goto done;
    }
    printf("golden_run: %llu frames re-encoded\n", (unsigned long long)frames);
    status = 0;
done:
    if (tw_runlog_writer_close(&out) != 0)
        status = 1;
    tw_runlog_reader_close(&in);
    tw_wire_decoder_destroy(&dec);
    tw_wire_encoder_destroy(&c.enc);
    return status;
}
