# Docker's default seccomp profile: every escape is tried from a container, first where it must
# work (seccomp=unconfined, --privileged or the capability that opens it), then by default.
. "$NETLAB_TESTLIB"
: "${SC_PROBE:?set SC_PROBE to the static sc_probe helper}"
tools=$(mktemp -d)
cp "$SC_PROBE" "$tools/sc_probe"
unconfined="--security-opt seccomp=unconfined"
status() { nl run --rm --net=none "$@" busybox grep Seccomp: /proc/self/status; }
# probe RUN_FLAGS... -- CALL...: one "CALL RESULT" line per call, from inside a container.
probe() {
        local flags=()
        while [ "$1" != "--" ]; do flags+=("$1"); shift; done
        shift
        nl run --rm --net=none -v "$tools:/t:ro" "${flags[@]}" busybox /t/sc_probe "$@"
}

check_match "seccomp=unconfined: no filter" "Seccomp:\s+0" "$(status $unconfined)"
check_match "--privileged: no filter" "Seccomp:\s+0" "$(status --privileged)"
check_match "default: a seccomp filter" "Seccomp:\s+2" "$(status)"

# User namespaces need no capability: only the filter stands in the way.
check "seccomp=unconfined: unshare -U -r works" nl run --rm --net=none $unconfined busybox unshare -U -r true
check_fails "default: unshare -U -r is refused" nl run --rm --net=none busybox unshare -U -r true

# Calls no capability guards. Unconfined, each reaches the kernel (anything but the filter's
# answer); by default the filter answers EPERM (ENOSYS for clone3, so libc falls back to clone).
calls="keyctl add_key request_key unshare_user clone_user personality vsock clone3"
open_out=$(probe $unconfined -- $calls)
dflt_out=$(probe -- $calls)
for c in $calls; do
        want=EPERM
        [ "$c" = clone3 ] && want=ENOSYS
        got_open=$(printf '%s\n' "$open_out" | awk -v c="$c" '$1 == c {print $2}')
        got_dflt=$(printf '%s\n' "$dflt_out" | awk -v c="$c" '$1 == c {print $2}')
        if [ -n "$got_open" ] && [ "$got_open" != "$want" ]; then
                ok "seccomp=unconfined: $c reaches the kernel ($got_open)"
        else
                not_ok "seccomp=unconfined: $c reaches the kernel (got '$got_open')"
        fi
        check_eq "default: $c is refused with $want" "$want" "$got_dflt"
done

# Past Docker: its filter also admits 32-bit x86 calls, and socketcall(SOCKET, AF_VSOCK) by
# int 0x80 gets past the socket family checks. netlab admits only the native arch.
if [ "$(uname -m)" = x86_64 ]; then
        check_eq "seccomp=unconfined: 32-bit socketcall(AF_VSOCK) works" "socketcall_vsock ok" "$(probe $unconfined -- socketcall_vsock)"
        check_eq "default: a 32-bit call kills the process" "socketcall_vsock killed-SYS" "$(probe -- socketcall_vsock)"
fi

# Capabilities open what Docker's profile ties to them, and only that.
check "--cap-add SYS_ADMIN: mount works under the filter" nl run --rm --net=none --cap-add SYS_ADMIN busybox sh -c 'grep -q "Seccomp:.*2" /proc/self/status && mount -t tmpfs none /mnt'
check_fails "default: mount is refused" nl run --rm --net=none busybox mount -t tmpfs none /mnt
check_eq "--cap-add SYS_ADMIN: a user namespace is allowed" "unshare_user ok" "$(probe --cap-add SYS_ADMIN -- unshare_user)"
check_eq "--cap-add SYS_ADMIN: keyctl stays refused" "keyctl EPERM" "$(probe --cap-add SYS_ADMIN -- keyctl)"
check_eq "--cap-add SYS_BOOT: reboot reaches the kernel" "reboot EINVAL" "$(probe --cap-add SYS_BOOT -- reboot)"
check_eq "default: reboot is refused" "reboot EPERM" "$(probe -- reboot)"

