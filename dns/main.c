#include <stdio.h>

int main(void)
{
        fprintf(stderr, "netlab-dns: not implemented yet\n");
        return 1;
}
