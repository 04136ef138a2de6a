/* test_keygen.c - `trainwatch keygen NAME` (monitor/keygen.c): a pair of files that load as
 * the keys they are, the secret one private, never written over, bad names refused. */
#include "curve.h"
#include "keygen.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs the subcommand with NAME (NULL: no name), its output to /dev/null. */
static int
keygen(const char *name)
{
    char *argv[] = {"trainwatch", "keygen", (char *)name, NULL};
    fflush(stdout);
    fflush(stderr);
    int out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    dup2(fileno(null), STDOUT_FILENO);
    dup2(fileno(null), STDERR_FILENO);
    int rc = tw_keygen_main(name ? 3 : 2, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    close(out);
    close(err);
    fclose(null);
    return rc;
}

static void
test_pair(void **state)
{
    (void)state;
    char dir[] = "/tmp/tw-keygen-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char name[64], key[80], pub[80], msg[256];
    snprintf(name, sizeof name, "%s/node", dir);
    snprintf(key, sizeof key, "%s.key", name);
    snprintf(pub, sizeof pub, "%s.pub", name);

    assert_int_equal(keygen(name), 0);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* the secret key is private */
    assert_int_equal(stat(pub, &st), 0);

    /* the files load as a secret key and its public key */
    tw_curve_key secret, public_key, derived;
    assert_int_equal(tw_curve_key_load(key, true, &secret, "key", msg, sizeof msg), 0);
    assert_int_equal(tw_curve_key_load(pub, false, &public_key, "pub", msg, sizeof msg), 0);
    assert_int_equal(tw_curve_public_of(&secret, &derived), 0);
    assert_memory_equal(&derived, &public_key, sizeof derived);

    /* never over existing files */
    FILE *f = fopen(key, "r");
    char before[128] = "", after[128] = "";
    assert_non_null(fgets(before, sizeof before, f));
    fclose(f);
    assert_int_equal(keygen(name), 1);
    f = fopen(key, "r");
    assert_non_null(fgets(after, sizeof after, f));
    fclose(f);
    assert_string_equal(before, after);

    /* bad usage */
    assert_int_equal(keygen(NULL), 2);
    assert_int_equal(keygen(""), 2);
    assert_int_equal(keygen("-x"), 2); /* an option, not a name */
    char *longname = malloc(5000);
    assert_non_null(longname);
    memset(longname, 'a', 4999);
    longname[4999] = '\0';
    assert_int_equal(keygen(longname), 2); /* NAME.key would not fit a path */
    free(longname);

    unlink(key);
    unlink(pub);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pair)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
