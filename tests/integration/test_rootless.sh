# Rootless mode: two unprivileged users (4242 with a subordinate id range, 4243 without) each get
# a lab host of their own; containers, every network mode, DNS, published ports on the sandbox's
# own addresses, egress through pasta/slirp4netns, the escapes of root mode, a killed keeper,
# concurrent first commands and `lab status/shell/down`, run as those users.
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

# --- the lab tools, rootless too ---------------------------------------------------------------
out=$(u1 diagnose web srv:80); rc=$?
check_eq "diagnose web srv:80: broken after the disconnect (exit 1)" 1 "$rc"
check_match "names the reason" "reason: different-networks" "$out"
check_match "graph draws labnet with srv" "srv" "$(u1 graph --format dot)"
check_match "graph renders SVG in-process" "<svg" "$(u1 graph --format svg)"
check_match "explain: who reaches srv:80" "srv:80/tcp" "$(u1 explain srv:80)"
check "external add: an outside machine beside the lab host" u1 external add lan
check "external exec: it reaches the lab host" u1 external exec lan ping -c 1 -W 2 198.18.1.1
check "link set: a rate on srv's eth0 (tbf)" u1 link set srv --rate 10mbit
check_match "link show" "rate 10mbit" "$(u1 link show srv)"
u1 exec -d srv ping -c 3 10.77.0.1 >/dev/null
check_match "capture: srv's pings, from the lab host's side" "ICMP echo" \
        "$(u1 capture -c 1 srv icmp 2>/dev/null)"
check "external rm" u1 external rm lan

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

