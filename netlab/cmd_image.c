/* netlab images: the root file systems netlab can run. */
#include <stdio.h>

#include "netlab/cli.h"
#include "runtime/ctr/image.h"

int nlab_cmd_images(struct nlab_cli *cli, int argc, char **argv)
{
        const struct nlab_image_info *cat;
        size_t n, i;

        (void)cli;
        (void)argv;
        if (argc > 0)
                return nlab_cli_usage_error("images", "\"netlab images\" accepts no arguments",
                                            false);
        cat = nlab_image_catalog(&n);
        printf("%-12s%-10s%s\n", "REPOSITORY", "TAG", "DESCRIPTION");
        for (i = 0; i < n; i++)
                printf("%-12s%-10s%s\n", cat[i].name, "latest", cat[i].description);
        return 0;
}
