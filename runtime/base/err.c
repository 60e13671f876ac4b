#include "runtime/base/err.h"

#include <stdio.h>
#include <string.h>

static void set_message(struct nlab_err *err, const char *fmt, va_list ap)
{
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int nlab_err_set(struct nlab_err *err, enum nlab_errkind kind, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return -1;
        err->kind = kind;
        err->errnum = 0;
        va_start(ap, fmt);
        set_message(err, fmt, ap);
        va_end(ap);
        return -1;
}

int nlab_err_sys(struct nlab_err *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        size_t len;

        if (!err)
                return -1;
        err->kind = NLAB_E_SYSTEM;
        err->errnum = errnum;
        va_start(ap, fmt);
        set_message(err, fmt, ap);
        va_end(ap);
        len = strlen(err->msg);
        snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
        return -1;
}

void nlab_err_prefix(struct nlab_err *err, const char *fmt, ...)
{
        char prefix[512];
        size_t plen, mlen;
        va_list ap;

        if (!err)
                return;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
        va_end(ap);
        strcat(prefix, ": ");
        plen = strlen(prefix);
        mlen = strnlen(err->msg, sizeof(err->msg) - 1);
        if (plen + mlen >= sizeof(err->msg))
                mlen = sizeof(err->msg) - 1 - plen;
        memmove(err->msg + plen, err->msg, mlen);
        memcpy(err->msg, prefix, plen);
        err->msg[plen + mlen] = '\0';
}

void nlab_err_clear(struct nlab_err *err)
{
        if (!err)
                return;
        err->kind = NLAB_E_OK;
        err->errnum = 0;
        err->msg[0] = '\0';
}
