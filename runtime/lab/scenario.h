/* The .lab scenario language: a pure parser. A file is a list of steps: netlab commands as a
 * student types them, narration, external test hosts and expectations. The whole file is checked
 * before anything runs; an error names FILE:LINE:COL and shows the line with a caret. */
#ifndef NLAB_SCENARIO_H
#define NLAB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/grammar.h"
#include "runtime/base/pktfmt.h"
#include "runtime/base/proto.h"
#include "runtime/lab/reason.h"

enum nlab_step_kind {
        NLAB_STEP_COMMAND,  /* argv: a netlab command without the word netlab */
        NLAB_STEP_NOTE,     /* text: narration */
        NLAB_STEP_EXTERNAL, /* a test host outside the lab: name, subnet */
        NLAB_STEP_EXPECT,
};

/* `expect capture` lines that may watch one step. */
#define NLAB_EXPECT_CAPTURES_MAX 8

enum nlab_expect_kind {
        NLAB_EXPECT_REACHES,
        NLAB_EXPECT_CANNOT_REACH,
        NLAB_EXPECT_RESOLVES,
        NLAB_EXPECT_CANNOT_RESOLVE,
        NLAB_EXPECT_EXEC,
        NLAB_EXPECT_HAS_INTERFACE,
        NLAB_EXPECT_CAPTURE, /* capture on subject, during the step before, contains (lacks) */
};

struct nlab_expect {
        enum nlab_expect_kind kind;
        bool xfail;    /* written as expect-fail: this claim is meant to be false */
        char *subject; /* A: a container, "host" or an external host */
        char *target;  /* B (container, host, external, IPv4), NAME or IFNAME */
        unsigned port; /* 0 with ICMP */
        enum nlab_proto proto;
        bool via_host; /* "B:PORT via host": B's published host port, on the lab host */
        char **addrs;  /* resolves NAME = IP,IP: the exact set; has-interface = CIDR: one */
        size_t naddrs;
        char **argv; /* exec: the command inside A, NULL-terminated */
        size_t argc;
        int exit_code;  /* exec: wanted exit status, 0 unless "-> exit N" */
        char *contains; /* exec: "-> output contains TEXT", or NULL */
        /* cannot-reach/cannot-resolve ... because REASON: it must hold for that reason; NONE
         * when not asked */
        enum nlab_reason because;
        /* capture: subject is CONTAINER[/IFACE], a network or an external host, target the
         * pattern as written; from and to are names or IPv4 addresses, or NULL */
        struct nlab_pkt_pattern pattern;
        char *from, *to;
        bool lacks;
};

struct nlab_step {
        enum nlab_step_kind kind;
        unsigned line;
        char *text;  /* the source line without its comment, or the note's text */
        char **argv; /* command; external: {NAME, SUBNET or NULL} */
        size_t argc;
        struct nlab_expect ex;
        char *text_zh;     /* a note's Chinese variant (note.zh), or NULL */
        unsigned watchers; /* how many `expect capture` lines after it capture while it runs */
};

struct nlab_scenario {
        char *file;
        char *title; /* NULL when the file has none */
        struct nlab_step *steps;
        size_t nsteps;
        size_t nexpect; /* expectations, for a TAP plan */
        char *title_zh; /* title.zh, or NULL */
};

/* Parse text (len bytes, need not be NUL-terminated) named `file` in messages; command lines
 * follow g, the CLI's own grammar. On error err->msg holds "FILE:LINE:COL: error: MSG", then the
 * line and a caret line, and out is empty. */
int nlab_scenario_parse(const char *file, const char *text, size_t len,
                        const struct nlab_grammar *g, struct nlab_scenario *out,
                        struct nlab_err *err);
void nlab_scenario_free(struct nlab_scenario *s);

/* "reaches", "cannot-resolve", ... as written in a file. */
const char *nlab_expect_verb(enum nlab_expect_kind kind);

#endif
