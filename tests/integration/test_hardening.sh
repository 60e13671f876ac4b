# Kernel surfaces, --sysctl, the host image, volume paths and --hostname: each default is tried
# as an escape from a container, after a positive control shows the same thing works when allowed.
. "$NETLAB_TESTLIB"

# Opening a file for writing (`: >>`) writes nothing, so even a control that succeeds changes no
# kernel setting of the machine running the tests.
can_open_w() { echo ": >> $1"; }

# --- /proc and /sys -------------------------------------------------------------------------
for f in /proc/sys/kernel/core_pattern /proc/sys/vm/drop_caches /proc/sysrq-trigger; do
        [ -e "$f" ] || continue # no sysrq on some kernels
        check "--privileged may open $f for writing (control)" \
                nl run --rm --net=none --privileged busybox sh -c "$(can_open_w $f)"
        # "denied" comes from inside a container that started: a failed start cannot pass.
        check_eq "a default container cannot open $f for writing" "denied" \
                "$(nl run --rm --net=none busybox sh -c "($(can_open_w $f)) 2>/dev/null || echo denied")"
done
check_match "--privileged reads /proc/timer_list (control)" "Timer List" \
        "$(nl run --rm --net=none --privileged busybox head -n 3 /proc/timer_list)"
check_eq "/proc/timer_list is masked" "end" \
        "$(nl run --rm --net=none busybox sh -c 'cat /proc/timer_list; echo end')"
check_match "--privileged lists /sys/firmware (control)" "." \
        "$(nl run --rm --net=none --privileged busybox ls /sys/firmware)"
check_eq "/sys/firmware is an empty directory" "end" \
        "$(nl run --rm --net=none busybox sh -c 'ls -A /sys/firmware; echo end')"
# The masked directories share one empty tmpfs (issue 11): each after the first is a bind of it,
# and must be as closed as the first.
sb_of() { # A B: "one" when the mounts at A and B are one filesystem (mountinfo's device field)
        nl run --rm --net=none busybox awk -v a="$1" -v b="$2" \
                '$5 == a {x = $3} $5 == b {y = $3} END {print (x == y ? "one" : "two")}' /proc/self/mountinfo
}
check_eq "/dev and /dev/shm are two tmpfs (control)" "two" "$(sb_of /dev /dev/shm)"
if [ -d /proc/acpi ]; then
        check_eq "/proc/acpi and /sys/firmware are one empty tmpfs" "one" "$(sb_of /proc/acpi /sys/firmware)"
fi
check "a container can create a file in /dev/shm (control)" \
        nl run --rm --net=none busybox touch /dev/shm/x
for d in /proc/acpi /sys/firmware; do
        [ -d "$d" ] || continue # no ACPI on some machines
        check_eq "nothing can be created in $d" "denied" "$(nl run --rm --net=none busybox sh -c \
                "[ -d $d ] && ! touch $d/x 2>/dev/null && ! mkdir $d/y 2>/dev/null && echo denied")"
        check_match "$d is mounted read-only, nosuid, nodev, noexec" "^ro,nosuid,nodev,noexec" \
                "$(nl run --rm --net=none busybox awk -v d=$d '$5 == d {print $6}' /proc/self/mountinfo)"
done
check "--network host --privileged may open rp_filter for writing (control)" \
        nl run --rm --network host --privileged busybox sh -c \
        "$(can_open_w /proc/sys/net/ipv4/conf/all/rp_filter)"
for k in conf/all/rp_filter conf/all/route_localnet conf/lo/accept_redirects ip_local_port_range; do
        check_fails "a --network host container cannot write the host's net.ipv4.$k" \
                nl run --rm --network host busybox sh -c "$(can_open_w /proc/sys/net/ipv4/$k)"
done

# --- --sysctl ---------------------------------------------------------------------------------
check_eq "ip_forward is 0 in a new container (control)" "0" \
        "$(nl run --rm --net=none busybox cat /proc/sys/net/ipv4/ip_forward)"
