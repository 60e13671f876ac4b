/* "Did you mean ...?": the nearest of a list of valid words to a mistyped one. Pure. */
#ifndef NLAB_SUGGEST_H
#define NLAB_SUGGEST_H

#include <stddef.h>

/* Edit distance (Levenshtein, ASCII case folded), capped at 64 for words longer than that. */
size_t nlab_edit_distance(const char *a, const char *b);
/* The candidate nearest to word within max_edits (ties: the first), or NULL. */
const char *nlab_suggest(const char *word, const char *const *candidates, size_t n,
                         size_t max_edits);

#endif
