# Containers with none and host networking: every lifecycle command, observed from outside.
. "$NETLAB_TESTLIB"

check_status "run --rm exits with the container's code" 7 nl run --rm --network none busybox sh -c 'exit 7'
links=$(nl run --rm --network none busybox cat /proc/net/dev | tail -n +3 | awk -F: '{gsub(/ /,"",$1); print $1}')
check_eq "--network none has only lo" "lo" "$links"
check_match "lo is up with 127.0.0.1" "inet 127.0.0.1/8" "$(nl run --rm --network none busybox ip addr show lo)"
host_ns=$(readlink /proc/self/ns/net)
check_eq "--network host shares the host's netns" "$host_ns" "$(nl run --rm --network host busybox readlink /proc/self/ns/net)"
check_eq "the command is PID 1 in a new pid namespace" "1" "$(nl run --rm --net=none busybox sh -c 'echo $$')"
# uts and ipc: the sandbox has its own of both, so the test may change them.
hostname labhost
check_eq "a container may change its own hostname (with SYS_ADMIN)" "evil" \
        "$(nl run --rm --net=none --cap-add SYS_ADMIN busybox sh -c 'hostname evil && hostname')"
check_eq "new uts namespace: the lab host's hostname is unchanged" "labhost" "$(hostname)"
ipcmk -M 4096 >/dev/null
check_eq "the lab host lists its SysV shared memory segment" "2" "$(wc -l </proc/sysvipc/shm)"
check_eq "new ipc namespace: a container lists none of the host's" "1" \
        "$(nl run --rm --net=none busybox cat /proc/sysvipc/shm | wc -l)"
check_eq "--hostname sets the hostname" "lab1" "$(nl run --rm --net=none --hostname lab1 busybox hostname)"
check_eq "/etc/hostname follows --hostname" "lab1" "$(nl run --rm --net=none -h lab1 busybox cat /etc/hostname)"

# Docker's default capability set: CapEff 00000000a80425fb.
check_match "Docker's default capabilities" "CapEff:\s+00000000a80425fb" "$(nl run --rm --net=none busybox cat /proc/self/status)"
check_match "no_new_privs is set" "NoNewPrivs:\s+1" "$(nl run --rm --net=none busybox cat /proc/self/status)"
check_fails "without NET_ADMIN, ip link set fails" nl run --rm --net=none busybox ip link set lo down
check "--cap-add NET_ADMIN allows it" nl run --rm --net=none --cap-add NET_ADMIN busybox ip link set lo down
check "--privileged keeps every capability" nl run --rm --net=none --privileged busybox ip link add br9 type bridge
check_fails "--cap-drop NET_RAW stops ping sockets" nl run --rm --net=none --cap-drop NET_RAW busybox ping -c1 -W1 127.0.0.1
check_fails "/sys is read-only" nl run --rm --net=none busybox touch /sys/x
check_eq "/dev is minimal" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero" "$(nl run --rm --net=none busybox ls /dev | tr '\n' ' ' | sed 's/ $//')"
check_eq "/proc is the container's own" "1" "$(nl run --rm --net=none busybox sh -c 'ls /proc | grep -c "^[0-9]*$"' | tr -d ' ' | awk '{print ($1<=3)?1:0}')"

# Environment, working directory, volumes, hosts and resolv.conf.
export FROM_HOST=hostval
check_eq "-e sets and copies variables" "v1 hostval" "$(nl run --rm --net=none -e K1=v1 -e FROM_HOST busybox sh -c 'echo $K1 $FROM_HOST')"
check_eq "-w sets the working directory" "/srv/app" "$(nl run --rm --net=none -w /srv/app busybox pwd)"
vol=$(mktemp -d); echo data > "$vol/f"
check_eq "-v bind-mounts a host directory" "data" "$(nl run --rm --net=none -v "$vol:/mnt/v" busybox cat /mnt/v/f)"
check_fails "-v :ro is read-only" nl run --rm --net=none -v "$vol:/mnt/v:ro" busybox touch /mnt/v/g
nl run --rm --net=none -v "$vol:/mnt/v" busybox touch /mnt/v/g
check "-v rw writes through" test -f "$vol/g"
check_match "--add-host adds a hosts line" "10.1.2.3	db" "$(nl run --rm --net=none --add-host db:10.1.2.3 busybox cat /etc/hosts)"
check_match "/etc/hosts starts with localhost" "^127.0.0.1	localhost" "$(nl run --rm --net=none busybox cat /etc/hosts)"
resolv=$(nl run --rm --net=none --dns-search lab.example --dns-option ndots:2 busybox cat /etc/resolv.conf)
check_match "--dns-search shapes resolv.conf" "search lab.example" "$resolv"
check_match "--dns-option shapes resolv.conf" "options.*ndots:2" "$resolv"

