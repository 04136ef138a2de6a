/* keygen.c - `trainwatch keygen NAME`: writes a CURVE key pair (keygen.h). */
#include "keygen.h"

#include "curve.h"
#include "zmq_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
tw_keygen_main(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '-' || !argv[2][0]) {
        fprintf(stderr, "usage: trainwatch keygen NAME (writes NAME.key and NAME.pub)\n");
        return 2;
    }
    const char *name = argv[2];
    char path[2][4096];
    tw_curve_key pub, secret;
    if (snprintf(path[0], sizeof path[0], "%s.key", name) >= (int)sizeof path[0] ||
        snprintf(path[1], sizeof path[1], "%s.pub", name) >= (int)sizeof path[1]) {
        fprintf(stderr, "trainwatch keygen: the name is too long\n");
        return 2;
    }
    char why[512];
    if (tw_zmq_load(why, sizeof why) != 0) {
        fprintf(stderr, "trainwatch keygen: %s\n", why);
        return 1;
    }
    if (tw_curve_keypair(&pub, &secret) != 0) {
        fprintf(stderr, "trainwatch keygen: this libzmq was built without CURVE\n");
        return 1;
    }
    const char *text[2] = {secret.z85, pub.z85};
    const char *what[2] = {"secret", "public"};
    for (int i = 0; i < 2; i++) {
        int fd = open(path[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, i == 0 ? 0600 : 0644);
        if (fd < 0) {
            int e = errno;
            fprintf(stderr, "trainwatch keygen: cannot create %s: %s%s\n", path[i], strerror(e),
                    e == EEXIST ? " (refusing to overwrite a key)" : "");
            if (i == 1)
                unlink(path[0]);
            return 1;
        }
        char buf[160];
        int n = snprintf(buf, sizeof buf, "# trainwatch CURVE %s key\n%s\n", what[i], text[i]);
        bool ok = write(fd, buf, (size_t)n) == n && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok) {
            fprintf(stderr, "trainwatch keygen: cannot write %s: %s\n", path[i], strerror(errno));
            unlink(path[0]);
            if (i == 1)
                unlink(path[1]);
            return 1;
        }
    }
    memset(&secret, 0, sizeof secret);
    printf(
        "wrote %s (secret key, mode 0600: keep it private) and %s (public key)\n"
        "The side that binds tcp holds %s, the side that connects %s:\n"
        "  publisher binds:  TRAINWATCH_CURVE_SECRET=%s TRAINWATCH_ENDPOINT=tcp://0.0.0.0:PORT\n"
        "                    trainwatch --server-key %s tcp://HOST:PORT\n"
        "  monitor listens:  trainwatch --key %s --listen tcp://0.0.0.0:PORT\n"
        "                    TRAINWATCH_CURVE_SERVER=%s TRAINWATCH_ENDPOINT='>tcp://HOST:PORT'\n",
        path[0], path[1], path[0], path[1], path[0], path[1], path[0], path[1]);
    return 0;
}
