# Per-container cgroups: the device allowlist and the limits. Each escape is tried from inside a
# container, after a positive control shows the same thing works where it is allowed.
. "$NETLAB_TESTLIB"

cg_dirs() { cat "$NETLAB_ROOT/containers/$1/cgroups"; }
cg_dir() { grep "/$2/" "$NETLAB_ROOT/containers/$1/cgroups" | head -n1; }
all_gone() { local d; for d in $1; do [ ! -d "$d" ] || return 1; done; }
run() { nl run --rm --net=none "$@"; }

# What opening a node does: "mknod NAME TYPE MAJ MIN, then open it read-write".
open_rw='mknod /dev/x $0 $1 $2 && exec 3<>/dev/x'
# Writing to /dev/kmsg needs no capability (reading it needs SYSLOG): only the cgroup stops it.
open_w='mknod /dev/x $0 $1 $2 && exec 3>/dev/x'

devices_suite() {
        local how=$1
        check "$how: mknod c 1 3 (null) and writing to it works" \
                run busybox sh -c 'mknod /dev/n c 1 3 && echo hi > /dev/n'
        check "$how: --privileged opens a new b 7 0 (loop0) read-write" \
                run --privileged busybox sh -c "$open_rw" b 7 0
        check_fails "$how: by default a new b 7 0 cannot be opened" \
                run busybox sh -c "$open_rw" b 7 0
        check_fails "$how: nor with --cap-add MKNOD" \
                run --cap-add MKNOD busybox sh -c "$open_rw" b 7 0
        check "$how: --privileged opens a new /dev/kmsg (c 1 11) for writing" \
                run --privileged busybox sh -c "$open_w" c 1 11
        check_fails "$how: by default it cannot be opened for writing" \
                run busybox sh -c "$open_w" c 1 11
        check_fails "$how: nor with --cap-add MKNOD" \
                run --cap-add MKNOD busybox sh -c "$open_w" c 1 11
        check "$how: --device /dev/kmsg (with SYSLOG, which reading it needs) opens it" \
                run --device /dev/kmsg --cap-add SYSLOG busybox sh -c 'exec 3</dev/kmsg'
        check_fails "$how: --cap-add SYSLOG alone does not" \
                run --cap-add SYSLOG --cap-add MKNOD busybox sh -c 'mknod /dev/x c 1 11 && exec 3</dev/x'
        check "$how: --device /dev/loop0:/dev/l:r opens it for reading" \
                run --device /dev/loop0:/dev/l:r busybox sh -c 'exec 3</dev/l'
        check_fails "$how: but not for writing (r only)" \
                run --device /dev/loop0:/dev/l:r busybox sh -c 'exec 3>/dev/l'
}

devices_suite "v1 devices controller"
check_match "the default container is in a devices cgroup of its own" \
        "devices:/.*netlab/" "$(run busybox cat /proc/self/cgroup)"

export NETLAB_CGROUP_DEVICES=bpf
groups=$(run busybox cat /proc/self/cgroup)
check_match "forced BPF: the container is in its own v2 cgroup" "^0::/.*netlab/" "$groups"
check_match "forced BPF: and in no v1 devices cgroup, so only the program guards" \
        "devices:/$" "$(echo "$groups" | grep devices)"
devices_suite "v2 BPF program"
id=$(nl run -d --net=none busybox sleep 300)
check "forced BPF: exec opens /dev/null" nl exec "$id" sh -c 'echo x > /dev/null'
check_fails "forced BPF: exec cannot open a new b 7 0" nl exec "$id" sh -c "$open_rw" b 7 0
# A start whose cgroup cannot be made fails with 125 and leaves nothing: the unified key
# directory may hold no more children than the running one.
ukey=$(dirname "$(cg_dir "$id" unified)")
pkey=$(dirname "$(cg_dir "$id" pids)")
echo 1 > "$ukey/cgroup.max.descendants"
code=0; out=$(nl run --net=none busybox true 2>&1) || code=$?
check_eq "a start whose cgroup cannot be made exits 125" "125" "$code"
check_match "and says which cgroup" "cgroup: mkdir .*unified/.*netlab" "$out"
check_eq "the failed run left no record" "1" "$(ls "$NETLAB_ROOT/containers" | wc -l)"
# (an earlier container's cgroup may still be going: a dying task holds it a moment under load)
pcount() { find "$pkey" -mindepth 1 -maxdepth 1 -type d | wc -l; }
for _ in $(seq 50); do [ "$(pcount)" = 1 ] && break; sleep 0.1; done
check_eq "nor a cgroup in another hierarchy" "1" "$(pcount)"
echo max > "$ukey/cgroup.max.descendants"
nl rm -f "$id" >/dev/null
unset NETLAB_CGROUP_DEVICES

