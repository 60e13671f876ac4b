# The per-container supervisor: an idle container is watched by the small netlab-shim, not by a
# copy of netlab; it still logs, reaps, reports the exit code and tears down through netlab.
. "$NETLAB_TESTLIB"

shim_pid() { awk -F'"ShimPid":' 'NF > 1 {split($2, a, /[,}]/); print a[1] + 0}' "$NETLAB_ROOT/containers/$(nl inspect -f '{{.Id}}' "$1")/state.json"; }

nl network create --subnet 10.78.0.0/24 shimnet >/dev/null

# --- What watches an idle container. ----------------------------------------------------------
nl run -d --name idle --net shimnet busybox sh -c 'echo started; sleep 1101' >/dev/null
pid=$(shim_pid idle)
check "control: the record names a live shim" kill -0 "$pid"
check_match "control: netlab itself links libnl and jansson" "libnl.*|libjansson" "$(ldd "$NETLAB")"
check_eq "the shim runs netlab-shim" netlab-shim "$(basename "$(readlink "/proc/$pid/exe")")"
check_eq "the shim maps neither libnl nor jansson" 0 "$(grep -cE 'libnl|libjansson' "/proc/$pid/maps")"
check_eq "the container's process is the shim's child" "$pid" \
        "$(awk '{print $4}' "/proc/$(nl inspect -f '{{.State.Pid}}' idle)/stat")"
check "detached output still reaches the log" wait_until 5 sh -c "$NETLAB logs idle | grep -qx started"
# What an idle shim keeps for itself (issue 11: at most 0.6 MiB per container in all). Built
# against musl: static glibc dirties about 48 KiB in every process before main, as the
# container's own static busybox shows. Sanitizer builds link glibc and their runtime instead.
private_kib() { awk '/^Anonymous:/{print $2}' "/proc/$1/smaps_rollup"; }
ctr_private=$(private_kib "$(nl inspect -f '{{.State.Pid}}' idle)")
check "control: a static glibc process (the container's busybox) keeps more than 32 KiB private" \
        test "$ctr_private" -gt 32
if grep -qE 'libasan|libubsan|ld-linux' "/proc/$pid/maps"; then
        ok "the idle shim keeps at most 32 KiB private # SKIP sanitizer build"
else
        shim_private=$(private_kib "$pid")
        check "the idle shim keeps at most 32 KiB private (has $shim_private)" test "$shim_private" -le 32
fi

# --- The end: exit code, teardown through netlab, --rm. ----------------------------------------
br=$(nl network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' shimnet)
veth() { ip -o link show master "$br" | wc -l; }
check_eq "control: one container port on the bridge" 1 "$(veth)"
check "stop" nl stop -t 1 idle
check_eq "the shim is gone" 1 "$(kill -0 "$pid" 2>/dev/null; echo $?)"
check "teardown removed the veth" wait_until 5 sh -c "[ \$(ip -o link show master $br | wc -l) = 0 ]"
check_eq "teardown unmounted the netns" "" "$(ls "$NETLAB_ROOT/netns")"
check_eq "the record says exited, 137" "exited 137" "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' idle)"
nl rm idle >/dev/null
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
check_eq "no veth is left" 0 "$(veth)"
check_eq "no process is left" 0 "$(pgrep -xf 'sleep 1102' | wc -l)"

# --- A killed supervisor takes its container with it (PDEATHSIG), and is reconciled. ---------
nl run -d --name orphan --net shimnet busybox sleep 1103 >/dev/null
check_eq "control: the container runs" 1 "$(pgrep -xf 'sleep 1103' | wc -l)"
kill -9 "$(shim_pid orphan)"
check "the container dies with its shim" wait_until 5 sh -c "[ \$(pgrep -xf 'sleep 1103' | wc -l) = 0 ]"
check_eq "the next command records it exited" "exited 137" "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' orphan)"
finish
