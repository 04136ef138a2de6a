/* keygen.h - `trainwatch keygen NAME`: a CURVE key pair into NAME.key and NAME.pub. */
#ifndef TW_KEYGEN_H
#define TW_KEYGEN_H

/* Runs the subcommand: argv[0] is "trainwatch", argv[1] "keygen", argv[2] the NAME. Writes
 * NAME.key (secret, mode 0600) and NAME.pub, never over existing files (a first file written
 * is removed when the second fails), and prints how to use them. Returns the exit status: 0,
 * 1 when a file cannot be written or libzmq has no CURVE, 2 for a bad NAME. */
int tw_keygen_main(int argc, char **argv);

#endif
