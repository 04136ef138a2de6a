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

/* Prints the leaderboard of every study in the store (runs whose parameters name a study,
 * doc/protocol.md "Studies and trials"): a header line, then its trials best first with their
 * number, state, best value and epoch, and hyperparameters (summary_study.c). Nothing when
 * there is no study. tw_summary_print ends with it. */
void tw_summary_studies(FILE *out, const tw_store *s);

/* Prints the --check count line: "N alerts fired, M still active, in R runs". */
void tw_check_summary_print(FILE *out, const tw_alerts *a, const tw_store *s);

#endif
