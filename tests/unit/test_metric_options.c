/* test_metric_options.c - tw_metric_new_opts's parser (Keras's arguments by name), its
 * reasons, the canonical tw_metric_options_string, and the old kinds' new arguments
 * (from_logits, label_smoothing, from_sorted_ids, AUC's from_logits). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>

#include "metric_testutil.h"

/* The options are refused, with errno EINVAL, and the reason contains `why`. */
static void
refused(tw_metric_kind kind, const char *opts, const char *why)
{
    char err[256] = "";
    errno = 0;
    assert_null(tw_metric_new_opts(kind, opts));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tw_metric_options_check(kind, opts, err, sizeof err), -EINVAL);
    if (!strstr(err, why))
        fail_msg("%s: \"%s\" refused with \"%s\", expected \"%s\"", tw_metric_kind_name(kind), opts,
                 err, why);
}

/* The options are accepted and their canonical string is `canon`. */
static void
canonical(tw_metric_kind kind, const char *opts, const char *canon)
{
    char err[256] = "x";
    assert_int_equal(tw_metric_options_check(kind, opts, err, sizeof err), 0);
    assert_string_equal(err, "");
    tw_metric *m = tw_metric_new_opts(kind, opts);
    assert_non_null(m);
    assert_string_equal(tw_metric_options_string(m), canon);
    tw_metric *again = tw_metric_new_opts(kind, canon);
    assert_non_null(again);
    assert_string_equal(tw_metric_options_string(again), canon);
    assert_int_equal(tw_metric_merge_state(again, m), 0);
    tw_metric_destroy(&again);
    tw_metric_destroy(&m);
}

static void
test_syntax(void **state)
{
    (void)state;
    canonical(TW_METRIC_AUC, NULL, "");
    canonical(TW_METRIC_AUC, "", "");
    canonical(TW_METRIC_AUC, "  num_thresholds = 50 , curve=PR,summation_method=minoring ",
              "num_thresholds=50,curve=PR,summation_method=minoring");
    canonical(TW_METRIC_AUC, "curve='ROC',num_thresholds=200", ""); /* defaults are left out */
    canonical(TW_METRIC_AUC, "summation_method=majoring,curve=PRGAIN",
              "curve=PRGAIN,summation_method=majoring");
    canonical(TW_METRIC_AUC, "summation=majoring", "summation_method=majoring");
    canonical(TW_METRIC_PRECISION, "thresholds=[0.5, 0.25 ,1]", "thresholds=[0.5,0.25,1]");
    canonical(TW_METRIC_PRECISION, "thresholds=[0.7]", "thresholds=0.7");
    canonical(TW_METRIC_PRECISION, "thresholds=None,top_k=None,class_id=None", "");
    canonical(TW_METRIC_PRECISION, "top_k=3,thresholds=0.5", "thresholds=0.5,top_k=3");
    canonical(TW_METRIC_BINARY_ACCURACY, "threshold=.1", "threshold=0.1");
    canonical(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, "k=1", "k=1");
    canonical(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, "from_sorted_ids=True,k=5",
              "from_sorted_ids=true");
    canonical(TW_METRIC_BINARY_CROSSENTROPY, "label_smoothing=0.1,from_logits=false",
              "label_smoothing=0.1");
    canonical(TW_METRIC_CATEGORICAL_CROSSENTROPY, "axis=-1,from_logits=true", "from_logits=true");
    canonical(TW_METRIC_F1_SCORE, "average=\"macro\",num_classes=3,threshold=None",
              "num_classes=3,average=macro");
    canonical(TW_METRIC_F_BETA_SCORE, "beta=2,num_classes=3", "num_classes=3,beta=2");
    canonical(TW_METRIC_MEAN_IOU, "num_classes=21,ignore_class=None", "num_classes=21");
    canonical(TW_METRIC_IOU, "num_classes=21,target_class_ids=[3,1],ignore_class=0",
              "num_classes=21,target_class_ids=[3,1],ignore_class=0");
    canonical(TW_METRIC_BINARY_IOU, "target_class_ids=[0,1],threshold=0.5", "");
    canonical(TW_METRIC_ONE_HOT_IOU, "num_classes=3,target_class_ids=[2],sparse_y_pred=true",
              "num_classes=3,target_class_ids=[2],sparse_y_pred=true");
    canonical(TW_METRIC_R2_SCORE, "class_aggregation=None,num_regressors=2",
              "class_aggregation=None,num_regressors=2");
    canonical(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "specificity=0.5", "value=0.5");
    canonical(TW_METRIC_PRECISION_AT_RECALL, "value=1e-9", "value=0.000000001");
    /* a number with no short decimal comes back as an exact hex float */
    canonical(TW_METRIC_BINARY_ACCURACY, "threshold=1e-30", "threshold=0x1.4484bfeebc2ap-100");
    canonical(TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, "ignore_class=-1", "ignore_class=-1");
    canonical(TW_METRIC_MEAN, NULL, "");
}

