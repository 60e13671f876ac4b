# Shared by net_endpoint.sh and net_link.sh (sourced): the sandbox re-exec and TAP helpers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
D=${1:-${NET_DRIVER:-$here/../../build/tests/tools/net_driver}}
if [ -z "${NLAB_SANDBOX:-}" ]; then
        exec env NLAB_SANDBOX=1 unshare --net --mount --fork bash "$0" "$D"
fi

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { # check DESC CMD...: ok when CMD succeeds
        local d=$1; shift
        if out=$("$@" 2>&1); then ok "$d"; else fail "$d" "$(echo "$out" | head -3)"; fi
}
refuse() { # refuse DESC PATTERN CMD...: ok when CMD fails with PATTERN in its error
        local d=$1 pat=$2; shift 2
        if out=$("$@" 2>&1); then fail "$d" "succeeded unexpectedly"
        elif grep -q -- "$pat" <<<"$out"; then ok "$d"
        else fail "$d" "error was: $out"; fi
}
