#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/base/unixsock.h"

static void test_short_path_is_used_as_is(void **state)
{
        struct sockaddr_un a;
        int dir_fd;

        (void)state;
        assert_int_equal(nlab_unix_addr("/run/netlab/shim.sock", &a, &dir_fd), 0);
        assert_int_equal(a.sun_family, AF_UNIX);
        assert_string_equal(a.sun_path, "/run/netlab/shim.sock");
        assert_int_equal(dir_fd, -1);
}

/* A root too long for sun_path (108 bytes) is reached through an fd of its directory, and a
 * socket bound there is connected to by the long name. */
static void test_long_path_goes_through_its_directory(void **state)
{
        char base[] = "/tmp/netlab-unixsock-XXXXXX", dir[512], path[600], want[64];
        struct sockaddr_un a;
        int dir_fd, srv, cli;

        (void)state;
        assert_non_null(mkdtemp(base));
        snprintf(dir, sizeof(dir), "%s/%0150d", base, 0);
        assert_int_equal(mkdir(dir, 0700), 0);
        snprintf(path, sizeof(path), "%s/shim.sock", dir);
        assert_int_equal(nlab_unix_addr(path, &a, &dir_fd), 0);
        assert_true(dir_fd >= 0);
        snprintf(want, sizeof(want), "/proc/self/fd/%d/shim.sock", dir_fd);
        assert_string_equal(a.sun_path, want);
        srv = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(srv, 1), 0);
        close(dir_fd);
        cli = nlab_unix_connect_type(path, SOCK_SEQPACKET, 1);
        assert_true(cli >= 0);
        close(cli);
        close(srv);
        unlink(path);
        rmdir(dir);
        rmdir(base);
}

static void test_too_long_a_name_is_refused(void **state)
{
        char name[200], path[256];
        struct sockaddr_un a;
        int dir_fd;

        (void)state;
        memset(name, 'x', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        snprintf(path, sizeof(path), "/tmp/%s", name);
        errno = 0;
        assert_int_equal(nlab_unix_addr(path, &a, &dir_fd), -1);
        assert_int_equal(errno, ENAMETOOLONG);
        assert_int_equal(dir_fd, -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_short_path_is_used_as_is),
            cmocka_unit_test(test_long_path_goes_through_its_directory),
            cmocka_unit_test(test_too_long_a_name_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