static void
test_refusals(void **state)
{
    (void)state;
    refused((tw_metric_kind)0, NULL, "unknown kind");
    refused((tw_metric_kind)TW_METRIC_KIND_END, "", "unknown kind");
    refused(TW_METRIC_MEAN, "threshold=0.5", "no argument named threshold");
    refused(TW_METRIC_AUC, "num_thresholds=200,num_thresholds=100", "given twice");
    refused(TW_METRIC_AUC, "num_thresholds=1", "num_thresholds must be");
    refused(TW_METRIC_PRECISION_AT_RECALL, "value=0.5,num_thresholds=0",
            "num_thresholds must be an integer in [1, 100000]");
    refused(TW_METRIC_AUC, "num_thresholds=2.5", "num_thresholds must be");
    refused(TW_METRIC_AUC, "curve=PRG", "curve must be ROC, PR or PRGAIN");
    refused(TW_METRIC_AUC, "multi_label=true", "num_labels is required with multi_label");
    refused(TW_METRIC_AUC, "multi_label=true,num_labels=3,label_weights=[1,2]",
            "label_weights must have num_labels values");
    refused(TW_METRIC_AUC, "label_weights=[1,-2]", "non-negative");
    refused(TW_METRIC_AUC, "multi_label=true,num_labels=1000", "at most 200002");
    refused(TW_METRIC_AUC, "thresholds=[0.5,1.5]", "thresholds must be a non-empty list in [0, 1]");
    refused(TW_METRIC_AUC, "from_logits=1", "must be true or false");
    refused(TW_METRIC_PRECISION, "thresholds=1.5", "thresholds must be in [0, 1]");
    refused(TW_METRIC_PRECISION, "thresholds=[]", "non-empty list");
    refused(TW_METRIC_PRECISION, "thresholds=[0.1,nan]", "finite numbers");
    refused(TW_METRIC_PRECISION, "thresholds=[0.1,0.2", "a list is [a,b,c]");
    refused(TW_METRIC_PRECISION, "top_k=0", "top_k must be");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold=inf", "threshold must be a number in [0, 1]");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold=1e999", "bad value for threshold");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold=[0.5]", "takes one value");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold", "expected = after threshold");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold=0.5,", "trailing ,");
    refused(TW_METRIC_BINARY_ACCURACY, "threshold=0.5 k=2", "expected , between");
    refused(TW_METRIC_BINARY_ACCURACY, "=0.5", "expected key=value");
    refused(TW_METRIC_CATEGORICAL_CROSSENTROPY, "axis=1", "axis must be -1");
    refused(TW_METRIC_F1_SCORE, NULL, "num_classes is required");
    refused(TW_METRIC_F1_SCORE, "num_classes=3,average=mean", "average must be None, micro");
    refused(TW_METRIC_F1_SCORE, "num_classes=3,threshold=0", "threshold must be None or in (0, 1]");
    refused(TW_METRIC_F1_SCORE, "num_classes=3,beta=2", "no argument named beta");
    refused(TW_METRIC_F_BETA_SCORE, "num_classes=3,beta=0", "beta must be");
    refused(TW_METRIC_IOU, "num_classes=3", "target_class_ids is required");
    refused(TW_METRIC_IOU, "num_classes=3,target_class_ids=[3]", "below num_classes");
    refused(TW_METRIC_IOU, "num_classes=3,target_class_ids=[0.5]", "integers");
    refused(TW_METRIC_MEAN_IOU, "num_classes=401", "num_classes must be an integer in [1, 400]");
    refused(TW_METRIC_ONE_HOT_IOU, "num_classes=3,target_class_ids=[0],sparse_y_true=true",
            "no argument named sparse_y_true");
    refused(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, NULL, "value (Keras's first argument)");
    refused(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "recall=0.5", "no argument named recall");
    refused(TW_METRIC_RECALL_AT_PRECISION, "value=1.5", "value must be in [0, 1]");
    refused(TW_METRIC_R2_SCORE, "class_aggregation=mean", "class_aggregation must be");
    refused(TW_METRIC_R2_SCORE, "num_regressors=-1", "num_regressors must be");
    refused(TW_METRIC_BINARY_CROSSENTROPY, "label_smoothing=2", "label_smoothing must be");
    refused(TW_METRIC_BINARY_CROSSENTROPY, "from_logits=yes", "must be true or false");
    refused(TW_METRIC_MEAN, "a_very_long_name_that_has_more_than_31_bytes=1", "expected key=value");

    /* limits: a list of 257 values, a string over TW_METRIC_OPTIONS_MAX bytes */
    char big[TW_METRIC_OPTIONS_MAX + 64];
    int at = snprintf(big, sizeof big, "thresholds=[");
    for (int i = 0; i < 257; i++)
        at += snprintf(big + at, sizeof big - (size_t)at, "%s0.5", i ? "," : "");
    snprintf(big + at, sizeof big - (size_t)at, "]");
    refused(TW_METRIC_TRUE_POSITIVES, big, "at most 256");
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    refused(TW_METRIC_TRUE_POSITIVES, big, "longer than");
    /* err may be NULL or tiny */
    assert_int_equal(tw_metric_options_check(TW_METRIC_MEAN, "k=1", NULL, 0), -EINVAL);
    char tiny[4];
    assert_int_equal(tw_metric_options_check(TW_METRIC_MEAN, "k=1", tiny, sizeof tiny), -EINVAL);
    assert_int_equal(strlen(tiny), 3);
}