# Detached containers: ps, logs, exec, inspect, stop, start, restart, kill, rm.
id=$(nl run -d --name web --net=none -l tier=front busybox sh -c 'echo started; exec sleep 1000')
check_match "run -d prints a 64-hex id" "^[0-9a-f]{64}$" "$id"
check_eq "the hostname defaults to the short id" "${id:0:12}" "$(nl exec web hostname)"
wait_until 5 sh -c "nl logs web | grep -q started"
check_eq "logs shows the output" "started" "$(nl logs web)"
check_match "ps lists it as Up" "web" "$(nl ps)"
check_eq "ps -q prints the short id" "${id:0:12}" "$(nl ps -q)"
check_eq "ps --filter name=" "${id:0:12}" "$(nl ps -q --filter name=web)"
check_eq "ps --filter label=" "${id:0:12}" "$(nl ps -q --filter label=tier=front)"
check_eq "ps --filter status=exited excludes it" "" "$(nl ps -aq --filter status=exited)"
check_match "ps --format json" '"Names":"web"' "$(nl ps --format json)"
check_eq "a unique id prefix finds it" "web" "$(nl ps --filter id=${id:0:5} --format '{{.Names}}')"
check_match "inspect is a Docker-shaped array" '"Running": true' "$(nl inspect web)"
pid=$(nl inspect web | grep -m1 '"Pid"' | tr -dc 0-9)
check "inspect's Pid is the real process" test -d /proc/$pid
check "the netns is named in the state root" nsenter --net=$NETLAB_ROOT/netns/$id true
check_eq "exec runs in the container" "1000" "$(nl exec web sh -c 'cat /proc/1/cmdline | tr "\0" " " | awk "{print \$2}"')"
check_eq "exec -e and -w" "x /tmp" "$(nl exec -e A=x -w /tmp web sh -c 'echo $A $(pwd)')"
check_eq "exec -i passes stdin" "hi" "$(echo hi | nl exec -i web cat)"
check_eq "exec without -i gives /dev/null" "" "$(echo hi | nl exec web cat)"
check_eq "run -i passes stdin" "hey" "$(echo hey | nl run --rm -i --net none busybox cat)"
check_eq "run without -i gives /dev/null" "" "$(echo hey | nl run --rm --net none busybox cat)"
check_status "exec passes the exit code" 3 nl exec web sh -c 'exit 3'
check_status "exec of a missing command exits 127" 127 nl exec web nosuchcmd
check_status "exec of a non-executable exits 126" 126 nl exec web /etc/hosts
check_status "stop -t 1 stops it" 0 nl stop -t 1 web
check_match "stopped: Exited (137)" "Exited \(137\)" "$(nl ps -a --filter name=web)"
check_status "exec into a stopped container fails with 125" 125 nl exec web true
check_fails "the netns name is gone after stop" nsenter --net=$NETLAB_ROOT/netns/$id true
check "start brings it back" nl start web
check_match "Up again" "Up" "$(nl ps --filter name=web --format '{{.Status}}')"
check "restart works" nl restart -t 0 web
check_match "Up after restart" "Up" "$(nl ps --filter name=web --format '{{.Status}}')"
check "kill -s TERM is delivered (sh ignores it as PID 1, so it stays up)" nl kill -s TERM web
check "kill (SIGKILL)" nl kill web
check_match "killed: Exited (137)" "Exited \(137\)" "$(nl ps -a --filter name=web --format '{{.Status}}')"
nl start web >/dev/null
check_status "rm of a running container is refused (exit 1)" 1 nl rm web
check "rm -f removes it" nl rm -f web
check_eq "nothing left in ps -a" "" "$(nl ps -aq)"

