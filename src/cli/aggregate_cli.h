/* `fairlabel aggregate`: crowd answers from a CSV file through a method of core/aggregate.h, scored
 * against an optional truth file. The CSV loading is public so tests can read the same files. */
#ifndef FL_AGGREGATE_CLI_H
#define FL_AGGREGATE_CLI_H
#include <stdbool.h>
#include <stddef.h>

#include "core/aggregate.h"

/* An answers file as dense indices. Items and workers are numbered in order of first appearance,
 * labels in sorted (strcmp, byte) order, so label 0 is the first label in sorted order. Names point
 * into the file's buffer. */
struct agg_dataset {
    const char *path;
    size_t n_answers, n_items, n_workers, n_labels;
    struct agg_answer *answers;
    size_t *answer_line; /* [n_answers] the physical line each answer's row starts on */
    const char *label_column; /* the header's name of the label column, for messages */
    char **items, **workers, **labels;
    /* private */
    char *buf;
    void *item_map;
};

/* Reads an answers CSV: a header naming the item column (question, item, id, task or q), the worker
 * column (worker, annotator, worker_id or annotator_id) and the label column (answer or label),
 * case-insensitive; RFC 4180 quoting; LF, CRLF or CR line ends; a UTF-8 BOM is skipped; blank lines are
 * ignored; repeated rows are kept (they count as separate votes). False with a one-line message
 * "FILE:LINE: ..." in err (naming the column where one is at fault). */
bool cli_agg_load_answers(const char *path, struct agg_dataset *d, char *err, size_t errlen);
void cli_agg_dataset_free(struct agg_dataset *d);

/* A truth file matched to a dataset: the item column as above and truth, label, answer or gold. */
struct agg_truth {
    const char *path;
    const char *truth_column;
    const char **by_item; /* [d->n_items] the true label, NULL without one */
    size_t *line;         /* [d->n_items] where it was read */
    size_t n_rows;        /* data rows read */
    size_t n_unanswered;  /* rows whose item has no answers */
    char *buf;
};

bool cli_agg_load_truth(const char *path, const struct agg_dataset *d, struct agg_truth *t, char *err,
                        size_t errlen);
void cli_agg_truth_free(struct agg_truth *t);

/* The command (argv[0] is "aggregate"). Exit status 0, 1 when memory runs out, 2 for bad usage or input. */
int cli_aggregate(int argc, char **argv);

#endif
