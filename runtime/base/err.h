/* Errors carried up with context: every fallible runtime call takes a struct nlab_err. */
#ifndef NLAB_ERR_H
#define NLAB_ERR_H

#include <stdarg.h>

/* What kind of failure, so the CLI can pick Docker's exit code without parsing text. */
enum nlab_errkind {
        NLAB_E_OK = 0,
        NLAB_E_SYSTEM,   /* a syscall or netlink call failed */
        NLAB_E_INVALID,  /* bad user input */
        NLAB_E_NOTFOUND, /* unknown container, network, image */
        NLAB_E_CONFLICT, /* name taken, address in use, object busy */
        NLAB_E_NOEXEC,   /* command exists but cannot be executed (126) */
        NLAB_E_NOCMD,    /* command not found (127) */
};

struct nlab_err {
        enum nlab_errkind kind;
        int errnum; /* errno when kind is NLAB_E_SYSTEM, else 0 */
        char msg[1024];
};

/* Fill err (may be NULL) and return -1. */
int nlab_err_set(struct nlab_err *err, enum nlab_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like nlab_err_set with kind SYSTEM, appending ": strerror(errnum)". */
int nlab_err_sys(struct nlab_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepend context: "network labnet: " + existing message. */
void nlab_err_prefix(struct nlab_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void nlab_err_clear(struct nlab_err *err);

#endif
