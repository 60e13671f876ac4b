# State under concurrency and crashes: one lock for every change, claims that survive SIGKILL,
# safe state roots, fsync on disk, joins by pidfd and a non-dumpable exec.
. "$NETLAB_TESTLIB"

# Container processes whose command line is exactly "sleep N" (unique N per test).
count_sleep() { pgrep -xf "sleep $1" | wc -l; }
state_file() { echo "$NETLAB_ROOT/containers/$(nl inspect -f '{{.Id}}' "$1")/state.json"; }

# --- Concurrent starts: exactly one runs, the record says so, and stop stops it. -------------
# Like Docker, starting a running container succeeds and changes nothing.
nl create --name c3 --net=none busybox sleep 1001 >/dev/null
check "control: a single start works" nl start c3
check_eq "control: one container process" 1 "$(count_sleep 1001)"
check_eq "control: starting it again succeeds and starts nothing" "c3 1" "$(nl start c3) $(count_sleep 1001)"
check "control: stop" nl stop -t 1 c3
for round in 1 2 3; do
        for i in 1 2 3; do (nl start c3 >/dev/null 2>"/tmp/start$i.err"; echo $? >"/tmp/start$i.rc") & done
        wait
        check_eq "round $round: all 3 concurrent starts succeed" "0 0 0" \
                "$(cat /tmp/start1.rc /tmp/start2.rc /tmp/start3.rc | tr '\n' ' ' | sed 's/ $//')"
        check_eq "round $round: one container process runs" 1 "$(count_sleep 1001)"
        check_eq "round $round: one shim" 1 "$(pgrep -x netlab-shim | wc -l)"
        check_eq "round $round: the record says running" running "$(nl inspect -f '{{.State.Status}}' c3)"
        check_eq "round $round: the record's pid is that process" "$(pgrep -xf 'sleep 1001')" \
                "$(nl inspect -f '{{.State.Pid}}' c3)"
        nl stop -t 1 c3 >/dev/null
        check_eq "round $round: stop leaves no process" 0 "$(count_sleep 1001)"
        check_eq "round $round: the record says exited" exited "$(nl inspect -f '{{.State.Status}}' c3)"
done
nl rm c3 >/dev/null

# --- Issue 11: a start that fails on a conflict of its own is no lost race: it fails. ---------
id=$(nl network create --subnet 10.78.0.0/24 ownnet)
nl create --name own --net ownnet busybox sleep 1003 >/dev/null
check "control: own starts on its network's bridge" nl start own
nl stop -t 1 own >/dev/null
# as if another state root had made that bridge (netlab marks its bridges with this alias)
ip link set "br-${id:0:12}" alias netlab:/run/elsewhere
check_status "on another root's bridge, start fails (125)" 125 nl start own
check_match "naming that root" "belongs to state root /run/elsewhere" "$out"
own_stopped() { [ "$(nl inspect -f '{{.State.Running}}' own)" = false ]; }
check "and own does not run" wait_until 5 own_stopped
check_eq "no container process is left" 0 "$(count_sleep 1003)"
ip link set "br-${id:0:12}" alias "netlab:$NETLAB_ROOT"
check "with the bridge its own again, the same start works" nl start own
nl rm -f own >/dev/null
nl network rm ownnet >/dev/null

# --- SIGKILL during create: the name, --ip and -p are free again at once. --------------------
nl network create --subnet 10.77.0.0/24 crashnet >/dev/null
mk() { nl create --name crash --net crashnet --ip 10.77.0.50 -p 18080:80 busybox sleep 1002; }
check "control: create with a name, --ip and -p" mk
check_match "control: the name is then taken" "already in use" \
        "$(nl create --name crash --net=none busybox true 2>&1)"
check_match "control: the address is then taken" "10.77.0.50 is already in use" \
        "$(nl create --net crashnet --ip 10.77.0.50 busybox true 2>&1)"
check_match "control: the port is then taken" "port 18080/tcp is already published" \
        "$(nl create --net crashnet -p 18080:80 busybox true 2>&1)"
