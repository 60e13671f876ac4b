# Container logs: bounded by default, rotated by --log-opt, read across rotated files (logs,
# --tail, -f), never stalling the container when the disk is full; bad --log-opt values refused.
. "$NETLAB_TESTLIB"
# Not $out: check() in lib.sh sets it.
step() { echo "# $SECONDS s: $*"; }

chatty='i=0; while :; do echo line $i; i=$((i+1)); done'
# counted N [END]: N numbered lines, then END (default: sleep, so the log stays as it is).
counted() { echo "i=0; while [ \$i -lt $1 ]; do echo line \$i; i=\$((i+1)); ${3:-}done; ${2:-exec sleep 1000}"; }
dir_of() { echo "$NETLAB_ROOT/containers/$(nl inspect -f '{{.Id}}' "$1")"; }
# Bytes in all log files now; a file seen twice during a rotation (same inode) counts once.
log_bytes() { stat -c '%i %s' "$1"/log* 2>/dev/null | sort -u -k1,1 | awk '{s += $2} END {print s + 0}'; }
# The largest of several samples while the container writes.
max_log_bytes() {
        local max=0 s i
        for i in 1 2 3 4 5 6 7 8; do
                s=$(log_bytes "$1"); [ "$s" -gt "$max" ] && max=$s; sleep 0.2
        done
        echo "$max"
}
num() { sed -n "${2:-1}s/^line \([0-9]*\)\$/\1/p" <<<"$1"; }
last_num() { tail -n 1 <<<"$1" | sed -n 's/^line \([0-9]*\)$/\1/p'; }
# Every line is "line N" and N goes up by one.
contiguous() { awk '$1 != "line" || (NR > 1 && $2 != n + 1) {bad = 1} {n = $2} END {exit bad}' <<<"$1"; }
tail_is() { [ "$(nl logs --tail 1 "$1")" = "$2" ]; }
running() { [ "$(nl inspect -f '{{.State.Running}}' "$1")" = true ]; }

# Bad values: one error line naming the value, exit 125, nothing created.
bad_opt() {
        local want=$1 code=0 msg; shift
        msg=$(nl run -d --net none "$@" busybox true 2>&1) || code=$?
        check_eq "run $*: exit 125" 125 "$code"
        check_match "run $*: one line naming the value" "^netlab: error: .*$want" "$msg"
        check_eq "run $*: only that line" 1 "$(printf '%s\n' "$msg" | wc -l)"
}
check "a valid --log-opt pair is accepted (control for the refusals below)" \
        nl create --name ok --net none --log-opt max-size=16k --log-opt max-file=2 busybox true
nl rm ok >/dev/null
bad_opt 'max-size="10x": expected a positive size with an optional unit k, m or g' --log-opt max-size=10x
bad_opt 'max-size="0": max-size must be a positive number' --log-opt max-size=0
bad_opt 'max-size="-1m"' --log-opt max-size=-1m
bad_opt '"max-size": expected KEY=VALUE' --log-opt max-size
bad_opt 'max-file=2: max-file needs max-size' --log-opt max-file=2
bad_opt 'max-file="0": max-file cannot be less than 1' --log-opt max-size=1m --log-opt max-file=0
bad_opt 'max-file="x": expected a whole number from 1 to 100' --log-opt max-size=1m --log-opt max-file=x
bad_opt 'unknown log opt "compress": accepted are max-size and max-file' --log-opt compress=true
bad_opt 'unknown log opt "max_size".*did you mean max-size' --log-opt max_size=1m
check_status "create refuses them too, with 125" 125 nl create --net none --log-opt max-file=2 busybox true
check_eq "nothing was created" "" "$(nl ps -aq)"
check_eq "no container directory left" "" "$(ls "$NETLAB_ROOT/containers" 2>/dev/null)"

step "positive control"
# Positive control: a large max-size keeps every line from the first.
nl run -d --name big --net none --log-opt max-size=100m busybox sh -c "$(counted 20000)" >/dev/null
wait_until 60 tail_is big "line 19999"
log=$(nl logs big)
check_eq "max-size=100m: the first line is kept" "0" "$(num "$log")"
check_eq "max-size=100m: every line is kept" "20000" "$(wc -l <<<"$log")"
check_eq "max-size=100m: inspect shows the bound" '{"Type":"netlab","Config":{"max-size":"100m","max-file":"3"}}' \
        "$(nl inspect -f '{{json .HostConfig.LogConfig}}' big)"
nl rm -f big >/dev/null

step "small bound"
# The same output under a small bound: only the newest lines, contiguous across files.
nl run -d --name small --net none --log-opt max-size=16k busybox sh -c "$(counted 20000)" >/dev/null
wait_until 60 tail_is small "line 19999"
d=$(dir_of small)
log=$(nl logs small)
check "max-size=16k: the old lines are dropped (the first kept is > 0)" test "$(num "$log")" -gt 0
check_eq "max-size=16k: ends with the newest line" "19999" "$(last_num "$log")"
check "max-size=16k: contiguous across the rotation boundaries" contiguous "$log"
check_eq "three files: log, log.1, log.2" "log log.1 log.2" "$(cd "$d" && echo log*)"
check "each file is at most 16k" sh -c "[ \$(stat -c %s $d/log* | sort -n | tail -1) -le 16384 ]"
check "the files hold no more than max-size*max-file" test "$(log_bytes "$d")" -le $((3 * 16384))
check_eq "logs is the files, oldest first" "$(cat "$d/log.2" "$d/log.1" "$d/log")" "$log"
check_eq "--tail 3 reads the newest lines" "line 19997
line 19998
line 19999" "$(nl logs --tail 3 small)"
check_eq "--tail across a file boundary" "$(cat "$d/log.1" "$d/log" | tail -n $(($(wc -l <"$d/log") + 2)))" \
        "$(nl logs -n $(($(wc -l <"$d/log") + 2)) small)"