# exec gets the container's filter too.
nl run -d --name confined --net=none busybox sleep 1000 >/dev/null
nl run -d --name open $unconfined --net=none busybox sleep 1000 >/dev/null
check "exec in an unconfined container: unshare -U -r works" nl exec open unshare -U -r true
check_match "exec: the container's filter" "Seccomp:\s+2" "$(nl exec confined grep Seccomp: /proc/self/status)"
check_fails "exec: unshare -U -r is refused" nl exec confined unshare -U -r true
check_match "inspect shows SecurityOpt" '"seccomp=unconfined"' "$(nl inspect open)"
nl rm -f confined open >/dev/null

# --security-opt: only what netlab implements, one clear line otherwise.
check "no-new-privileges is accepted" nl run --rm --net=none --security-opt no-new-privileges busybox true
check_status "a seccomp profile file is refused" 125 nl run --rm --net=none --security-opt seccomp=/tmp/p.json busybox true
check_match "... naming what is accepted" "seccomp=/tmp/p.json.*accepted: seccomp=unconfined" "$out"
check_status "a typo is refused" 125 nl run --rm --net=none --security-opt seccomp=unconfind busybox true
check_match "... with a suggestion" 'did you mean "seccomp=unconfined"' "$out"
check_status "apparmor= is refused" 125 nl create --security-opt apparmor=unconfined busybox true
check_eq "... and nothing is left behind" "" "$(nl ps -aq)"

# The filter is built once per capability set and read back on later starts.
cache="$NETLAB_ROOT/seccomp"
check_match "the cache holds compiled filters" "\\.bpf" "$(ls "$cache")"
check_eq "no temp files are left in the cache" "" "$(ls -A "$cache" | grep '^\.' || true)"
before=$(ls "$cache" | wc -l)
nl run --rm --net=none busybox true
nl run --rm --net=none --cap-add NET_ADMIN busybox true
check "starts with the same relevant capabilities add no filter" test "$before" -gt 0 -a "$(ls "$cache" | wc -l)" -eq "$before"
# Swap the default filter for the SYS_ADMIN one: a default start must then load the swapped
# file (a user namespace works), which shows the cached program is what the kernel gets.
sysadmin_mask=$(printf '%016x' $(( (1 << 21) | (1 << 18) )))
default_mask=$(printf '%016x' $(( 1 << 18 )))
f_default=$(ls "$cache" | grep -- "-$default_mask-")
f_admin=$(ls "$cache" | grep -- "-$sysadmin_mask-")
check "the default and SYS_ADMIN filters are cached apart" test -n "$f_default" -a -n "$f_admin" -a "$f_default" != "$f_admin"
check_fails "before the swap: unshare -U is refused" nl run --rm --net=none busybox unshare -U true
cp "$cache/$f_admin" "$cache/$f_default"
check "after the swap: the cached program is what is loaded" nl run --rm --net=none busybox unshare -U true
rm "$cache/$f_default"
check_fails "a removed filter is rebuilt" nl run --rm --net=none busybox unshare -U true
check "... and cached again" test -s "$cache/$f_default"

# A normal workload still works under the filter.
nl network create --subnet 10.89.0.0/24 labnet >/dev/null
nl run -d --name web --net labnet busybox sh -c 'echo hello > /tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null
check_match "web: filter on" "Seccomp:\s+2" "$(nl exec web grep Seccomp: /proc/self/status)"
wait_until 5 nl run --rm --net labnet busybox wget -q -O - http://web/i.html
check_eq "wget from httpd by name" "hello" "$(nl run --rm --net labnet busybox wget -q -O - http://web/i.html)"
check "nslookup of a container name" nl run --rm --net labnet busybox nslookup web
check "ping another container" nl run --rm --net labnet busybox ping -c1 -W2 web
check_eq "sh, pipes and forks of busybox tools" "100" "$(nl run --rm --net=none busybox sh -c 'seq 100 | sort -rn | head -1')"
nl rm -f web >/dev/null

finish
