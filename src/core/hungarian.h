/* Optimal assignment on a rectangular matrix: the Hungarian algorithm (Kuhn–Munkres with potentials,
 * O(n² m) for n ≤ m). Pure: no I/O. */
#ifndef FL_HUNGARIAN_H
#define FL_HUNGARIAN_H
#include <stdbool.h>
#include <stddef.h>

/* Assigns rows to columns of the row-major rows × cols matrix cost at the least total cost; every
 * row gets a column when rows ≤ cols, otherwise every column gets a row. row_to_col[r] is the
 * column of row r or -1. total (may be NULL) gets the cost of the assignment. False when memory
 * runs out or a cost is not finite. */
bool hungarian_min_cost(const double *cost, size_t rows, size_t cols, long *row_to_col, double *total);

/* The assignment of greatest total score, keeping only pairs that score more than 0 and at least
 * min_score (an IoU threshold): lower scores count as 0 while solving, so they cannot pull the
 * assignment, and are left unmatched. Returns the number of pairs kept, or -1 (memory, a score not finite). */
long hungarian_max_score(const double *score, size_t rows, size_t cols, double min_score, long *row_to_col,
                         double *total);

#endif
