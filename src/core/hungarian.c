/* The Hungarian algorithm with row and column potentials (see hungarian.h). */
#include "core/hungarian.h"

#include <math.h>
#include <stdlib.h>

/* Solves n ≤ m with a(i, j) = cost[i * stride_i + j * stride_j]; row i gets column col[i]. The
 * shortest-augmenting-path form: each row is added with one Dijkstra-like pass over the columns. */
static bool solve(const double *cost, size_t n, size_t m, size_t stride_i, size_t stride_j, long *col)
{
    /* 1-based with a virtual column 0, as in the usual formulation. */
    double *u = calloc(n + 1, sizeof *u), *v = calloc(m + 1, sizeof *v), *minv = malloc(sizeof *minv * (m + 1));
    size_t *p = calloc(m + 1, sizeof *p), *way = calloc(m + 1, sizeof *way);
    bool *used = malloc(sizeof *used * (m + 1));
    bool ok = u && v && minv && p && way && used;
    for (size_t i = 1; ok && i <= n; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= m; j++) minv[j] = INFINITY, used[j] = false;
        do {
            used[j0] = true;
            size_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= m; j++) {
                if (used[j]) continue;
                double cur = cost[(i0 - 1) * stride_i + (j - 1) * stride_j] - u[i0] - v[j];
                if (cur < minv[j]) minv[j] = cur, way[j] = j0;
                if (minv[j] < delta) delta = minv[j], j1 = j;
            }
            if (j1 == 0) { /* only when costs are not finite */
                ok = false;
                break;
            }
            for (size_t j = 0; j <= m; j++) {
                if (used[j]) u[p[j]] += delta, v[j] -= delta;
                else minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        while (ok && j0) {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    if (ok) {
        for (size_t i = 0; i < n; i++) col[i] = -1;
        for (size_t j = 1; j <= m; j++)
            if (p[j]) col[p[j] - 1] = (long)(j - 1);
    }
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return ok;
}

bool hungarian_min_cost(const double *cost, size_t rows, size_t cols, long *row_to_col, double *total)
{
    for (size_t k = 0; k < rows * cols; k++)
        if (!isfinite(cost[k])) return false;
    for (size_t r = 0; r < rows; r++) row_to_col[r] = -1;
    if (rows == 0 || cols == 0) {
        if (total) *total = 0;
        return true;
    }
    if (rows <= cols) {
        if (!solve(cost, rows, cols, cols, 1, row_to_col)) return false;
    } else {
        /* Fewer columns: solve the transpose, then invert the assignment. */
        long *col_to_row = malloc(sizeof *col_to_row * cols);
        if (!col_to_row || !solve(cost, cols, rows, 1, cols, col_to_row)) {
            free(col_to_row);
            return false;
        }
        for (size_t c = 0; c < cols; c++)
            if (col_to_row[c] >= 0) row_to_col[col_to_row[c]] = (long)c;
        free(col_to_row);
    }
    if (total) {
        double t = 0;
        for (size_t r = 0; r < rows; r++)
            if (row_to_col[r] >= 0) t += cost[r * cols + (size_t)row_to_col[r]];
        *total = t;
    }
    return true;
}

long hungarian_max_score(const double *score, size_t rows, size_t cols, double min_score, long *row_to_col,
                         double *total)
{
    double *cost = malloc(sizeof *cost * (rows && cols ? rows * cols : 1));
    if (!cost) return -1;
    for (size_t k = 0; k < rows * cols; k++) {
        if (!isfinite(score[k])) {
            free(cost);
            return -1;
        }
        cost[k] = score[k] >= min_score ? -score[k] : 0;
    }
    bool ok = hungarian_min_cost(cost, rows, cols, row_to_col, NULL);
    free(cost);
    if (!ok) return -1;
    long kept = 0;
    double t = 0;
    for (size_t r = 0; r < rows; r++) {
        long c = row_to_col[r];
        if (c < 0) continue;
        double s = score[r * cols + (size_t)c];
        if (s >= min_score && s > 0) {
            kept++;
            t += s;
        } else {
            row_to_col[r] = -1;
        }
    }
    if (total) *total = t;
    return kept;
}
