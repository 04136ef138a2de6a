/* summary.h - what --once and --check print when they are done, for people. */
#ifndef TW_SUMMARY_H
#define TW_SUMMARY_H

#include "alerts.h"
#include "delay.h"
#include "store.h"

#include <stdio.h>

/* Prints the --once table to out: per run and metric, the latest and best value per split,
 * then per run its losses and lag, the delivery delay of `delay` (NULL: none) and the
 * undecodable messages. */
void tw_summary_print(FILE *out, const tw_store *s, const tw_delay *delay);

/* Prints the --check count line: "N alerts fired, M still active, in R runs". */
void tw_check_summary_print(FILE *out, const tw_alerts *a, const tw_store *s);

#endif
