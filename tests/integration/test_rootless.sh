# Rootless mode: two unprivileged users (4242 with a subordinate id range, 4243 without) each get
# a lab host of their own; containers, every network mode, DNS, the escapes of root mode, a
# killed keeper, concurrent first commands and `lab status/shell/down`, run as those users.
. "$NETLAB_TESTLIB"
require setpriv newuidmap newgidmap

U1=4242
U2=4243
ids=$(mktemp -d /run/netlab-test/ids.XXXXXX)
# newuidmap wants a user name: the test users get passwd entries in the sandbox only.
{ cat /etc/passwd; echo "nlstudent1:x:$U1:$U1::/tmp:/bin/sh"; echo "nlstudent2:x:$U2:$U2::/tmp:/bin/sh"; } >"$ids/passwd"
printf 'nlstudent1:200000:65536\n' >"$ids/subuid"
cp "$ids/subuid" "$ids/subgid"
for f in passwd subuid subgid; do
        touch "/etc/$f"
        mount --bind "$ids/$f" "/etc/$f"
done
for u in $U1 $U2; do
        mkdir -p "/run/user/$u"
        chown "$u:$u" "/run/user/$u"
        chmod 0700 "/run/user/$u"
done
# as UID COMMAND...: run a command as that user, with a runtime directory and nothing of ours.
as() {
        local uid=$1; shift
        setpriv --reuid "$uid" --regid "$uid" --clear-groups env -i PATH="$PATH" HOME=/tmp \
                XDG_RUNTIME_DIR="/run/user/$uid" "$@"
}
as $U1 test -x "$NETLAB" || { echo "1..0 # SKIP the build tree is not readable by uid $U1"; exit 0; }
u1() { as $U1 "$NETLAB" "$@"; }
u2() { as $U2 "$NETLAB" "$@"; }
keepers() { ps -eo comm= | grep -c '^netlab-keeper$'; }

# --- the lab host and its id mapping -----------------------------------------------------------
check_match "before any command, lab status says there is no keeper" "Keeper: +none" \
        "$(u1 lab status)"
check "the first command starts the lab host" u1 ps
check_match "4242 has a range: subordinate ids mapped through newuidmap" \
        "User ids: +0 $U1 1 1 200000 65536 \(subordinate ids\)" "$(u1 lab status)"
check_match "4243 has none: one note line says what that limits and how to fix it" \
        "netlab: note: uid $U2 has no range .*only uid 0 exists in the lab.*usermod --add-subuids" \
        "$(u2 ps 2>&1)"
check_match "4243's lab host maps one id" "User ids: +0 $U2 1 \(single id\)" "$(u2 lab status)"
check_eq "with a range, a file can belong to uid 1000 in a container (control)" "1000" \
        "$(u1 run --rm --net=none busybox sh -c 'touch /tmp/f && chown 1000 /tmp/f && stat -c %u /tmp/f')"
check_fails "with one id, it cannot" u2 run --rm --net=none busybox sh -c 'touch /tmp/f && chown 1000 /tmp/f'
check_match "info prints the mode" "Mode: rootless" "$(u1 info)"
check_match "info --format json says rootless as Docker does" "name=rootless" "$(u1 info --format json)"
check_match "root's info says root mode" "Mode: root$" "$(nl info)"
check_eq "the state root is the runtime directory's netlab/" \
        "$U1" "$(stat -c %u /run/user/$U1/netlab)"

# --- containers ----------------------------------------------------------------------------
check "run -d" u1 run -d --name web busybox sh -c 'echo started; exec httpd -f -p 80 -h /etc'
check_eq "exec runs as root of the lab host" "uid=0(root) gid=0(root)" "$(u1 exec web id)"
check_match "ps lists it" "web" "$(u1 ps)"
check_eq "logs" "started" "$(u1 logs web)"
check_eq "inspect" "true" "$(u1 inspect -f '{{.State.Running}}' web)"
check_eq "run --rm" "hello" "$(u1 run --rm busybox echo hello)"
if command -v script >/dev/null; then
        check_match "run -t gives the container a terminal" "isatty" \
                "$(script -qc "$(declare -f as); as $U1 $NETLAB run --rm -t busybox sh -c 'test -t 0 && echo isatty'" /dev/null)"
fi

# --- every network mode ----------------------------------------------------------------------
web_ip=$(u1 inspect -f '{{.NetworkSettings.IPAddress}}' web)
check_match "bridge: web has an address" '^172\.' "$web_ip"
check "bridge: another container reaches it" u1 run --rm busybox wget -q -O /dev/null "http://$web_ip/hostname"
check_eq "none: only lo" "lo" "$(u1 run --rm --net=none busybox ls /sys/class/net)"
check_match "host: the lab host's interfaces (netlab0), not the sandbox's" "netlab0" \
        "$(u1 run --rm --network host busybox ls /sys/class/net)"
check_eq "container:web shares web's address" "$web_ip" \
        "$(u1 run --rm --network container:web busybox sh -c \
        "ip -o -4 addr show eth0 | awk '{print \$4}' | cut -d/ -f1")"
