#include "runtime/base/suggest.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

#define MAX_WORD 63

size_t nlab_edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), i, j, row[MAX_WORD + 1];

        if (la > MAX_WORD || lb > MAX_WORD)
                return MAX_WORD + 1;
        for (j = 0; j <= lb; j++)
                row[j] = j;
        for (i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
                                              tolower((unsigned char)b[j - 1]));
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

const char *nlab_suggest(const char *word, const char *const *candidates, size_t n,
                         size_t max_edits)
{
        const char *best = NULL;
        size_t i, best_d = max_edits + 1;

        assert(word && (candidates || n == 0));
        for (i = 0; i < n; i++) {
                size_t d = nlab_edit_distance(word, candidates[i]);
                if (d < best_d) {
                        best = candidates[i];
                        best_d = d;
                }
        }
        return best;
}