check_eq "--sysctl net.ipv4.ip_forward=1 is written in the container's netns" "1" \
        "$(nl run --rm --net=none --sysctl net.ipv4.ip_forward=1 busybox \
        cat /proc/sys/net/ipv4/ip_forward)"
check_eq "the host's ip_forward is untouched" "0" "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "--sysctl on a bridge network" "1" \
        "$(nl run --rm --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward)"
check_eq "--sysctl kernel.shmmni and fs.mqueue.* in the container's IPC namespace" "100 20" \
        "$(nl run --rm --net=none --sysctl kernel.shmmni=100 --sysctl fs.mqueue.msg_max=20 busybox \
        sh -c 'echo $(cat /proc/sys/kernel/shmmni) $(cat /proc/sys/fs/mqueue/msg_max)')"
check_fails "after --sysctl, /proc/sys is read-only again" \
        nl run --rm --sysctl net.ipv4.ip_forward=1 busybox sysctl -w net.ipv4.ip_forward=0
out=$(nl run --rm --net=none --sysctl kernel.core_pattern=x busybox true 2>&1); rc=$?
check_eq "--sysctl kernel.core_pattern is refused with 125" "125" "$rc"
check_match "the error names the key and what is accepted" \
        "^netlab: error: .*'kernel.core_pattern' is not allowed: .*net\.\*" "$out"
check_match "a near miss gets a suggestion" "did you mean kernel.shmmax" \
        "$(nl run --rm --net=none --sysctl kernel.shmax=1 busybox true 2>&1)"
check_match "net.* is refused with --network host, as Docker does" \
        'sysctl "net.ipv4.ip_forward" not allowed in host network namespace' \
        "$(nl run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true 2>&1)"
out=$(nl run --rm --net=none --name nokey --sysctl net.ipv4.no_such_key=1 busybox true 2>&1); rc=$?
check_eq "a key this kernel lacks is refused with 125" "125" "$rc"
check_match "naming the key" "sysctl 'net.ipv4.no_such_key' does not exist on this kernel" "$out"
check_fails "and leaves no container behind" nl inspect nokey
nl run -d --name owner --net=none busybox sleep 1000 >/dev/null
check_status "net.* is refused with --network container:NAME" 125 \
        nl run --rm --network container:owner --sysctl net.ipv4.ip_forward=1 busybox true
nl rm -f owner >/dev/null
out=$(nl run --rm --sysctl net.ipv4.ip_fowrard=1 busybox true 2>&1); rc=$?
check_eq "a misspelt key is refused at create (125)" 125 "$rc"
check_match "... with the key it was near" \
        "sysctl 'net.ipv4.ip_fowrard' does not exist on this kernel \(did you mean net.ipv4.ip_forward\?\)" "$out"
check_eq "... and nothing was created" "" "$(nl ps -aq)"
check_eq "a per-interface key of the container's own eth0 works (control)" "0" \
        "$(nl run --rm --sysctl net.ipv4.conf.eth0.rp_filter=0 busybox cat /proc/sys/net/ipv4/conf/eth0/rp_filter)"
nl create --name withsysctl --net=none --sysctl net.core.somaxconn=512 busybox true >/dev/null
check_match "inspect shows HostConfig.Sysctls" '"net.core.somaxconn": "512"' "$(nl inspect withsysctl)"
nl rm withsysctl >/dev/null

# --- the host image ---------------------------------------------------------------------------
# Private directories with something in them, inside this sandbox's mount namespace only.
for d in /root /home; do mount -t tmpfs sbx-secret "$d" && echo secret > "$d/secret"; done
check "the sandbox's host has /etc/shadow (control)" test -r /etc/shadow
check_fails "a host-image container cannot read /etc/shadow" nl run --rm --net=none host cat /etc/shadow
check_fails "nor /etc/gshadow" nl run --rm --net=none host cat /etc/gshadow
check "the host has /etc/ssl/private (control)" test -d /etc/ssl/private
check_fails "/etc/ssl/private is not there" nl run --rm --net=none host ls /etc/ssl/private
check_fails "/etc/ssh is not there" nl run --rm --net=none host ls /etc/ssh
for d in /root /home /run /var/log; do
        check_match "the host's $d has entries (control)" "." "$(ls -A $d)"
        check_eq "a host-image container sees $d empty" "end" \
                "$(nl run --rm --net=none host sh -c "ls -A $d; echo end")"