check "a user network" u1 network create labnet --subnet 10.77.0.0/24
check "a container on it" u1 run -d --name srv --net labnet busybox httpd -f -p 80 -h /etc
check "DNS: its name resolves on labnet" u1 run --rm --net labnet busybox wget -q -O /dev/null http://srv/hostname
check "network connect" u1 network connect labnet web
check_match "web got a second interface" "eth1" "$(u1 exec web ls /sys/class/net)"
check "web reaches srv by name" u1 exec web wget -q -O /dev/null http://srv/hostname
check "network disconnect" u1 network disconnect labnet web
check_fails "after disconnect, srv is not reachable" u1 exec web wget -q -T 2 -O /dev/null http://srv/hostname

# --- two users, same names and subnets -------------------------------------------------------
check "4243 makes the same network" u2 network create labnet --subnet 10.77.0.0/24
check "and the same container name" u2 run -d --name srv --net labnet busybox httpd -f -p 80 -h /etc
check_eq "same address in both labs" \
        "$(u1 inspect -f '{{(index .NetworkSettings.Networks "labnet").IPAddress}}' srv)" \
        "$(u2 inspect -f '{{(index .NetworkSettings.Networks "labnet").IPAddress}}' srv)"
check "4243's srv answers in 4243's lab" u2 run --rm --net labnet busybox wget -q -O /dev/null http://srv/hostname
check_eq "4242 sees only its own containers" "srv web" "$(u1 ps --format '{{.Names}}' | sort | xargs)"
check_eq "4243 sees only its own" "srv" "$(u2 ps --format '{{.Names}}')"
check_eq "nothing of either lab in the sandbox's network namespace (links)" "lo" \
        "$(ip -o link | awk -F': ' '{print $2}' | xargs)"
check_eq "nor nftables tables" "" "$(nft list tables 2>/dev/null)"
check_eq "nor addresses" "127.0.0.1/8" "$(ip -o -4 addr | awk '{print $4}' | xargs)"

# --- the escapes of root mode, from a rootless container ----------------------------------
check "--privileged may open /proc/sys/net/ipv4/ip_forward for writing (control)" \
        u1 run --rm --net=none --privileged busybox sh -c ': >> /proc/sys/net/ipv4/ip_forward'
check_eq "a default container cannot: /proc/sys is read-only" "denied" \
        "$(u1 run --rm --net=none busybox sh -c '(: >> /proc/sys/net/ipv4/ip_forward) 2>/dev/null || echo denied')"
check "--privileged: /proc/keys is the kernel's file (control)" \
        u1 run --rm --net=none --privileged busybox test -f /proc/keys
check "/proc/keys is masked (/dev/null over it)" u1 run --rm --net=none busybox test -c /proc/keys
check "seccomp=unconfined: unshare -U -r works (control)" \
        u1 run --rm --net=none --security-opt seccomp=unconfined busybox unshare -U -r true
check_fails "default: seccomp refuses unshare -U -r" u1 run --rm --net=none busybox unshare -U -r true
check "--cap-add NET_ADMIN adds a link (control)" \
        u1 run --rm --net=none --cap-add NET_ADMIN busybox ip link add v0 type veth peer name v1
check_fails "default: NET_ADMIN is dropped" \
        u1 run --rm --net=none busybox ip link add v0 type veth peer name v1
check_match "/dev/null works (bound from the host, not mknod'ed)" "^0$" \
        "$(u1 run --rm --net=none busybox sh -c 'echo x > /dev/null; echo $?')"
fork_many='n=0; for i in $(seq 80); do sleep 3 & n=$((n + 1)); done 2>/dev/null; wait; echo $n'
check_eq "--pids-limit 500 lets 80 processes start (control)" "80" \
        "$(u1 run --rm --net=none --pids-limit 500 busybox sh -c "$fork_many" 2>/dev/null)"
check_fails "--pids-limit 40 stops a fork loop (RLIMIT_NPROC without a cgroup)" \
        u1 run --rm --net=none --pids-limit 40 busybox sh -c \
        'for i in $(seq 80); do sleep 3 & done 2>&1 | grep -q "fork" && exit 1; wait'
check "a container with --pids-limit 40" \
        u1 run -d --name capped --net=none --pids-limit 40 busybox sleep 300
check "exec into it forks (control)" u1 exec capped sh -c 'sleep 0.1 & wait'
check_fails "exec into it is bounded by the same limit" u1 exec capped sh -c \
        'for i in $(seq 80); do sleep 3 & done 2>&1 | grep -q "fork" && exit 1; wait'
u1 rm -f capped >/dev/null
check_error "-m is refused rather than ignored" "--memory needs a cgroup" \
        u1 run --rm --net=none -m 64m busybox true
u1 run -d --name noisy --net=none --log-opt max-size=100k --log-opt max-file=2 busybox \
        sh -c 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done' >/dev/null