# --- published ports: the keeper listens on the real host -------------------------------------
ip link add pf0 type veth peer name pf1 # a second address of the sandbox's "real host"
ip addr add 10.66.0.1/24 dev pf0
ip link set pf0 up
ip link set pf1 up
get() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
# up URL: wait until the container's server answers through the port (httpd starts after `run`)
up() { wait_until 5 sh -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' $1)\" = 200 ]"; }
check "run -d -p 8080:80" u1 run -d --name pub -p 8080:80 busybox httpd -f -p 80 -h /etc
check_match "the keeper listens in the sandbox's own namespace" "LISTEN.*:8080" "$(ss -Htln 'sport = :8080')"
up "http://127.0.0.1:8080/hostname"
check_eq "reached from 127.0.0.1:8080" "200" "$(get http://127.0.0.1:8080/hostname)"
up "http://10.66.0.1:8080/hostname"
check_eq "and from another address of the host" "200" "$(get http://10.66.0.1:8080/hostname)"
check_match "lab status lists the forward" "Forwards: +0.0.0.0:8080/tcp -> 172\.[0-9.]+:80" "$(u1 lab status)"
check "127.0.0.1:8081:80" u1 run -d --name loc -p 127.0.0.1:8081:80 busybox httpd -f -p 80 -h /etc
up "http://127.0.0.1:8081/hostname"
check_eq "127.0.0.1-bound: reached on 127.0.0.1 (control)" "200" "$(get http://127.0.0.1:8081/hostname)"
check_eq "and not on the host's other address" "000" "$(get http://10.66.0.1:8081/hostname)"
check "-P" u1 run -d --name anyp -P --expose 80 busybox httpd -f -p 80 -h /etc
pport=$(u1 port anyp 80 | head -1 | sed 's/.*://')
check_match "-P: port shows the host port" '^[0-9]+$' "$pport"
up "http://127.0.0.1:$pport/hostname"
check_eq "-P: reached on the real host at that port" "200" "$(get "http://127.0.0.1:$pport/hostname")"
check_match "-P: ps shows it" "0.0.0.0:$pport->80/tcp" "$(u1 ps --format '{{.Ports}}' -f name=anyp)"
check "stop" u1 stop -t 1 pub
check_eq "after stop the listener is gone" "" "$(ss -Htln 'sport = :8080')"
check_eq "and a connection is refused" "000" "$(get http://127.0.0.1:8080/hostname)"
check "start again" u1 start pub
up http://127.0.0.1:8080/hostname
check_eq "published again after start" "200" "$(get http://127.0.0.1:8080/hostname)"
check "rm -f" u1 rm -f pub loc
check_eq "after rm no listener on 8080 or 8081" "" "$(ss -Htln 'sport = :8080 or sport = :8081')"
up "http://127.0.0.1:$pport/hostname"
check_eq "and the -P one still works" "200" "$(get "http://127.0.0.1:$pport/hostname")"
u1 rm -f anyp >/dev/null
check "a container that ends on its own" \
        u1 run -d --name brief -p 8097:80 busybox sh -c 'httpd -p 80 -h /etc; sleep 6'
up http://127.0.0.1:8097/hostname
check_eq "published while it runs (control)" "200" "$(get http://127.0.0.1:8097/hostname)"
wait_until 15 sh -c "! ss -Htln 'sport = :8097' | grep -q ."
check_eq "its death takes the listener" "false " \
        "$(u1 inspect -f '{{.State.Running}}' brief) $(ss -Htln 'sport = :8097')"
u1 rm brief >/dev/null
check "a container to kill" u1 run -d --name killme -p 8098:80 busybox httpd -f -p 80 -h /etc
up "http://127.0.0.1:8098/hostname"
check_eq "published (control)" "200" "$(get http://127.0.0.1:8098/hostname)"
u1 kill killme >/dev/null
wait_until 10 sh -c "! ss -Htln 'sport = :8098' | grep -q ."
check_eq "kill takes the listener" "" "$(ss -Htln 'sport = :8098')"
u1 rm killme >/dev/null
check_error "a port below ip_unprivileged_port_start: refused naming the sysctl" \
        "port 80/tcp: ports below 1024 are privileged (net.ipv4.ip_unprivileged_port_start = 1024)" \
        u1 run -d --name priv -p 80:80 busybox true
check_status "and run exits 125" 125 u1 run -d --name priv -p 80:80 busybox true
check_eq "and leaves nothing: no container" "" "$(u1 ps -a -q -f name=priv)"
check_eq "no listener" "" "$(ss -Htln 'sport = :80')"
sysctl -qw net.ipv4.ip_unprivileged_port_start=80
check "with the sysctl lowered, port 80 publishes (control)" u1 run -d --name priv -p 80:80 busybox httpd -f -p 80 -h /etc
up "http://127.0.0.1:80/hostname"
check_eq "and is reached" "200" "$(get http://127.0.0.1:80/hostname)"
u1 rm -f priv >/dev/null
sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
check "4242 publishes 8090" u1 run -d --name first -p 8090:80 busybox httpd -f -p 80 -h /etc
check_error "4243 cannot: the message names the user holding it" \
        "port 8090/tcp is held by a listening host process: a process of user nlstudent1 (uid $U1)" \
        u2 run -d --name second -p 8090:80 busybox httpd -f -p 80 -h /etc
check_eq "and 4243 has no container left of it" "" "$(u2 ps -a -q -f name=second)"
check "4243 on 8091 works (control)" u2 run -d --name second -p 8091:80 busybox httpd -f -p 80 -h /etc
up http://127.0.0.1:8090/hostname
up http://127.0.0.1:8091/hostname
check_eq "both reached" "200 200" "$(get http://127.0.0.1:8090/hostname) $(get http://127.0.0.1:8091/hostname)"
u2 rm -f second >/dev/null
u1 rm -f first >/dev/null
check "create with -p 8099 (free now)" u1 create --name late -p 8099:80 busybox httpd -f -p 80 -h /etc
setpriv --reuid $U2 --regid $U2 --clear-groups busybox nc -l -p 8099 >/dev/null 2>&1 &
taker=$!
wait_until 5 sh -c "ss -Htln 'sport = :8099' | grep -q ."
check_error "taken on the real host before start: start fails naming the holder" \
        "port 8099/tcp is held by a listening host process: a process of user nlstudent2 (uid $U2)" \
        u1 start late
# the aborted shim records the exit once the failed start lets go of the state lock
for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ "$(u1 inspect -f '{{.State.Running}}' late)" = false ] && break
        sleep 0.5
done
check_eq "and leaves nothing: not running" "false" "$(u1 inspect -f '{{.State.Running}}' late)"
check_eq "no DNAT element in the lab host" "" "$(u1 lab shell nft list ruleset | grep 8099)"
check_match "no forward in the keeper" "Forwards: +none" "$(u1 lab status)"
kill $taker
wait $taker 2>/dev/null
check "once it is free, start works (control)" u1 start late
check_match "and publishes" ":8099 .*-> 172\.[0-9.]+:80 .*|8099" "$(u1 lab shell nft list ruleset | grep 8099)"
u1 rm -f late >/dev/null

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
out=$(u1 scenario run --keep "$scen" 2>&1)
enter=$(echo "$out" | grep -A1 "Enter it with" | tail -1 | sed 's/^ *//; s/ sh$/ ip -o link/')
check_match "scenario run --keep: the hint enters the kept lab through lab shell" \
        "lab shell nsenter -t [0-9]+ " "$enter"
check_match "and it works: the kept lab's own bridge" "br-" "$(as $U1 bash -c "$enter")"
for hint in "$(echo "$out" | grep -A1 "End it with" | tail -1)" "$(echo "$out" | grep ' kill ')"; do
        as $U1 bash -c "$hint" >/dev/null 2>&1