# Bad input: one clear line, the right exit code, nothing left behind.
nl run -d --name dup --net=none busybox sleep 1000 >/dev/null
check_status "duplicate name exits 125" 125 nl run --name dup --net=none busybox true
check_match "duplicate name names the holder" "already in use" "$(nl run --name dup --net=none busybox true 2>&1)"
check_status "unknown image exits 125" 125 nl run --net=none nosuchimage true
check_match "unknown image message" "^netlab: error: unable to find image \"nosuchimage\"" "$(nl run --net=none nosuchimage 2>&1)"
check_status "command not found exits 127" 127 nl run --net=none busybox nosuchcmd
check_status "not executable exits 126" 126 nl run --net=none busybox /etc/hosts
check_status "bad flag exits 125" 125 nl run --bogus busybox
check_status "bad capability exits 125" 125 nl run --net=none --cap-add NOPE busybox true
check_status "relative volume exits 125" 125 nl run --net=none -v rel:/x busybox true
check_status "bad --add-host exits 125" 125 nl run --net=none --add-host nocolon busybox true
check_status "missing image argument exits 125" 125 nl run
check_status "unknown container exits 1" 1 nl stop nosuch
check_eq "only the dup container remains" "1" "$(ls $NETLAB_ROOT/containers | wc -l)"
check_status "non-root gets a clear error" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$NETLAB" ps
nl rm -f dup >/dev/null

# SIGKILL of the shim: ps -a tells the truth and rm -f cleans everything.
id=$(nl run -d --name victim --net=none busybox sleep 1000)
shim=$(grep -o '"ShimPid":[0-9]*' $NETLAB_ROOT/containers/$id/state.json | tr -dc 0-9)
kill -9 "$shim"
wait_until 5 sh -c "! nsenter --net=$NETLAB_ROOT/netns/$id true 2>/dev/null || true"
check_match "after the shim is killed ps -a shows it exited" "Exited" "$(nl ps -a --filter name=victim --format '{{.Status}}')"
check "rm -f cleans up" nl rm -f victim
check_eq "no netns mount left" "" "$(grep netlab-test/root/netns /proc/mounts || true)"
check_fails "nor its netns link" test -L "$NETLAB_ROOT/netns/$id"
check_eq "no container process left" "" "$(pgrep -x sleep || true)"

# Reading a record never tears anything down: after the shim of a bridge container is killed,
# inspect and network inspect leave its record and its netns alone; ps does the teardown.
id=$(nl run -d --name reader busybox sleep 1000)
pid=$(grep -o '"Pid":[0-9]*' $NETLAB_ROOT/containers/$id/state.json | tr -dc 0-9)
kill -9 "$(grep -o '"ShimPid":[0-9]*' $NETLAB_ROOT/containers/$id/state.json | tr -dc 0-9)"
wait_until 5 sh -c "! kill -0 $pid 2>/dev/null"
check_match "inspect reports the container exited (137)" "exited 137" "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' reader)"
nl network inspect bridge >/dev/null
check_match "but inspect and network inspect did not record it" '"Status":"running"' "$(cat $NETLAB_ROOT/containers/$id/state.json)"
check "nor remove its netns link" test -L "$NETLAB_ROOT/netns/$id"
check_match "ps -a shows Exited (137)" "Exited \(137\)" "$(nl ps -a --filter name=reader --format '{{.Status}}')"
check_match "ps recorded the exit" '"Status":"exited"' "$(cat $NETLAB_ROOT/containers/$id/state.json)"
check_fails "and removed its netns link" test -L "$NETLAB_ROOT/netns/$id"
nl rm reader >/dev/null

# SIGKILL of the container's process.
id=$(nl run -d --name k9 --net=none busybox sleep 1000)
kill -9 "$(nl inspect k9 | grep -m1 '"Pid"' | tr -dc 0-9)"
wait_until 5 sh -c "nl ps -a --filter name=k9 --format '{{.Status}}' | grep -q Exited"
check_match "a killed container shows Exited (137)" "Exited \(137\)" "$(nl ps -a --filter name=k9 --format '{{.Status}}')"
nl rm k9 >/dev/null

# An interactive shell on a pty: Ctrl-D or exit ends it with its code.
out=$(printf 'echo tty-$((6*7))\nexit 5\n' | script -qec "$NETLAB run -it --rm --net=none busybox sh" /dev/null; echo "code=$?")
check_match "run -it gives a working shell" "tty-42" "$out"
check_match "run -it returns the shell's exit code" "code=5" "$out"
check_eq "run -t allocates a terminal" "yes" "$(script -qec "$NETLAB run -t --rm --net=none busybox sh -c 'test -t 0 && echo yes'" /dev/null | tr -d '\r')"

check_eq "images lists busybox and host" "busybox host" "$(nl images | awk 'NR>1{print $1}' | tr '\n' ' ' | sed 's/ $//')"

