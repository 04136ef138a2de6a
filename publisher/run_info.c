/* run_info.c - what a run's RUN record says, set from the training thread: its parameters,
 * its plan (epochs, steps per epoch) and its status. The background thread sends the record
 * again when it changed (run_dirty). */
#include "publisher_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Sets param `key` (under lock): replaces an existing one or appends. */
static int
set_param(tw_publisher *p, const char *key, const char *text, double number, bool is_number)
{
    if (!p || !tw_publisher_name_ok(key) ||
        (!is_number && (!text || strlen(text) > TW_WIRE_MAX_TEXT || tw_config_has_control(text))) ||
        (is_number && !isfinite(number)))
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    uint32_t i = 0;
    while (i < p->n_params && strcmp(p->params[i].key, key) != 0)
        i++;
    if (i == TW_MAX_PARAMS) {
        rc = -EINVAL;
    } else {
        tw_wire_param *prm = &p->params[i];
        snprintf(prm->key, sizeof prm->key, "%s", key);
        prm->is_number = is_number;
        prm->number = is_number ? number : 0.0;
        snprintf(prm->text, sizeof prm->text, "%s", is_number ? "" : text);
        if (i == p->n_params)
            p->n_params++;
        p->run_dirty = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (rc == 0)
        tw_wake_post(&p->wake); /* the thread announces the run again */
    return rc;
}

int
tw_publisher_set_param(tw_publisher *p, const char *key, const char *value)
{
    return set_param(p, key, value, 0.0, false);
}

int
tw_publisher_set_param_number(tw_publisher *p, const char *key, double value)
{
    return set_param(p, key, NULL, value, true);
}

int
tw_publisher_set_plan(tw_publisher *p, unsigned long epochs, unsigned long steps_per_epoch)
{
    if (!p)
        return -EINVAL;
    if (epochs > TW_PUBLISHER_MAX_COUNT || steps_per_epoch > TW_PUBLISHER_MAX_COUNT)
        return -ERANGE;
    pthread_mutex_lock(&p->lock);
    p->planned_epochs = epochs;
    p->steps_per_epoch = steps_per_epoch;
    p->run_dirty = true;
    pthread_mutex_unlock(&p->lock);
    tw_wake_post(&p->wake);
    return 0;
}

int
tw_publisher_set_status(tw_publisher *p, tw_run_status status)
{
    if (!p || (status != TW_RUN_OK && status != TW_RUN_FAILED && status != TW_RUN_INTERRUPTED))
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    p->status = status;
    pthread_mutex_unlock(&p->lock);
    return 0;
}