done
check "dig runs from the host image" nl run --rm --net=none host dig -v
check "iperf3 runs from the host image" nl run --rm --net=none host iperf3 --version
check "tcpdump runs from the host image" nl run --rm --net=none host tcpdump --version
check "system accounts are there (tcpdump drops to its own user)" \
        nl run --rm --net=none host getent passwd root
check_match "TLS roots are there" "BEGIN CERTIFICATE" \
        "$(nl run --rm --net=none host head -n1 /etc/ssl/certs/ca-certificates.crt)"
check_eq "/etc/hosts and /etc/hostname are the container's" "hostctr" \
        "$(nl run --rm --net=none -h hostctr host cat /etc/hostname)"
umount /root /home
# A state root outside /run and /var (tmpfs on /srv, in this sandbox only) is hidden too.
mount -t tmpfs sbx-srv /srv
nl --root /srv/nlroot run --rm --net=none busybox true
check "the other state root has containers on the host (control)" test -d /srv/nlroot/containers
check_eq "a host-image container of that root sees it empty" "end" \
        "$(nl --root /srv/nlroot run --rm --net=none host sh -c 'ls -A /srv/nlroot; echo end')"
umount /srv

# --- volume targets ---------------------------------------------------------------------------
# The state root is /run/netlab-test/root, so five ".." from a rootfs reach this sandbox's /run.
out=$(nl run --rm --net=none -v /run/netlab-test:/../../../../../escape busybox true 2>&1); rc=$?
check_eq "a volume target above the root is refused with 125" "125" "$rc"
check_match "the error names the value" '"/../../../../../escape"' "$out"
check_fails "nothing was created outside the root" test -e /run/escape
mkdir -p /run/vol /run/target /run/target2
nl run -d --name swap --net=none -v /run/vol:/data/sub/mnt busybox sleep 1000 >/dev/null
nl exec swap sh -c 'echo hi > /data/sub/mnt/f'
check_eq "the volume works (control)" "hi" "$(cat /run/vol/f)"
check "the container swaps its volume's parent for a symlink to the host's /run/target" \
        nl exec swap sh -c 'mv /data /data.old && ln -s /run/target /data && test -L /data'
nl stop -t 0 swap >/dev/null
check_status "the next start is refused" 125 nl start swap
check_fails "a parent swapped for a symlink creates nothing on the host" test -e /run/target/sub
nl rm -f swap >/dev/null
nl run -d --name swapetc --net=none busybox sleep 1000 >/dev/null
nl exec swapetc sh -c 'mv /etc /etc.old && ln -s /run/target2 /etc'
nl stop -t 0 swapetc >/dev/null
nl start swapetc >/dev/null 2>&1
check_eq "an /etc swapped for a symlink gets no hosts files on the host" "" "$(ls -A /run/target2)"
nl rm -f swapetc >/dev/null

# --- --hostname -------------------------------------------------------------------------------
check_match "a valid FQDN is accepted (control)" "lab-1.example" \
        "$(nl run --rm -h lab-1.example busybox cat /etc/hosts)"
bad=$'x\n10.9.9.9 evil.example'
hosts=$(nl run --rm -h "$bad" busybox cat /etc/hosts 2>&1); rc=$?
check_eq "a hostname with a newline is refused with 125" "125" "$rc"
check_fails "no /etc/hosts line was injected" grep -q '^10.9.9.9' <<<"$hosts"
check_match "the error names the value on one line" \
        '^netlab: error: invalid hostname "x\\n10.9.9.9 evil.example"' "$hosts"
check_status "a hostname with a space is refused" 125 nl run --rm --net=none -h "a b" busybox true
finish