done
check_eq "and the hint to end it leaves nothing of it" "" "$(echo "$out" | grep -o '/tmp/netlab-lab[^ ]*' | head -1 | xargs ls -d 2>/dev/null)"

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
# the init of a pid namespace lingers while the kernel kills the rest of it: the next command comes after
for _ in $(seq 50); do [ -e "/proc/$inner" ] || break; sleep 0.1; done
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
check_match "and with --user NAME-or-UID" "look" "$("$NETLAB" --user $U1 ps)"
# the file is the student's: its run line names the container, check runs none of it
printf 'run -d --name look --net=none busybox sleep 300\nexpect look has-interface lo = 127.0.0.1/8\n' >/tmp/look.lab
check "root checks the student's live lab: scenario check holds" \
        "$NETLAB" --user $U1 scenario check /tmp/look.lab
printf 'run -d --name look --net=none busybox sleep 300\nexpect look has-interface eth0\n' >/tmp/nolook.lab
out=$("$NETLAB" --user $U1 scenario check /tmp/nolook.lab 2>&1)
check_match "and fails where the lab does not match (--net=none: no eth0)" \
        "FAIL.*expect look has-interface eth0" "$out"
out=$("$NETLAB" --user 4299 ps 2>&1)
check_match "--user of a user without a lab says so" \
        "^netlab: error: --user 4299: no lab \\(neither /run/user/4299/netlab nor /tmp/netlab-4299\\)" "$out"
out=$(u1 --user 0 ps 2>&1)
check_match "--user is for root only" "^netlab: error: --user 0: only root looks into another user's lab" "$out"
check "4242: lab down" u1 lab down

# --- egress through the user-mode stack --------------------------------------------------------
# A test host "on the internet" (the sandbox routes to it), an HTTP server and a fake DNS upstream
# on it, named by the sandbox's resolv.conf as the host's resolver.
make_external inet 10.99.0.1 10.99.0.2
ip route add default via 10.99.0.2
# the server closes first: pasta 0.0~git20230309 loses a server's FIN after the client's
in_ext inet sh -c 'while :; do echo answer | busybox nc -l -p 7000 >/dev/null 2>&1; done' &
FAKE=$(dirname "$NETLAB")/../tests/tools/fake_upstream
in_ext inet "$FAKE" 10.99.0.2 >/dev/null 2>&1 &
echo "nameserver 10.99.0.2" >/run/netlab-test/resolv.conf
mount --bind /run/netlab-test/resolv.conf /etc/resolv.conf
egress_ok() {
        [ "$(u1 run --rm --net "$1" busybox sh -c 'sleep 2 | nc -w 4 10.99.0.2 7000')" = answer ]
}
wait_until 5 sh -c "[ \"\$(sleep 1 | nc -w 3 10.99.0.2 7000)\" = answer ]"
check_eq "the test host answers from the sandbox (control)" "answer" "$(sleep 1 | nc -w 3 10.99.0.2 7000)"
u1 lab down >/dev/null 2>&1
# The stacks open /dev/net/tun as the user: a node of each mode, private to the sandbox (this
# host's is 0600, Debian's default 0666).
mknod -m 600 /run/netlab-test/tun600 c 10 200
mknod -m 666 /run/netlab-test/tun666 c 10 200
mount --bind /run/netlab-test/tun600 /dev/net/tun
check_match "/dev/net/tun closed to the user: one note line says what that costs" \
        "netlab: note: no egress: /dev/net/tun is not readable and writable .*containers cannot reach the outside network; the lab itself works" \
        "$(u1 ps 2>&1)"
check_match "lab status says so" "Egress: +none: no egress: /dev/net/tun" "$(u1 lab status)"
check "the lab itself works" u1 run --rm busybox true
check_fails "but a container cannot reach the test host" egress_ok bridge
u1 lab down >/dev/null
umount /dev/net/tun
mount --bind /run/netlab-test/tun666 /dev/net/tun
if command -v pasta >/dev/null; then
        check_eq "with pasta: no egress note when the lab host starts" "" "$(u1 ps 2>&1 | grep 'no egress')"
        u1 network create labnet --subnet 10.77.0.0/24 >/dev/null
        check_match "lab status names the stack" "Egress: +pasta \(pid [0-9]+\)" "$(u1 lab status)"
        check "pasta: a container reaches the test host through the lab host's NAT" egress_ok bridge
        check "pasta: and from a user network" egress_ok labnet
        check_match "pasta: netlab-dns in the lab host forwards to the host's resolver" \
                "198\.51\.100\.7" "$(u1 run --rm --net labnet busybox nslookup www.example 2>&1)"
        u1 lab down >/dev/null
        wait_until 5 sh -c "! pgrep -u $U1 passt >/dev/null"
        check_eq "lab down: pasta is gone too" "" "$(pgrep -u $U1 passt)"