# Issue 11: Docker idioms. inspect's top-level address fields come from the default bridge only.
nl run -d --name idb busybox sleep 1d >/dev/null
nl network create idnet >/dev/null
nl run -d --name idu --net idnet busybox sleep 1d >/dev/null
check_eq "control: the bridge endpoint has the address" "$(nl exec idb ip -o -4 addr show eth0 | awk '{print $4}')" \
        "$(nl inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}/{{.NetworkSettings.Networks.bridge.IPPrefixLen}}' idb)"
check_eq "inspect .NetworkSettings.IPAddress/.IPPrefixLen on the default bridge" "$(nl exec idb ip -o -4 addr show eth0 | awk '{print $4}')" \
        "$(nl inspect -f '{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}}' idb)"
check_eq ".Gateway is the default route" "$(nl exec idb ip route | awk '/^default/{print $3}')" "$(nl inspect -f '{{.NetworkSettings.Gateway}}' idb)"
check_eq ".MacAddress is eth0's" "$(nl exec idb cat /sys/class/net/eth0/address)" "$(nl inspect -f '{{.NetworkSettings.MacAddress}}' idb)"
check_eq "a user-network container leaves them empty, as Docker does" "[] [] 0" \
        "$(nl inspect -f '[{{.NetworkSettings.IPAddress}}] [{{.NetworkSettings.Gateway}}] {{.NetworkSettings.IPPrefixLen}}' idu)"

# top: the container's processes with ps -ef's columns, and nothing from outside it.
nl exec -d idb sleep 4343
sleep 4141 & hostsleep=$!
wait_until 5 sh -c "pgrep -f 'sleep 4343' >/dev/null"
top=$(nl top idb)
check_eq "top prints ps -ef's header" "UID PID PPID C STIME TTY TIME CMD" "$(echo "$top" | head -1 | tr -s ' ')"
check_eq "top lists the main process by its host pid" "root $(nl inspect -f '{{.State.Pid}}' idb) sleep 1d" \
        "$(echo "$top" | awk '$8=="sleep" && $9=="1d"{print $1, $2, $8, $9}')"
check_match "and an exec'd process" "sleep 4343" "$top"
check "control: the host's own sleep runs" kill -0 "$hostsleep"
check_fails "but top does not list it" sh -c "echo '$top' | grep -q 'sleep 4141'"
kill "$hostsleep"
check_eq "top of an unknown container exits 1 and says so" "netlab: error: no such container: nosuch code=1" "$(nl top nosuch 2>&1 | tr '\n' ' '; echo "code=${PIPESTATUS[0]}")"
nl create --name idc busybox true >/dev/null
check_match "top of a created container says it is not running" "container idc is not running" "$(nl top idc 2>&1)"

# version and info.
check_eq "version -f prints netlab's version and the kernel" "0.1.0 $(uname -r)" "$(nl version -f '{{.Server.Version}} {{.Server.KernelVersion}}')"
check_match "version has a client and a server block" "^Client:.*Server: netlab" "$(nl version | tr '\n' ' ')"
check_eq "info counts running, paused and stopped containers" "3 2 0 1" \
        "$(nl info -f '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}')"
cgv=1; [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && cgv=2
check_eq "info's cgroup version is the host's" "$cgv" "$(nl info -f '{{.CgroupVersion}}')"
info=$(nl info)
check_match "info names the state root" "Root Dir: $NETLAB_ROOT\$" "$info"
check_match "info names the kernel" "Kernel Version: $(uname -r)" "$info"
check_match "info lists seccomp" "^  seccomp" "$info"
check_match "info says netlab's nftables table exists" "table inet netlab: present" "$info"
nl rm -f idb idu idc >/dev/null
nl network rm idnet >/dev/null

# --help creates and touches nothing, not even the state root; container arguments stay theirs.
check "control: a command creates a missing state root" sh -c "$NETLAB --root /run/helpctl ps >/dev/null && test -d /run/helpctl"
for c in "run" "create" "exec" "start" "network connect" "network" "ps" "top" "info" "version" "system"; do
        rm -rf /run/nohelp
        check "$c --help prints help and creates no state root" sh -c "$NETLAB --root /run/nohelp $c --help | grep -q '^Usage: netlab $c' && test ! -e /run/nohelp"
done
check_eq "run IMAGE CMD --help passes --help to the command" "--help" "$(nl run --rm --net none busybox echo --help)"
check "a non-root user gets run --help" setpriv --reuid=65534 --regid=65534 --clear-groups "$NETLAB" run --help
finish