# --device
check_eq "without --device there is no /dev/net/tun" "absent" \
        "$(run busybox sh -c 'test -e /dev/net/tun && echo present || echo absent')"
check "--device /dev/net/tun appears and opens" \
        run --device /dev/net/tun busybox sh -c 'test -c /dev/net/tun && exec 3<>/dev/net/tun'
inspect=$(nl inspect "$(nl create --net=none --device /dev/net/tun busybox)")
check_match "inspect shows HostConfig.Devices" '"PathOnHost": "/dev/net/tun"' "$inspect"
check_match "with Docker's CgroupPermissions" '"CgroupPermissions": "rwm"' "$inspect"

# exec runs under the same rules as the container's first process.
id=$(nl run -d --net=none busybox sleep 300)
key=$(dirname "$(head -n1 "$NETLAB_ROOT/containers/$id/cgroups")")
check_match "exec joins the container's cgroups" "pids:/.*${id}" "$(nl exec "$id" cat /proc/self/cgroup)"
check "exec can open /dev/null" nl exec "$id" sh -c 'echo x > /dev/null'
check_fails "exec cannot open a new b 7 0" nl exec "$id" sh -c "$open_rw" b 7 0
check_eq "the default pids limit is in pids.max" "1024" "$(cat "$(cg_dir "$id" pids)/pids.max")"
check_match "inspect shows PidsLimit 1024" '"PidsLimit": 1024' "$(nl inspect "$id")"
nl rm -f "$id" >/dev/null

# A fork loop is stopped by --pids-limit; the same loop gets more with a higher limit.
# The loop runs in a subshell: busybox sh exits when it cannot fork, and pid 1 must stay.
forks='(for i in $(seq 60); do sleep 300 & done) 2>/dev/null; exec sleep 300'
procs() { wc -l < "$(cg_dir "$1" pids)/cgroup.procs"; }
big=$(nl run -d --net=none --pids-limit 100 busybox sh -c "$forks")
small=$(nl run -d --net=none --pids-limit 20 busybox sh -c "$forks")
wait_until 10 sh -c "[ \$(wc -l < $(cg_dir "$big" pids)/cgroup.procs) -ge 61 ]"
sleep 1
check_match "control: under --pids-limit 100 the loop makes 60 processes" "^6[01]$" "$(procs "$big")"
check_match "under --pids-limit 20 it is stopped at 20" "^(1[0-9]|20)$" "$(procs "$small")"
check_eq "pids.max is 20" "20" "$(cat "$(cg_dir "$small" pids)/pids.max")"
check_match "and the kernel counted refused forks" "^max [1-9]" "$(cat "$(cg_dir "$small" pids)/pids.events")"
nl rm -f "$big" "$small" >/dev/null
check_eq "--pids-limit -1 is unlimited" "max" \
        "$(id=$(nl run -d --net=none --pids-limit -1 busybox sleep 300); cat "$(cg_dir "$id" pids)/pids.max"; nl rm -f "$id" >/dev/null)"

# Memory and CPU limits land in the container's own files.
id=$(nl run -d --net=none -m 64m --cpus 0.5 busybox sleep 300)
check_eq "--memory 64m is memory.limit_in_bytes" "67108864" \
        "$(cat "$(cg_dir "$id" memory)/memory.limit_in_bytes")"
check_eq "--cpus 0.5 is a 50000/100000 cfs quota" "50000 100000" \
        "$(cat "$(cg_dir "$id" cpu)/cpu.cfs_quota_us" "$(cg_dir "$id" cpu)/cpu.cfs_period_us" | tr '\n' ' ' | sed 's/ $//')"
check_match "inspect shows Memory" '"Memory": 67108864' "$(nl inspect "$id")"
check_match "inspect shows NanoCpus" '"NanoCpus": 500000000' "$(nl inspect "$id")"
nl rm -f "$id" >/dev/null

# The memory limit holds: 32 MB into /dev/shm (tmpfs pages count as the container's memory).
fill='dd if=/dev/zero of=/dev/shm/f bs=1M count=32 2>/dev/null'
check "control: -m 128m writes 32 MB to /dev/shm" run -m 128m busybox sh -c "$fill"
check_fails "-m 8m cannot" run -m 8m busybox sh -c "$fill"