nl rm crash >/dev/null
for stage in create:record create:name create:ip create:ports create:config; do
        check_status "SIGKILL at $stage kills create" 137 env NETLAB_TEST_CRASH_AT=$stage \
                "$NETLAB" create --name crash --net crashnet --ip 10.77.0.50 -p 18080:80 busybox sleep 1002
        check_eq "after $stage: ps -a shows no half-made container" "" \
                "$(nl ps -a --filter name=crash --format '{{.Names}}')"
        check "after $stage: the same name, --ip and -p work at once" mk
        check_eq "after $stage: exactly one container named crash" crash \
                "$(nl ps -a --filter name=crash --format '{{.Names}}')"
        nl rm crash >/dev/null
done
# rm -f finds a half-made container by name and gives back what it claimed.
check_status "SIGKILL at create:config" 137 env NETLAB_TEST_CRASH_AT=create:config \
        "$NETLAB" create --name crash --net crashnet --ip 10.77.0.50 -p 18080:80 busybox true
check "rm -f removes the half-made container" nl rm -f crash
check_eq "its address claim is gone" "" "$(ls "$NETLAB_ROOT/networks/crashnet/ips")"
check_eq "its port claim is gone" "" "$(ls "$NETLAB_ROOT/ports")"
# A killed network connect leaves an address claim its container never recorded: free again.
nl create --name conn busybox true >/dev/null
check "control: connect with --ip" nl network connect --ip 10.77.0.60 crashnet conn
check_match "control: the address is then taken" "10.77.0.60 is already in use" \
        "$(nl create --net crashnet --ip 10.77.0.60 busybox true 2>&1)"
check "control: disconnect" nl network disconnect crashnet conn
check_status "SIGKILL at connect:ip kills connect" 137 env NETLAB_TEST_CRASH_AT=connect:ip \
        "$NETLAB" network connect --ip 10.77.0.60 crashnet conn
check "after connect:ip: another container gets the address at once" \
        nl create --name conn2 --net crashnet --ip 10.77.0.60 busybox true
nl rm conn2 >/dev/null
check "after connect:ip: the same connect works" nl network connect --ip 10.77.0.60 crashnet conn
nl rm conn >/dev/null
# A real kill -9 at varying moments: afterwards the container is either whole or not there.
for delay in 0 0.002 0.005 0.01 0.02 0.04; do
        "$NETLAB" create --name crash --net crashnet --ip 10.77.0.50 -p 18080:80 busybox true \
                >/dev/null 2>&1 &
        pid=$!
        sleep $delay
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        # A create that finished in time made a whole container: remove that one only.
        if nl inspect crash >/dev/null 2>&1; then nl rm crash >/dev/null; fi
        check "kill -9 after ${delay}s: the same name, --ip and -p work" mk
        nl rm crash >/dev/null
done

# --- State roots: refused when another user owns them or others may write them. -------------
base=/run/netlab-test
mkdir -m 0700 "$base/ok"
check "control: a 0700 root owned by root works" nl --root "$base/ok" ps
mkdir -m 0777 "$base/open"
check_status "a 0777 root is refused (exit 1)" 1 nl --root "$base/open" ps
check_match "the message names the root and the fix" \
        "^netlab: error: state root $base/open is writable by group or others \(mode 0777\): run \"chmod 0700 $base/open\"" \
        "$(nl --root "$base/open" ps 2>&1)"
check_status "run gets 125 from an unsafe root" 125 nl --root "$base/open" run --rm --net=none busybox true
check_eq "nothing was made in it" "" "$(ls "$base/open")"
mkdir -m 0700 "$base/other"
chown 65534:65534 "$base/other"
check_match "a root owned by another uid is refused" \
        "state root $base/other is owned by uid 65534, not by uid 0: run \"chown 0 $base/other" \
        "$(nl --root "$base/other" ps 2>&1)"
check "control: NETLAB_ROOT that is safe works" env NETLAB_ROOT="$base/ok" "$NETLAB" ps
# Reading never writes: network ls and inspect on a fresh root show the predefined networks
# without saving their records; the first container on one saves it with the id they showed.
fresh="$base/fresh"
nl --root "$fresh" ps >/dev/null
check_eq "control: a fresh root lists the predefined networks" "bridge host none" \
        "$(nl --root "$fresh" network ls --format '{{.Name}}' | tr '\n' ' ' | sed 's/ $//')"
