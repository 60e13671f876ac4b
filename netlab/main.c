#include <stdio.h>

int main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "netlab: error: not implemented yet\n");
        return 1;
}