# Bad values: one line naming the value and what is accepted, nothing created.
before=$(ls "$NETLAB_ROOT/containers" | wc -l)
bad() {
        local want=$1; shift
        local out code=0
        out=$(nl run --net=none "$@" busybox true 2>&1) || code=$?
        check_eq "$* is refused with 125" "125" "$code"
        check_match "$* names the problem" "$want" "$out"
}
bad 'minimum memory limit allowed is 6MB' -m 1m
bad "invalid size: '12x'.*512m" --memory 12x
bad 'failed to parse abc as a rational number' --cpus abc
bad 'range of CPUs is from 0.01 to' --cpus 1000
bad '"abc" for "--pids-limit" flag.*-1 for unlimited' --pids-limit abc
bad 'bad mode specified: rwx' --device /dev/null:/dev/x:rwx
bad 'rel is not an absolute path' --device /dev/null:rel
bad 'adding custom device "/dev/nonexistent": No such file' --device /dev/nonexistent
bad 'not a device node' --device /etc/passwd:/dev/p
bad 'must be under /dev/: /etc/tun' --device /dev/net/tun:/etc/tun
check_eq "bad values create nothing" "$before" "$(ls "$NETLAB_ROOT/containers" | wc -l)"

# The cgroups are gone after stop, rm -f, and a killed shim once the next command reconciles.
id=$(nl run -d --net=none -m 64m busybox sleep 300)
dirs=$(cg_dirs "$id")
check "the container's cgroups exist while it runs" test -d "$(echo "$dirs" | head -n1)"
nl stop -t 1 "$id" >/dev/null
check "they are gone after stop" all_gone "$dirs"
nl start "$id" >/dev/null
dirs=$(cg_dirs "$id")
check "start makes them again" test -d "$(echo "$dirs" | head -n1)"
nl rm -f "$id" >/dev/null
check "they are gone after rm -f" all_gone "$dirs"
id=$(nl run -d --net=none busybox sleep 300)
dirs=$(cg_dirs "$id")
kill -9 "$(grep -o '"ShimPid":[0-9]*' "$NETLAB_ROOT/containers/$id/state.json" | tr -dc 0-9)"
check "(control) they outlive the killed shim until a command looks" test -d "$(echo "$dirs" | head -n1)"
nl ps -a >/dev/null
check "they are gone once ps reconciles the dead shim" all_gone "$dirs"
nl rm -f "$id" >/dev/null
# Pure v2 (Debian 12's layout), played by the unified hierarchy mounted over /sys/fs/cgroup in
# this sandbox's mount namespace. It has no controllers on this host, so this covers the layout,
# the failure when pids cannot be limited, and the device program; not the v2 limit files.
mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup
code=0; out=$(nl run --rm --net=none busybox true 2>&1) || code=$?
check_eq "v2 without a pids controller: the default start fails with 125" "125" "$code"
check_match "and names the missing file" "pids.max" "$out"
check_eq "and leaves no cgroup" "" "$(find /sys/fs/cgroup/netlab -mindepth 2 -type d 2>/dev/null)"
check_match "v2: the container's cgroup is netlab/<root key>/<id> under the root" \
        "^0::/netlab/[0-9a-f]{16}/[0-9a-f]{64}$" "$(run --pids-limit -1 busybox cat /proc/self/cgroup)"
check "v2: mknod c 1 3 (null) and writing to it works" \
        run --pids-limit -1 busybox sh -c 'mknod /dev/n c 1 3 && echo hi > /dev/n'
check "v2: --privileged opens a new b 7 0 read-write" \
        run --pids-limit -1 --privileged busybox sh -c "$open_rw" b 7 0
check_fails "v2: by default it cannot be opened" \
        run --pids-limit -1 busybox sh -c "$open_rw" b 7 0
check_fails "v2: nor /dev/kmsg for writing" run --pids-limit -1 busybox sh -c "$open_w" c 1 11
check "v2: --device /dev/net/tun opens" \
        run --pids-limit -1 --device /dev/net/tun busybox sh -c 'exec 3<>/dev/net/tun'
umount /sys/fs/cgroup
check "nothing of this root is left in any hierarchy" all_gone "$(find /sys/fs/cgroup -maxdepth 6 -type d -path "*/netlab/$(basename "$key")" 2>/dev/null)"
finish