/* tw_metric_new_opts with Keras's defaults is tw_metric_new with its defaults. */
static void
test_defaults_match_tw_metric_new(void **state)
{
    (void)state;
    for (int k = TW_METRIC_MEAN; k <= TW_METRIC_AUC; k++) {
        tw_metric *a = tw_metric_new((tw_metric_kind)k, NULL);
        tw_metric *b = tw_metric_new_opts((tw_metric_kind)k, NULL);
        assert_non_null(b);
        assert_int_equal(tw_metric_state_size(a), tw_metric_state_size(b));
        assert_string_equal(tw_metric_options_string(a), "");
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
    /* options set through tw_metric_options show in the string */
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 7;
    o.curve = TW_AUC_PR;
    tw_metric *m = tw_metric_new(TW_METRIC_AUC, &o);
    assert_string_equal(tw_metric_options_string(m), "num_thresholds=7,curve=PR");
    tw_metric_destroy(&m);
    assert_null(tw_metric_options_string(NULL));
    double v;
    assert_int_equal(tw_metric_result_vector(NULL, &v, 1), -EINVAL);
}

/* AUC's remaining arguments: explicit thresholds (evenly spaced: the bucket update, as
 * num_thresholds = n + 2; otherwise the direct test), multi_label with label_weights, and
 * label_weights on the flattened elements. */
static void
test_auc_thresholds_and_labels(void **state)
{
    (void)state;
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {0.1f, 0.4f, 0.35f, 0.8f};
    tw_metric *even = tw_metric_new_opts(TW_METRIC_AUC, "thresholds=[0.5]");
    tw_metric *three = tw_metric_new_opts(TW_METRIC_AUC, "num_thresholds=3");
    assert_int_equal(tw_metric_update_state(even, yt, yp, NULL, 4, 1), 0);
    assert_int_equal(tw_metric_update_state(three, yt, yp, NULL, 4, 1), 0);
    assert_same_state(even, three);
    assert_string_equal(tw_metric_options_string(even), "thresholds=[0.5]");
    /* [-1e-7, .3, .9, 1 + 1e-7] by hand: tp [2, 2, 0, 0], fp [2, 1, 0, 0]: ROC points (1, 1),
     * (.5, 1), (0, 0): .5 + .25 */
    tw_metric *direct = tw_metric_new_opts(TW_METRIC_AUC, "thresholds=[0.9,0.3]");
    assert_int_equal(tw_metric_update_state(direct, yt, yp, NULL, 4, 1), 0);
    assert_state(direct, 2, 2, 0, 0, 2, 1, 0, 0, 2, 2);
    assert_close(tw_metric_result(direct), 0.75, 1e-12, 0);
    assert_string_equal(tw_metric_options_string(direct), "thresholds=[0.3,0.9]");
    tw_metric_destroy(&even);
    tw_metric_destroy(&three);
    tw_metric_destroy(&direct);

    /* multi_label: one AUC per column, averaged, or weighted */
    const float mt[8] = {0, 1, 0, 0, 1, 1, 1, 0},
                mp[8] = {0.2f, 0.9f, 0.7f, 0.1f, 0.6f, 0.4f, 0.9f, 0.3f};
    float ct[2][4], cp[2][4];
    double col[2];
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < 4; i++)
            ct[l][i] = mt[2 * i + l], cp[l][i] = mp[2 * i + l];
        tw_metric *one = tw_metric_new(TW_METRIC_AUC, NULL);
        assert_int_equal(tw_metric_update_state(one, ct[l], cp[l], NULL, 4, 1), 0);
        col[l] = tw_metric_result(one);
        tw_metric_destroy(&one);
    }
    assert_true(fabs(col[0] - col[1]) > 0.1);
    tw_metric *ml = tw_metric_new_opts(TW_METRIC_AUC, "multi_label=true,num_labels=2");
    assert_int_equal(tw_metric_state_size(ml), 2 * 402);
    assert_int_equal(tw_metric_update_state(ml, mt, mp, NULL, 4, 2), 0);
    assert_close(tw_metric_result(ml), (col[0] + col[1]) / 2, 1e-12, 0);
    assert_int_equal(tw_metric_update_state(ml, mt, mp, NULL, 2, 4), -EINVAL); /* 4 labels */
    tw_metric_destroy(&ml);
    ml = tw_metric_new_opts(TW_METRIC_AUC, "multi_label=true,num_labels=2,label_weights=[1,3]");
    assert_int_equal(tw_metric_update_state(ml, mt, mp, NULL, 4, 2), 0);
    assert_close(tw_metric_result(ml), (col[0] + 3 * col[1]) / 4, 1e-12, 0);
    tw_metric_destroy(&ml);

    /* label_weights without multi_label weigh each element: the flattened batch with those
     * weights */
    tw_metric *lw = tw_metric_new_opts(TW_METRIC_AUC, "label_weights=[1,3]");
    assert_int_equal(tw_metric_update_state(lw, mt, mp, NULL, 4, 2), 0);
    const float ew[8] = {1, 3, 1, 3, 1, 3, 1, 3};
    tw_metric *flat = tw_metric_new(TW_METRIC_AUC, NULL);
    assert_int_equal(tw_metric_update_state(flat, mt, mp, ew, 8, 1), 0);
    assert_same_state(lw, flat);
    assert_int_equal(tw_metric_update_state(lw, mt, mp, NULL, 2, 4), -EINVAL);
    tw_metric_destroy(&lw);
    tw_metric_destroy(&flat);
}

