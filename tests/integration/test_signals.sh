# Ctrl-C in class: signals to a foreground run or exec reach the command, --init as pid 1
# (netlab-init: relays signals, reaps orphans), and -p with --network host warns as Docker does.
# A Ctrl-C is a SIGINT to the netlab process: "$NETLAB" in the background, never the nl function
# (a bash background job would get it, not netlab).
. "$NETLAB_TESTLIB"

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
running() { [ "$("$NETLAB" inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
has_proc() { pgrep -xf "$1" >/dev/null; }
# wait_bg SECONDS: wait for the background netlab $bg; code is its exit code, or "hung" (then
# it is killed, so a failing check cannot stall the suite).
wait_bg() {
        local i=0 rc=0
        while kill -0 "$bg" 2>/dev/null && [ $i -lt $(($1 * 20)) ]; do
                sleep 0.05
                i=$((i + 1))
        done
        code=0
        if kill -0 "$bg" 2>/dev/null; then
                kill -9 "$bg"
                code=hung
        fi
        wait "$bg" 2>/dev/null || rc=$?
        [ "$code" = hung ] || code=$rc
}
# sigint_fg NAME PATTERN: SIGINT to the background netlab $bg once PATTERN runs; sets code, ms.
sigint_fg() {
        wait_until 5 has_proc "$2" || not_ok "$1: the command never started"
        local t0
        t0=$(date +%s%N)
        kill -INT "$bg"
        wait_bg 5
        ms=$(ms_since "$t0")
}

nl network create --subnet 10.79.0.0/24 signet >/dev/null

# --- Foreground run without --init: what Docker does. -----------------------------------------
"$NETLAB" run --rm --net signet busybox sh -c 'trap "exit 7" INT; sleep 1201 & wait' &
bg=$!
sigint_fg "control" "sleep 1201"
check_eq "control: SIGINT reaches pid 1 when it handles it (sh with a trap exits 7)" 7 "$code"
"$NETLAB" run --name plain --net signet busybox sleep 1202 &
bg=$!
wait_until 5 has_proc "sleep 1202"
kill -INT "$bg"
sleep 1
check "without --init, sleep as pid 1 ignores SIGINT, as in Docker (still running after 1 s)" running plain
check "... and netlab still waits for it" kill -0 "$bg"
nl kill plain >/dev/null
wait_bg 5
check_eq "... until it is killed (137)" 137 "$code"
nl rm plain >/dev/null

# --- Foreground run with --init. ---------------------------------------------------------------
"$NETLAB" run --init --name withinit --net signet busybox sleep 1203 &
bg=$!
sigint_fg "--init" "sleep 1203"
check_eq "with --init, SIGINT ends the foreground run with 130" 130 "$code"
check_match "... within a second (${ms} ms)" '^([0-9]{1,2}|[0-9]{3})$' "$ms"
check_eq "... and the record says exited 130" "exited 130" "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' withinit)"
check_eq "inspect shows HostConfig.Init" true "$(nl inspect -f '{{.HostConfig.Init}}' withinit)"
nl rm withinit >/dev/null
"$NETLAB" run --init --rm --net signet busybox sleep 1204 &
bg=$!
wait_until 5 has_proc "sleep 1204"
kill -TERM "$bg"
wait_bg 5
check_eq "with --init, SIGTERM ends it with 143" 143 "$code"

nl run -d --init --name stopper --net signet busybox sleep 1214 >/dev/null
t0=$(date +%s%N)
nl stop -t 10 stopper >/dev/null
ms=$(ms_since "$t0")
check_eq "with --init, stop ends sleep at the SIGTERM (143), not at the SIGKILL" "exited 143" \
        "$(nl inspect -f '{{.State.Status}} {{.State.ExitCode}}' stopper)"
check_match "... within two seconds (${ms} ms)" '^1?[0-9]{1,3}$' "$ms"
nl rm stopper >/dev/null

# --- The --init process tree, its binary, a failed exec. ---------------------------------------
tree=$(nl run --rm --init --net signet busybox ps -o pid,ppid,args)
check_match "init is pid 1, shown as Docker's /dev/init -- COMMAND" '^ +1 +0 /dev/init -- ps -o pid,ppid,args$' "$tree"
check_match "the command is init's child" '^ +2 +1 ps -o pid,ppid,args$' "$tree"
check_match "--init works in the read-only host image too" '^ +1 +0 /dev/init -- ps' \
        "$(nl run --rm --init --net signet host ps -o pid,ppid,args)"
check_eq "the command's environment does not carry init's report fd" "" \
        "$(nl run --rm --init --net signet busybox env | grep NETLAB_INIT)"
init_bin=$(dirname "$NETLAB")/../init/netlab-init
sum=$(sha256sum <"$init_bin")
check "control: a container may write its own /dev" nl run --rm --init --net signet busybox sh -c 'echo x >/dev/mine'
check_match "/dev/init is a read-only mount" '^[^ ]+ /dev/init [^ ]+ ro[ ,]' \
        "$(nl run --rm --init --net signet busybox grep ' /dev/init ' /proc/self/mounts)"
check_error "it cannot be written (the host's netlab-init)" "Read-only file system" \
        nl run --rm --init --net signet busybox sh -c 'echo x >/dev/init'
check_fails "... nor remount it writable" \
        nl run --rm --init --net signet busybox mount -o remount,rw,bind /dev/init
check_eq "the host's netlab-init is unchanged" "$sum" "$(sha256sum <"$init_bin")"
out=$(nl run --rm --init --name noexec --net signet busybox nosuchcmd 2>&1)
code=$?
check_eq "--init with a missing command: 127, as without --init" 127 "$code"
check_eq "... with the same error" 'netlab: error: exec: "nosuchcmd": executable file not found in $PATH' "$out"
check_fails "... and no container is left" nl inspect noexec
check_error "a missing netlab-init fails the start, naming NETLAB_INIT_BIN" "NETLAB_INIT_BIN=/nonexistent" \
        env NETLAB_INIT_BIN=/nonexistent "$NETLAB" run --rm --init --net signet busybox true

# --- Orphans: reaped by init, left as zombies by a pid 1 that never waits. ---------------------
zombies() { nl exec "$1" ps -o stat,args | grep -c '^Z'; }
nl run -d --name nozap --net signet busybox sh -c '(sleep 1 &); exec sleep 1205' >/dev/null
check "control: without --init, the orphan stays a zombie of sleep (pid 1)" \
        wait_until 5 sh -c "[ \$($NETLAB exec nozap ps -o stat,args | grep -c '^Z') -ge 1 ]"
nl run -d --init --name reaped --net signet busybox sh -c '(sleep 2 &); exec sleep 1206' >/dev/null
check "with --init, the orphan is reparented to init" \
        wait_until 2 sh -c "$NETLAB exec reaped ps -o ppid,args | grep -Eq '^ +1 sleep 2\$'"
sleep 3
check_eq "... and reaped once it exits (no zombie)" 0 "$(zombies reaped)"
check_match "... while the command still runs under init" '^ +1 sleep 1206$' "$(nl exec reaped ps -o ppid,args)"
nl rm -f nozap reaped >/dev/null

# --- Ctrl-C on exec stops the process it started. ----------------------------------------------
nl run -d --name target --net signet busybox sleep 1207 >/dev/null
"$NETLAB" exec target sleep 1208 &
bg=$!
wait_until 5 has_proc "sleep 1208"
check_match "control: exec's process runs in the container" "sleep 1208" "$(nl exec target ps)"
t0=$(date +%s%N)
kill -INT "$bg"
wait_bg 5
ms=$(ms_since "$t0")
check_eq "SIGINT to exec ends it with 130" 130 "$code"
check_match "... within a second (${ms} ms)" '^([0-9]{1,2}|[0-9]{3})$' "$ms"
check_eq "... and nothing is left running in the container" "" "$(nl exec target ps | grep 'sleep 1208')"
"$NETLAB" exec target sleep 1209 &
bg=$!
wait_until 5 has_proc "sleep 1209"
kill -TERM "$bg"
wait_bg 5
check_eq "SIGTERM to exec ends it with 143" 143 "$code"
check_eq "... and nothing is left running in the container" "" "$(nl exec target ps | grep 'sleep 1209')"
"$NETLAB" exec target sleep 1212 &
bg=$!
wait_until 5 has_proc "sleep 1212"
kill -KILL "$bg"
wait_bg 5
check "a killed exec (SIGKILL) leaves nothing running: its command is hung up" \
        wait_until 2 sh -c "! pgrep -xf 'sleep 1212'"
nl exec -d target sleep 1213 >/dev/null 2>&1 # (in check, its output pipe would stay open)
check "control: the command of exec -d outlives its netlab" wait_until 2 has_proc "sleep 1213"
check "the container itself runs on" running target

# --- -p with --network host. -------------------------------------------------------------------
nl run -d --name pub --net signet -p 18090:80 busybox sleep 1210 >/dev/null
check_eq "control: -p on a bridge claims the host port" "tcp-18090" "$(ls "$NETLAB_ROOT/ports")"
nl rm -f pub >/dev/null
out=$(nl run -d --name hostpub --network host -p 18090:80 busybox sleep 1211 2>&1 >/dev/null)
check_eq "-p with --network host prints Docker's warning, one line" \
        "netlab: warning: Published ports are discarded when using host network mode" "$out"
check "... and goes on: the container runs" running hostpub
check_eq "... with no port claimed" "" "$(ls "$NETLAB_ROOT/ports")"
check_eq "... and none published" "" "$(nl port hostpub)"
out=$(nl create --name hostcreate --net=host -p 18091:80 busybox true 2>&1 >/dev/null)
check_eq "create warns the same way" \
        "netlab: warning: Published ports are discarded when using host network mode" "$out"
nl rm -f hostpub hostcreate >/dev/null
finish
