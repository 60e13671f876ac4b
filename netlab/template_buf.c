/* Memory for the template engine: the arena a compiled tree lives in, and the growable
 * output buffer that rendering and the string functions write to. */
#include "netlab/template_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
        struct chunk *next;
        size_t used, cap;
        max_align_t data[];
};

void *tpl_arena_alloc(struct arena *a, size_t size)
{
        void *p;

        size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
        if (!a->head || a->head->cap - a->head->used < size) {
                size_t cap = size > 4096 ? size : 4096;
                struct chunk *c = malloc(sizeof(*c) + cap);

                if (!c)
                        return NULL;
                c->next = a->head;
                c->used = 0;
                c->cap = cap;
                a->head = c;
        }
        p = (char *)a->head->data + a->head->used;
        a->head->used += size;
        memset(p, 0, size);
        return p;
}

void tpl_arena_free(struct arena *a)
{
        while (a->head) {
                struct chunk *next = a->head->next;

                free(a->head);
                a->head = next;
        }
}

static bool buf_reserve(struct buf *b, size_t n)
{
        size_t cap;
        char *p;

        if (b->failed)
                return false;
        if (n > MAX_OUTPUT || b->len + n + 1 > MAX_OUTPUT) {
                b->failed = true;
                return false;
        }
        if (b->len + n + 1 <= b->cap)
                return true;
        cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
                cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
                b->failed = true;
                return false;
        }
        b->p = p;
        b->cap = cap;
        return true;
}

void tpl_buf_add(struct buf *b, const char *s, size_t n)
{
        if (n == 0 || !buf_reserve(b, n))
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void tpl_buf_puts(struct buf *b, const char *s)
{
        tpl_buf_add(b, s, strlen(s));
}

void tpl_buf_putc(struct buf *b, char c)
{
        tpl_buf_add(b, &c, 1);
}

void tpl_buf_printf(struct buf *b, const char *fmt, ...)
{
        char small[128];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < sizeof(small)) {
                tpl_buf_add(b, small, (size_t)n);
                return;
        }
        if (!buf_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void tpl_buf_free(struct buf *b)
{
        free(b->p);
        memset(b, 0, sizeof(*b));
}