bid=$(nl --root "$fresh" network inspect -f '{{.Id}}' bridge)
check_eq "network ls and inspect saved no record" "" "$(ls "$fresh/networks")"
check_eq "and show the same id every time" "$bid" "$(nl --root "$fresh" network inspect -f '{{.Id}}' bridge)"
check "a container on the default bridge runs" nl --root "$fresh" run --rm busybox true
check "which saved the bridge record" test -f "$fresh/networks/bridge/network.json"
check_eq "with the id shown before" "$bid" "$(nl --root "$fresh" network inspect -f '{{.Id}}' bridge)"
# The lock file is opened without following symlinks.
mkdir -m 0700 "$base/lockroot"
ln -s "$base/planted" "$base/lockroot/lock"
check_fails "a lock that is a symlink is refused" nl --root "$base/lockroot" create --net=none busybox true
check_fails "and its target was not created" test -e "$base/planted"
rm "$base/lockroot/lock"
check "control: with a plain lock file, create works" nl --root "$base/lockroot" create --net=none busybox true

# --- fsync: on a disk root every record is synced, on tmpfs nothing is. ----------------------
disk=$(mktemp -d /var/tmp/netlab-state-XXXXXX)
if [ "$(stat -f -c %T "$disk")" != tmpfs ]; then
        strace -f -qq -e trace=fsync -o /tmp/fsync.disk "$NETLAB" --root "$disk/root" create --name d1 --net=none busybox true >/dev/null
        check_match "on disk ($(stat -f -c %T "$disk")): create fsyncs" "fsync" "$(cat /tmp/fsync.disk)"
        strace -f -qq -e trace=fsync -o /tmp/fsync.tmpfs "$NETLAB" create --name t1 --net=none busybox true >/dev/null
        check_eq "on tmpfs: create does not fsync" 0 "$(grep -c fsync /tmp/fsync.tmpfs)"
        "$NETLAB" --root "$disk/root" rm d1 >/dev/null
        nl rm t1 >/dev/null
fi
rm -rf "$disk"

# --- exec and container:NAME join the process by pidfd; exec is non-dumpable first. ---------
nl run -d --name web --net=none busybox sleep 1003 >/dev/null
check_eq "control: exec works" hi "$(nl exec web echo hi)"
strace -f -qq -e trace=prctl,setns,pidfd_open,openat -o /tmp/exec.trace "$NETLAB" exec web true
trace=$(cat /tmp/exec.trace)
check_match "control: the join is observable (setns in the trace)" "setns\(" "$trace"
check_match "exec joins by pidfd" "pidfd_open\(" "$trace"
setns_line=$(grep 'setns(' /tmp/exec.trace | head -1)
for ns in NEWNS NEWUTS NEWIPC NEWPID NEWNET; do
        check_match "one setns through the pidfd joins CLONE_$ns" "CLONE_$ns" "$setns_line"
done
check_eq "no /proc/PID/ns path is opened" "" "$(grep '/ns/' /tmp/exec.trace)"
joiner=$(grep 'setns(' /tmp/exec.trace | head -1 | awk '{print $1}')
first=$(grep -nE "^$joiner +(prctl\(PR_SET_DUMPABLE, SUID_DUMP_DISABLE|setns\()" /tmp/exec.trace | head -1)
check_match "the joining process is non-dumpable before it joins" "PR_SET_DUMPABLE, SUID_DUMP_DISABLE" "$first"
# A record whose pid is no longer the process it names (pid reuse) must not be joined.
sf=$(state_file web)
cp "$sf" /tmp/web.state
jq -c '.PidStart = (.PidStart + 1)' /tmp/web.state >"$sf"
check_match "exec refuses a pid whose start time differs" "container web is not running" "$(nl exec web true 2>&1)"
check_fails "run --network container: refuses it too" nl run --rm --network container:web busybox true
cp /tmp/web.state "$sf"
check_eq "control: with the true record, container:web shares its netns" \
        "$(nl exec web readlink /proc/self/ns/net)" \
        "$(nl run --rm --network container:web busybox readlink /proc/self/ns/net)"
strace -f -qq -e trace=pidfd_open,setns -o /tmp/join.trace "$NETLAB" run --rm --network container:web busybox true
check_match "container:NAME joins by pidfd" "setns\([0-9]+, CLONE_NEWNET\)" "$(cat /tmp/join.trace)"
nl rm -f web >/dev/null

finish
