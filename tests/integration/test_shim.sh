# The state root's supervisor: idle containers are watched by one small netlab-shim, not by a
# process each; it still logs, reaps, reports the exit code and tears down through netlab.
. "$NETLAB_TESTLIB"

shim_pid() { awk -F'"ShimPid":' 'NF > 1 {split($2, a, /[,}]/); print a[1] + 0}' "$NETLAB_ROOT/containers/$(nl inspect -f '{{.Id}}' "$1")/state.json"; }

nl network create --subnet 10.78.0.0/24 shimnet >/dev/null

# --- What watches idle containers: one small supervisor per state root. ---------------------
nl run -d --name idle --net shimnet busybox sh -c 'echo started; sleep 1101' >/dev/null
pid=$(shim_pid idle)
check "control: the record names a live supervisor" kill -0 "$pid"
check_match "control: netlab itself links libnl and jansson" "libnl.*|libjansson" "$(ldd "$NETLAB")"
check_eq "the supervisor runs netlab-shim" netlab-shim "$(basename "$(readlink "/proc/$pid/exe")")"
check_eq "the supervisor maps neither libnl nor jansson" 0 "$(grep -cE 'libnl|libjansson' "/proc/$pid/maps")"
check_eq "the container's process is the supervisor's child" "$pid" \
        "$(awk '{print $4}' "/proc/$(nl inspect -f '{{.State.Pid}}' idle)/stat")"
check_match "the supervisor is pid 1 of its own pid namespace" "^NSpid:[[:space:]]+$pid[[:space:]]+1\$" \
        "$(grep NSpid "/proc/$pid/status")"
check "detached output still reaches the log" wait_until 5 sh -c "$NETLAB logs idle | grep -qx started"
nl run -d --name idle2 --net shimnet busybox sleep 1104 >/dev/null
check_eq "a second container has the same supervisor" "$pid" "$(shim_pid idle2)"
check_eq "one supervisor process for the root" 1 "$(pgrep -x netlab-shim | wc -l)"
# What the supervisor keeps (issue 11: at most 0.6 MiB per container in all). Built against
# musl: static glibc dirties about 48 KiB in every process before main, as the container's own
# static busybox shows. Sanitizer builds link glibc and their runtime instead.
private_kib() { awk '/^Anonymous:/{print $2}' "/proc/$1/smaps_rollup"; }
ctr_private=$(private_kib "$(nl inspect -f '{{.State.Pid}}' idle)")
check "control: a static glibc process (the container's busybox) keeps more than 32 KiB private" \
        test "$ctr_private" -gt 32
if grep -qE 'libasan|libubsan|ld-linux' "/proc/$pid/maps"; then
        ok "the supervisor keeps at most 64 KiB private # SKIP sanitizer build"
        ok "each further container costs it at most 1 KiB private # SKIP sanitizer build"
else
        before=$(private_kib "$pid")
        # once per root, not per container
        check "the supervisor keeps at most 64 KiB private (has $before)" test "$before" -le 64
        ids=$(for i in $(seq 1 30); do nl run -d --net shimnet busybox sleep 1105; done)
        after=$(private_kib "$pid")
        check "30 more containers cost it at most 30 KiB private (grew $before -> $after)" \
                test $((after - before)) -le 30
        nl rm -f $ids >/dev/null
fi

