#include "runtime/lab/files.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (1 << 20)

int nlab_scenario_load(const char *path, const struct nlab_grammar *g, struct nlab_scenario *s,
                       struct nlab_err *err)
{
        FILE *f = fopen(path, "re");
        char *text;
        size_t len;
        int r;

        assert(path && s);
        if (!f)
                return nlab_err_sys(err, errno, "scenario %s", path);
        text = malloc(MAX_FILE);
        if (!text) {
                fclose(f);
                return nlab_err_sys(err, ENOMEM, "scenario %s", path);
        }
        len = fread(text, 1, MAX_FILE, f);
        fclose(f);
        r = nlab_scenario_parse(path, text, len, g, s, err);
        free(text);
        return r;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int nlab_scenario_dir(const char *dir, struct nlab_strv *out, struct nlab_err *err)
{
        struct dirent *de;
        size_t first = out->n;
        DIR *d = opendir(dir);

        if (!d)
                return nlab_err_sys(err, errno, "scenario directory %s", dir);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                char path[PATH_MAX];
                if (n < 5 || strcmp(de->d_name + n - 4, ".lab"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                nlab_strv_push(out, path);
        }
        closedir(d);
        qsort(out->v + first, out->n - first, sizeof(char *), by_name);
        return 0;
}

int nlab_scenario_expand(char *const *paths, size_t n, struct nlab_strv *out, struct nlab_err *err)
{
        struct stat sb;
        size_t i;

        for (i = 0; i < n; i++) {
                if (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
                        if (nlab_scenario_dir(paths[i], out, err) < 0)
                                return -1;
                } else {
                        nlab_strv_push(out, paths[i]);
                }
        }
        return 0;
}