static float
sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* from_logits gives what the probabilities give. */
static void
test_from_logits(void **state)
{
    (void)state;
    const float yt[6] = {0, 1, 1, 0, 1, 0}, logits[6] = {-2, 1.5f, 0.3f, -0.1f, 3, 0.8f};
    float probs[6];
    for (int i = 0; i < 6; i++)
        probs[i] = sigmoid(logits[i]);
    static const tw_metric_kind kinds[] = {TW_METRIC_AUC, TW_METRIC_BINARY_CROSSENTROPY};
    for (int k = 0; k < 2; k++) {
        tw_metric *a = tw_metric_new_opts(kinds[k], "from_logits=true");
        tw_metric *b = tw_metric_new_opts(kinds[k], NULL);
        assert_int_equal(tw_metric_update_state(a, yt, logits, NULL, 3, 2), 0);
        assert_int_equal(tw_metric_update_state(b, yt, probs, NULL, 3, 2), 0);
        assert_close(tw_metric_result(a), tw_metric_result(b), 1e-5, 1e-5);
        assert_true(tw_metric_result(a) > 0.0);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
    /* categorical: log_softmax; logits [0, ln 3] are p = [1/4, 3/4] */
    const float ct[2] = {0, 1}, cl[2] = {0, (float)log(3.0)};
    tw_metric *c = tw_metric_new_opts(TW_METRIC_CATEGORICAL_CROSSENTROPY, "from_logits=true");
    assert_int_equal(tw_metric_update_state(c, ct, cl, NULL, 1, 2), 0);
    assert_close(tw_metric_result(c), -log(0.75), 1e-6, 1e-6);
    tw_metric_destroy(&c);
}

/* label_smoothing, worked by hand: BCE target y(1 - ls) + ls/2; CCE y(1 - ls) + ls/C. */
static void
test_label_smoothing(void **state)
{
    (void)state;
    const float yt[2] = {1, 0}, yp[2] = {0.8f, 0.4f};
    tw_metric *b = tw_metric_new_opts(TW_METRIC_BINARY_CROSSENTROPY, "label_smoothing=0.2");
    assert_int_equal(tw_metric_update_state(b, yt, yp, NULL, 1, 2), 0);
    double t0 = 0.9, t1 = 0.1;
    double want =
        -(t0 * log(0.8f) + (1 - t0) * log(1 - 0.8f) + t1 * log(0.4f) + (1 - t1) * log(1 - 0.4f)) /
        2;
    assert_close(tw_metric_result(b), want, 1e-6, 1e-6);
    tw_metric_destroy(&b);
    const float ct[2] = {0, 1}, cp[2] = {0.25f, 0.75f};
    tw_metric *c = tw_metric_new_opts(TW_METRIC_CATEGORICAL_CROSSENTROPY, "label_smoothing=0.2");
    assert_int_equal(tw_metric_update_state(c, ct, cp, NULL, 1, 2), 0);
    assert_close(tw_metric_result(c), -(0.1 * log(0.25) + 0.9 * log(0.75)), 1e-6, 1e-6);
    tw_metric_destroy(&c);
}

/* from_sorted_ids: y_pred holds class ids, best first; a hit is the label among the first k. */
static void
test_from_sorted_ids(void **state)
{
    (void)state;
    const float labels[3] = {2, 0, 1}, ids[9] = {2, 0, 1, 1, 2, 0, 0, 2, 1};
    tw_metric *m =
        tw_metric_new_opts(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, "k=2,from_sorted_ids=true");
    assert_int_equal(tw_metric_update_state(m, labels, ids, NULL, 3, 3), 0);
    assert_close(tw_metric_result(m), 1.0 / 3.0, 1e-9, 0); /* hit, miss, miss */
    /* the ids are the top k of many classes: a label may exceed the columns given */
    const float big[2] = {7, 0}, top2[4] = {7, 3, 1, 2};
    tw_metric_reset_state(m);
    assert_int_equal(tw_metric_update_state(m, big, top2, NULL, 2, 2), 0);
    assert_close(tw_metric_result(m), 0.5, 1e-9, 0);
    const float neg[1] = {-1};
    assert_int_equal(tw_metric_update_state(m, neg, top2, NULL, 1, 2), -EINVAL);
    tw_metric_destroy(&m);
}

/* A host program in a decimal-comma locale (setlocale(LC_ALL, "de_DE.UTF-8"), as the monitor
 * or a Python user may do) changes neither how arguments are read nor the canonical string. */
static void
test_comma_locale(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE", NULL};
    const char *got = NULL;
    for (int i = 0; names[i] && !got; i++)
        got = setlocale(LC_ALL, names[i]);
    if (!got || localeconv()->decimal_point[0] != ',') {
        setlocale(LC_ALL, "C");
        print_message("skipped: no decimal-comma locale here (localedef -i de_DE -f UTF-8 "
                      "de_DE.UTF-8 makes one)\n");
        skip();
    }
    canonical(TW_METRIC_BINARY_ACCURACY, "threshold=0.7", "threshold=0.7");
    canonical(TW_METRIC_PRECISION, "thresholds=[0.25,0.5,0.75]", "thresholds=[0.25,0.5,0.75]");
    tw_metric *m = tw_metric_new_opts(TW_METRIC_BINARY_ACCURACY, "threshold=0.7");
    assert_non_null(m);
    const float y[2] = {1, 0}, p[2] = {0.65f, 0.2f}; /* 0.65 is below 0.7: one miss */
    assert_int_equal(tw_metric_update_state(m, y, p, NULL, 2, 1), 0);
    assert_close(tw_metric_result(m), 0.5, 1e-12, 0);
    tw_metric_destroy(&m);
    tw_metric *c = tw_metric_new_opts(TW_METRIC_CUSTOM, "slots=[a,b],expr=\"0.5*a+b\"");
    assert_non_null(c);
    tw_metric_destroy(&c);
    setlocale(LC_ALL, "C");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_defaults_match_tw_metric_new),
        cmocka_unit_test(test_auc_thresholds_and_labels),
        cmocka_unit_test(test_from_logits),
        cmocka_unit_test(test_label_smoothing),
        cmocka_unit_test(test_from_sorted_ids),
        cmocka_unit_test(test_comma_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