sleep 2
logdir=/run/user/$U1/netlab/containers/$(u1 inspect -f '{{.Id}}' noisy)
check_match "logs are bounded (2 files of 100k)" "^[0-9]+$" "$(du -sk "$logdir"/log* | awk '{s+=$1} END {print s}')"
[ "$(du -sk "$logdir"/log* | awk '{s+=$1} END {print s}')" -le 260 ] && ok "  and stay under 260k" ||
        not_ok "  and stay under 260k" "$(ls -l "$logdir")"
u1 rm -f noisy >/dev/null

# --- rm ------------------------------------------------------------------------------------
check "rm -f" u1 rm -f web
check_fails "web is gone" u1 inspect web

# --- lab shell and lab status --------------------------------------------------------------
check_match "lab shell runs in the lab host (its netlab0 and labnet bridge)" "netlab0" \
        "$(u1 lab shell ip -o link)"
check_eq "netlab inside lab shell uses this lab's state root" "/run/user/$U1/netlab" \
        "$(u1 lab shell sh -c 'echo $NETLAB_ROOT')"
check_eq "netlab inside lab shell sees the lab's containers" "srv" \
        "$(u1 lab shell "$NETLAB" ps --format '{{.Names}}')"
out=$(u1 lab status)
check_match "lab status: mode, keeper, networks, containers" \
        "Mode: +rootless.*Keeper: +outer pid [0-9]+, lab host pid [0-9]+.*labnet.*srv" "$(echo $out)"

# --- a scenario, in its own sandbox inside the lab host ---------------------------------------
scen=$(realpath "$(dirname "$NETLAB_TESTLIB")/../../scenarios/04-user-network-dns.lab")
check_match "scenario run works rootless" "0 failed" "$(u1 scenario run "$scen" 2>&1 | tail -1)"
check_eq "and leaves nothing in the lab" "srv" "$(u1 ps -a --format '{{.Names}}')"

# --- the keeper killed ---------------------------------------------------------------------
outer=$(awk '{print $1}' /run/user/$U1/netlab/keeper.pid)
check "a container to lose" u1 run -d --name victim --net=none busybox sleep 300
kill -9 "$outer"
wait_until 5 sh -c "! ps -u $U1 -o comm= | grep -q sleep"
check_eq "SIGKILL of the keeper takes the lab's processes with it" "" "$(ps -u $U1 -o comm= | grep -v netlab-keeper)"
check_match "lab status says the keeper is gone" "Keeper: +gone" "$(u1 lab status)"
out=$(u1 ps -a 2>&1)
check_match "the next command says what was lost" \
        "netlab: note: the lab host \(keeper pid $outer\) was gone: 2 containers were removed" "$out"
check_eq "and the records are gone" "" "$(u1 ps -aq)"
check_match "a new lab host runs" "Keeper: +outer pid" "$(u1 lab status)"
check "it works" u1 run --rm busybox true
check_match "the network definition survived" "labnet" "$(u1 network ls)"

inner=$(awk '{print $3}' /run/user/$U1/netlab/keeper.pid)
check "another container to lose" u1 run -d --name victim2 --net=none busybox sleep 300
kill -9 "$inner"
check_match "SIGKILL of the inner half (the lab host's init) is noticed too" \
        "netlab: note: the lab host \(keeper pid [0-9]+\) was gone: 1 container was removed" \
        "$(u1 ps 2>&1)"

# --- concurrent first commands -------------------------------------------------------------
before=$(keepers)
for i in 1 2 3 4; do as $U1 "$NETLAB" --root /run/user/$U1/conc ps >/dev/null 2>&1 & done
wait
check_eq "four concurrent first commands start one keeper (two halves)" "$((before + 2))" "$(keepers)"
check "lab down of that root" as $U1 "$NETLAB" --root /run/user/$U1/conc lab down

# --- lab down ------------------------------------------------------------------------------
check "lab down" u1 lab down
check_eq "no process of 4242 is left" "" "$(ps -u $U1 -o pid=)"
check_eq "no record is left" "" "$(ls /run/user/$U1/netlab/containers)"
check "lab down again is fine" u1 lab down
check_eq "still nothing left" "" "$(ps -u $U1 -o pid=)"
check "4243: lab down" u2 lab down

# --- a teacher (root) looks into a student's lab ---------------------------------------------
check "4242 runs a container again" u1 run -d --name look --net=none busybox sleep 300
check_match "root sees it with --rootless --root" "look" \
        "$("$NETLAB" --rootless --root /run/user/$U1/netlab lab status)"
check "4242: lab down" u1 lab down

# --- root mode, and user namespaces disabled -------------------------------------------------
check_match "root mode: lab status describes root mode" "Mode: +root" "$(nl lab status)"
check_error "root mode: lab shell says there is no lab host" "root mode has no lab host" nl lab shell
mkdir -p /run/netlab-test/nouserns
check_error "user.max_user_namespaces=0: one line naming the sysctl and the fix" \
        "user.max_user_namespaces=0 forbids them (fix, as root: sysctl -w user.max_user_namespaces=" \
        unshare --user --map-root-user sh -c \
        "echo 0 > /proc/sys/user/max_user_namespaces && '$NETLAB' --rootless --root /run/netlab-test/nouserns ps"
finish
