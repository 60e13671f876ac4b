#include "runtime/base/suggest.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

#include "runtime/base/ids.h"

#define MAX_WORD 63

static int same(char a, char b)
{
        return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* Optimal string alignment: Levenshtein plus swapping two neighbours as one edit (wbe1, web1). */
size_t nlab_edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), i, j;
        size_t d[MAX_WORD + 1][MAX_WORD + 1];

        if (la > MAX_WORD || lb > MAX_WORD)
                return MAX_WORD + 1;
        for (i = 0; i <= la; i++)
                d[i][0] = i;
        for (j = 0; j <= lb; j++)
                d[0][j] = j;
        for (i = 1; i <= la; i++) {
                for (j = 1; j <= lb; j++) {
                        size_t best = d[i - 1][j - 1] + !same(a[i - 1], b[j - 1]);
                        if (d[i - 1][j] + 1 < best)
                                best = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < best)
                                best = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
                            same(a[i - 2], b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                                best = d[i - 2][j - 2] + 1;
                        d[i][j] = best;
                }
        }
        return d[la][lb];
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

size_t nlab_suggest_bound(const char *word)
{
        size_t n = strlen(word);

        return n <= 4 ? 1 : n <= 8 ? 2 : 3;
}

const char *nlab_suggest_name(const char *word, const char *const *candidates, size_t n)
{
        assert(word);
        if (nlab_id_is_prefix(word))
                return NULL;
        return nlab_suggest(word, candidates, n, nlab_suggest_bound(word));
}

/* One UTF-8 sequence at s (bounds-checked by its terminating NUL): its code point and length,
 * or length 0 for a malformed one. */
static size_t utf8_decode(const unsigned char *s, unsigned *cp)
{
        size_t len, i;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
        if (!len)
                return 0;
        *cp = s[0] & (0x7f >> len);
        for (i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
                        return 0;
                *cp = (*cp << 6) | (s[i] & 0x3f);
        }
        return len;
}

/* The ASCII character an IME's form of it stands for, or 0. */
static char ascii_of(unsigned cp)
{
        static const struct {
                unsigned cp;
                char c;
        } other[] = {
            {0x3000, ' '},  {0x3001, ','},  {0x3002, '.'}, {0x2010, '-'},
            {0x2011, '-'},  {0x2013, '-'},  {0x2014, '-'}, {0x2212, '-'},
            {0x2018, '\''}, {0x2019, '\''}, {0x201c, '"'}, {0x201d, '"'},
        };
        size_t i;

        if (cp >= 0xff01 && cp <= 0xff5e)
                return (char)(cp - 0xff01 + 0x21);
        for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
                if (other[i].cp == cp)
                        return other[i].c;
        return 0;
}

int nlab_fullwidth_to_ascii(const char *in, char *out, size_t size)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t o = 0;
        int changed = 0;

        assert(in && out);
        while (*s) {
                unsigned cp;
                size_t len = utf8_decode(s, &cp);
                char c;
                if (!len)
                        return -1;
                c = len > 1 ? ascii_of(cp) : 0;
                if (o + (c ? 1 : len) >= size)
                        return -1;
                if (c) {
                        out[o++] = c;
                        changed = 1;
                } else {
                        memcpy(out + o, s, len);
                        o += len;
                }
                s += len;
        }
        if (size == 0)
                return -1;
        out[o] = '\0';
        return changed;
}

int nlab_is_ascii(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
                        return 0;
        return 1;
}