# --- The end: exit code, teardown through netlab, --rm. ----------------------------------------
br=$(nl network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' shimnet)
veth() { ip -o link show master "$br" | wc -l; }
# the kernel removes a dead netns's veth in its own time
check "control: two container ports on the bridge" wait_until 5 sh -c "[ \$(ip -o link show master $br | wc -l) = 2 ]"
check "stop" nl stop -t 1 idle
check "control: the supervisor stays while it has a container" kill -0 "$pid"
check "stop the last one" nl stop -t 1 idle2
check "the supervisor ends with its last container" wait_until 5 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
check "teardown removed the veth" wait_until 5 sh -c "[ \$(ip -o link show master $br | wc -l) = 0 ]"
check_eq "teardown unmounted the netns" "" "$(ls "$NETLAB_ROOT/netns")"
check_eq "the record says exited, 137" "exited 137" "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' idle)"
nl rm idle idle2 >/dev/null
nl run -d --name three --net shimnet busybox sh -c 'exit 3' >/dev/null
check "a detached exit is recorded" wait_until 5 sh -c "[ \"\$($NETLAB inspect -f '{{.State.Status}} {{.State.ExitCode}}' three)\" = 'exited 3' ]"
check_status "an attached run gets the exit code through the shim" 7 nl run --rm --net shimnet busybox sh -c 'exit 7'
nl run -d --rm --name gone --net shimnet busybox true >/dev/null
check "--rm removes the record at exit" wait_until 5 sh -c "! $NETLAB inspect gone"

# --- A missing supervisor fails the start and leaves nothing behind. --------------------------
check "control: NETLAB_SHIM_BIN pointing at the supervisor works" \
        env NETLAB_SHIM_BIN="$(dirname "$NETLAB")/../shim/netlab-shim" "$NETLAB" run -d --name found --net shimnet -p 18081:80 busybox true
check "control: ... and its container ran and finished" wait_until 5 sh -c "[ \"\$($NETLAB inspect -f '{{.State.Status}} {{.State.ExitCode}}' found)\" = 'exited 0' ]"
nl rm found >/dev/null
out=$(NETLAB_SHIM_BIN=/nonexistent/netlab-shim "$NETLAB" run -d --name lost --net shimnet -p 18081:80 busybox sleep 1102 2>&1)
code=$?
check_eq "without the supervisor, run fails with 125" 125 "$code"
check_match "the error names NETLAB_SHIM_BIN and the path" "NETLAB_SHIM_BIN=/nonexistent/netlab-shim" "$out"
check_fails "no container record is left" nl inspect lost
check_eq "no port claim is left" "" "$(ls "$NETLAB_ROOT/ports")"
# (the kernel removes the veth of found's dead netns in its own time)
check "no veth is left" wait_until 5 sh -c "[ \$(ip -o link show master $br | wc -l) = 0 ]"
check_eq "no process is left" 0 "$(pgrep -xf 'sleep 1102' | wc -l)"

# --- Starts racing with no supervisor running start exactly one. -----------------------------
check_eq "control: no supervisor runs" 0 "$(pgrep -x netlab-shim | grep -v "^$pid\$" | wc -l)"
for i in 1 2 3 4; do nl run -d --name race$i --net shimnet busybox sleep 1106 >/dev/null & done
wait
check_eq "four concurrent starts run four containers" 4 "$(pgrep -xf 'sleep 1106' | wc -l)"
check_eq "... under one supervisor" 1 "$(for i in 1 2 3 4; do shim_pid race$i; done | sort -u | wc -l)"
nl rm -f race1 race2 race3 race4 >/dev/null
check_eq "detached -i: stdin stays open (cat keeps running)" running \
        "$(nl run -di --name cat --net shimnet busybox cat >/dev/null; sleep 0.3; nl inspect -f '{{.State.Status}}' cat)"
nl rm -f cat >/dev/null

# --- A state root whose path is too long for a unix socket's address still gets its supervisor.
long=$(mktemp -d /run/longroot.XXXXXX)/$(printf 'x%.0s' $(seq 1 120)) # /run is the sandbox's
mkdir -m 700 "$long"
check "a state root of ${#long} characters: run -d works" \
        "$NETLAB" --root "$long" run -d --name longroot --net none busybox sleep 1107
check_eq "... under a supervisor" netlab-shim "$(ps -o comm= -p "$(ps -o ppid= -p "$(pgrep -xf 'sleep 1107')" | tr -d ' ')")"
check "... and rm -f ends it" "$NETLAB" --root "$long" rm -f longroot
check "... with its supervisor" wait_until 5 sh -c "[ \$(pgrep -xf 'sleep 1107' | wc -l) = 0 ]"

# --- A killed supervisor takes its containers with it (its pid namespace ends), and the next
# command reconciles them. ----------------------------------------------------------------------
nl run -d --name orphan --net shimnet busybox sleep 1103 >/dev/null
nl run -d --name orphan2 --net shimnet busybox sleep 1103 >/dev/null
check_eq "control: the containers run" 2 "$(pgrep -xf 'sleep 1103' | wc -l)"
kill -9 "$(shim_pid orphan)"
check "the containers die with their supervisor" wait_until 5 sh -c "[ \$(pgrep -xf 'sleep 1103' | wc -l) = 0 ]"
check_eq "the next command records them exited" "exited 137 exited 137" \
        "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' orphan orphan2 | tr '\n' ' ' | sed 's/ $//')"
check "a new start gets a new supervisor" nl run -d --name after --net shimnet busybox true
check "... and its container runs to its end" wait_until 5 sh -c "[ \"\$($NETLAB inspect -f '{{.State.Status}}' after)\" = exited ]"

# --- system reset ends the supervisor, and with it a container whose record was lost. --------
nl run -d --name lostrec --net shimnet busybox sleep 1108 >/dev/null
lost=$(nl inspect -f '{{.Id}}' lostrec)
rm -rf "$NETLAB_ROOT/containers/$lost"
check_eq "control: the container runs without its record" 1 "$(pgrep -xf 'sleep 1108' | wc -l)"
lost_cgroups() { find /sys/fs/cgroup -type d -name "$lost" 2>/dev/null; }
check "control: its cgroups exist" test -n "$(lost_cgroups)"
check "system reset" nl system reset --force
check_eq "no container process is left" 0 "$(pgrep -xf 'sleep 1108' | wc -l)"
check_eq "no cgroup of it is left" "" "$(lost_cgroups)"
check "no supervisor is left" wait_until 5 sh -c "! pgrep -x netlab-shim >/dev/null"
finish
