/* "Did you mean ...?": the nearest of a list of valid words to a mistyped one, and the ASCII a
 * Chinese IME's full-width punctuation stands for. Pure. */
#ifndef NLAB_SUGGEST_H
#define NLAB_SUGGEST_H

#include <stddef.h>

/* Edit distance (Levenshtein with swaps of neighbours, ASCII case folded), capped at 64 for words
 * longer than that. */
size_t nlab_edit_distance(const char *a, const char *b);
/* The candidate nearest to word within max_edits (ties: the first), or NULL. */
const char *nlab_suggest(const char *word, const char *const *candidates, size_t n,
                         size_t max_edits);
/* How many edits still count as "near" for a word this long: 1 up to 4 characters, 2 up to 8,
 * else 3 (so "ab" never suggests "rm"). */
size_t nlab_suggest_bound(const char *word);
/* For a user's name of a container, network or image: nlab_suggest within nlab_suggest_bound,
 * and never for a word that looks like an id prefix (hex), where a near name would mislead. */
const char *nlab_suggest_name(const char *word, const char *const *candidates, size_t n);
/* Copy in to out with full-width forms (U+FF01..FF5E), the ideographic space, full stop and
 * comma, dashes (——) and curly quotes replaced by the ASCII they stand for. Returns 1 when
 * something was replaced, 0 when not, -1 when out (size bytes) is too small or in is not UTF-8. */
int nlab_fullwidth_to_ascii(const char *in, char *out, size_t size);
/* Whether s is all printable ASCII (what a flag, a name or an address is written in). */
int nlab_is_ascii(const char *s);

#endif