check_eq "--tail all" "$log" "$(nl logs --tail all small)"
check_status "--tail with a bad value is refused" 1 nl logs --tail x small
check_match "... naming it" '^netlab: error: invalid --tail "x"' "$(nl logs --tail x small 2>&1)"
nl rm -f small >/dev/null

step "chatty"
# A chatty container: bounded while it runs, newest kept, still running.
nl run -d --name chat --net none --log-opt max-size=16k busybox sh -c "$chatty" >/dev/null
d=$(dir_of chat)
check "the log rotates" wait_until 20 test -e "$d/log.2"
check "chatty: the log files stay under max-size*max-file (+ one line)" \
        test "$(max_log_bytes "$d")" -le $((3 * 16384 + 16))
check "chatty: no fourth file" test ! -e "$d/log.3"
check "chatty: the container keeps running" running chat
t1=$(num "$(nl logs --tail 1 chat)"); sleep 0.5; t2=$(num "$(nl logs --tail 1 chat)")
check "chatty: --tail 1 shows a newer line later ($t1, then $t2)" test "$t2" -gt "$t1"
check "chatty: logs starts after line 0" test "$(num "$(nl logs chat | head -n 1)")" -gt 0
# -f across rotations: it keeps delivering lines long after the files it started with are gone.
timeout 20 "$NETLAB" logs -f chat >/run/follow.txt &
fpid=$!
sleep 2
nl kill chat >/dev/null
wait $fpid
fol=$(cat /run/follow.txt)
check "logs -f keeps delivering across rotations (lines $(num "$fol") to $(last_num "$fol"))" \
        test $(($(last_num "$fol") - $(num "$fol"))) -gt $((10 * 3 * 16384 / 12))
check_eq "logs -f ends when the container stops" "0" "$(jobs -r | wc -l)"
log=$(nl logs chat)
check "killed chatty: the kept lines are contiguous" contiguous "$log"
nl rm -f chat >/dev/null

step "steady"
# -f with a steady writer and tiny files: every line arrives, in order, across ~30 rotations.
nl run -d --name steady --net none --log-opt max-size=1k --log-opt max-file=2 \
        busybox sh -c "$(counted 3000 'exit 0' 'usleep 1000; ')" >/dev/null
fol=$(timeout 60 "$NETLAB" logs -f steady)
check_eq "logs -f: the last line arrives" "2999" "$(last_num "$fol")"
check "logs -f: no line lost or repeated across rotations" contiguous "$fol"
check "logs -f saw more than the files keep ($(wc -l <<<"$fol") lines)" test "$(wc -l <<<"$fol")" -gt 2000
check "... which keep only the newest" test "$(nl logs steady | wc -l)" -lt 300
nl rm -f steady >/dev/null

step "tty"
# A detached -t container goes through the same bound.
nl run -dt --name tty --net none --log-opt max-size=16k busybox sh -c "$chatty" >/dev/null
d=$(dir_of tty)
check "-t: the log rotates" wait_until 20 test -e "$d/log.2"
check "-t: the log files stay under the bound" test "$(max_log_bytes "$d")" -le $((3 * 16384 + 16))
nl rm -f tty >/dev/null

step "default"
# The default bound (3 x 1m) without any --log-opt.
nl run -d --name dflt --net none busybox sh -c "$chatty" >/dev/null
d=$(dir_of dflt)
check_eq "default: inspect shows 3 x 1m" '{"Type":"netlab","Config":{"max-size":"1m","max-file":"3"}}' \
        "$(nl inspect -f '{{json .HostConfig.LogConfig}}' dflt)"
check "default: the log rotates" wait_until 60 test -e "$d/log.2"
check "default: the log files stay under 3 MiB (+ one line)" \
        test "$(max_log_bytes "$d")" -le $((3 * 1048576 + 16))
check "default: the container keeps running" running dflt
nl rm -f dflt >/dev/null

step "disk full"
# A full file system: the container never stalls, and the newest output wins over the oldest.
# The container's directory gets its own 1 MiB tmpfs, smaller than the 3 x 1m the log may take.
nl create --name full --net none busybox sh -c "$(counted 200000 'echo done; exec sleep 1000')" >/dev/null
d=$(dir_of full)
cp -a "$d" /run/full.save
mount -t tmpfs -o size=1m full "$d"
cp -a /run/full.save/. "$d/"
nl start full >/dev/null
check "disk full: the container runs to its end instead of stalling" \
        wait_until 60 tail_is full done
check_eq "disk full: the newest lines are kept" "line 199999
done" "$(nl logs --tail 2 full)"
check "disk full: the container is still running" running full
nl rm -f full >/dev/null 2>&1
umount -l "$d" 2>/dev/null

finish
