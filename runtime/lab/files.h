/* Scenario files on disk: read and parse one, list a directory's *.lab files. */
#ifndef NLAB_LAB_FILES_H
#define NLAB_LAB_FILES_H

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"
#include "runtime/lab/scenario.h"

/* Read path (at most 1 MiB) and parse it with the CLI's grammar g. A parse error is NLAB_E_INVALID
 * with the located message of nlab_scenario_parse; a read error is NLAB_E_SYSTEM "scenario PATH:
 * ...". */
int nlab_scenario_load(const char *path, const struct nlab_grammar *g, struct nlab_scenario *s,
                       struct nlab_err *err);
/* Append dir's *.lab files to out, sorted by name (their names give the teaching order). */
int nlab_scenario_dir(const char *dir, struct nlab_strv *out, struct nlab_err *err);

/* The files named by paths: a directory stands for its *.lab files, anything else for itself. */
int nlab_scenario_expand(char *const *paths, size_t n, struct nlab_strv *out, struct nlab_err *err);

#endif