else
        ok "# SKIP pasta not installed"
fi
if command -v slirp4netns >/dev/null; then
        check_match "slirp4netns forced: lab status names it" "Egress: +slirp4netns \(pid [0-9]+\)" \
                "$(as $U1 NETLAB_EGRESS=slirp4netns "$NETLAB" ps >/dev/null 2>&1; u1 lab status)"
        check "slirp4netns: a container reaches the test host" egress_ok bridge
        u1 lab down >/dev/null
else
        ok "# SKIP slirp4netns not installed"
fi
# A host whose resolver is on its loopback (systemd-resolved's 127.0.0.53): out of the lab host's
# reach, so the lab host asks the stack's DNS forwarder, which passes the query to it.
"$FAKE" 127.0.0.1 --answer 198.51.100.9 >/dev/null 2>&1 &
echo "nameserver 127.0.0.1" >/run/netlab-test/resolv.conf
for tool in pasta slirp4netns; do
        if ! command -v $tool >/dev/null; then
                ok "# SKIP $tool not installed"
                continue
        fi
        as $U1 NETLAB_EGRESS=$tool "$NETLAB" network create labnet --subnet 10.77.0.0/24 >/dev/null 2>&1
        check_eq "$tool, loopback resolver: the lab host's resolv.conf names the stack's forwarder" \
                "nameserver 10.0.2.3" "$(u1 lab shell cat /etc/resolv.conf)"
        check_match "$tool, loopback resolver: a container's name lookup reaches it" \
                "198\.51\.100\.9" "$(u1 run --rm --net labnet busybox nslookup www.example 2>&1)"
        u1 lab down >/dev/null
done
check_eq "the host's own resolv.conf is untouched" "nameserver 127.0.0.1" "$(cat /etc/resolv.conf)"
check_match "neither stack: one note line says what that costs" \
        "netlab: note: no egress: neither pasta .* nor slirp4netns is installed.*the lab itself works" \
        "$(as $U1 PATH=/nonexistent "$NETLAB" ps 2>&1)"
check "and the lab works" u1 run --rm busybox true
u1 lab down >/dev/null

# --- the keeper killed takes its listeners and its stack with it ----------------------------
check "a published container" u1 run -d --name kp -p 8095:80 busybox httpd -f -p 80 -h /etc
up "http://127.0.0.1:8095/hostname"
check_eq "reached (control)" "200" "$(get http://127.0.0.1:8095/hostname)"
kill -9 "$(awk '{print $1}' /run/user/$U1/netlab/keeper.pid)"
wait_until 5 sh -c "! ss -Htln 'sport = :8095' | grep -q ."
check_eq "SIGKILL of the keeper: its listener is gone" "" "$(ss -Htln 'sport = :8095')"
wait_until 5 sh -c "! pgrep -u $U1 passt >/dev/null"
check_eq "and its egress stack" "" "$(ps -u $U1 -o stat=,comm= | awk '$1 !~ /^Z/ && /passt|slirp/')"
check_match "the next command notices" "was gone: 1 container was removed" "$(u1 ps 2>&1)"
check "the port publishes again in the new lab host" u1 run -d --name kp -p 8095:80 busybox httpd -f -p 80 -h /etc
up "http://127.0.0.1:8095/hostname"
check_eq "and is reached" "200" "$(get http://127.0.0.1:8095/hostname)"
u1 lab down >/dev/null
wait_until 5 sh -c "[ -z \"\$(ps -u $U1 -o stat= | grep -v '^Z')\" ]"
check_eq "lab down: no keeper, forwarder or egress process of 4242 left" "" \
        "$(ps -u $U1 -o stat=,comm= | awk '$1 !~ /^Z/')"

# --- root mode, and user namespaces disabled -------------------------------------------------
check_match "root mode: lab status describes root mode" "Mode: +root" "$(nl lab status)"
check_error "root mode: lab shell says there is no lab host" "root mode has no lab host" nl lab shell
mkdir -p /run/netlab-test/nouserns
check_error "user.max_user_namespaces=0: one line naming the sysctl and the fix" \
        "user.max_user_namespaces=0 forbids them (fix, as root: sysctl -w user.max_user_namespaces=" \
        unshare --user --map-root-user sh -c \
        "echo 0 > /proc/sys/user/max_user_namespaces && '$NETLAB' --rootless --root /run/netlab-test/nouserns ps"
finish
