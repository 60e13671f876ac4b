# The teacher's library (scenarios/course/): every file, as written from the Docker course notes,
# must pass; and the places where a teacher following the notes tripped, each with its control.
. "$NETLAB_TESTLIB"

lib=$(realpath "$(dirname "$NETLAB_TESTLIB")/../../scenarios/course")
work=$(mktemp -d /tmp/netlab-course-test.XXXXXX)

# Every file passes; several run at once, each in its own sandbox.
run_labs course "$lib" "$work"
n=$(ls "$lib"/*.lab | wc -l)
check "the library has 10 to 15 files" test "$n" -ge 10 -a "$n" -le 15
check_match "every file is listed in the README" "^$(ls "$lib"/*.lab | wc -l)\$" \
        "$(for f in "$lib"/*.lab; do grep -c "\`$(basename "$f")\`" "$lib/README.md"; done | grep -c '^[1-9]')"
# A lab that let everything through would fail every file: each has a check that must fail.
check_eq "every file has a negative check" "" \
        "$(grep -L -E 'cannot-reach|cannot-resolve|-> exit [1-9]|^expect-fail' "$lib"/*.lab)"
out=$(nl scenario run --lang zh "$lib/01-none.lab" 2>&1); rc=$?
check_eq "--lang zh: a course file still passes" 0 "$rc"
check_match "--lang zh: it narrates in Chinese" "^> --net=none 模式下" "$out"

# The notes write docker0; netlab's default bridge is netlab0: the check says so.
cat >"$work/docker0.lab" <<'LAB'
title docker0
run -itd --name c1 busybox
expect host has-interface netlab0 = 172.17.0.1/16
expect c1 has-interface eth0
LAB
check "control: netlab0 and eth0 are there (run -itd keeps busybox's shell up)" \
        nl scenario run "$work/docker0.lab"
printf 'expect host has-interface docker0\nexpect c1 has-interface eht0\nexpect-fail c1 has-interface eth1\n' \
        >>"$work/docker0.lab"
out=$(nl scenario run "$work/docker0.lab" 2>&1); rc=$?
check_eq "expect host has-interface docker0 fails (exit 1)" 1 "$rc"
check_match "... and points at netlab0, Docker's docker0" \
        "no docker0 here: did you mean netlab0\? \(netlab's default bridge, Docker's docker0\)" "$out"
check_match "a mistyped interface gets the nearest name" "no eht0 here: did you mean eth0\?" "$out"
check_fails "an expect-fail of an absent interface gets no suggestion" \
        grep -q 'no eth1 here' <<<"$out"

# A port published from an --internal network leads nowhere: the reason is internal, not unknown.
cat >"$work/internal.lab" <<'LAB'
title published from an internal network
external lan
network create open
network create --internal closed
run -d --name pub --network open -p 8080:80 busybox httpd -f -p 80
expect lan reaches host:8080
expect lan reaches pub:80 via host
run -d --name hid --network closed -p 8081:80 busybox httpd -f -p 80
expect lan cannot-reach host:8081 because internal
expect lan cannot-reach hid:80 via host because internal
LAB
out=$(nl scenario run "$work/internal.lab" 2>&1); rc=$?
check_eq "control first, then a port published from --internal: because internal holds" 0 "$rc"
check_match "the reason names the container and its network" \
        "why \(internal\): hid publishes host port 8081/tcp, but it is only on internal network\(s\) closed" "$out"

# The notes ping 8.8.8.8 and resolve www.baidu.com: a lab has no internet, and says to use a test
# host; an unused address inside a lab network keeps the plain "no such host".
cat >"$work/outside.lab" <<'LAB'
title the internet of the notes
external internet
run -itd --name c1 busybox
expect c1 reaches internet
expect c1 cannot-reach 8.8.8.8 because no-host
expect c1 cannot-resolve www.baidu.com because name-unknown
expect c1 cannot-reach 172.17.0.99 because no-host
LAB
out=$(nl scenario run "$work/outside.lab" 2>&1); rc=$?
check_eq "control: the test host answers; 8.8.8.8 and www.baidu.com do not (exit 0)" 0 "$rc"
check_match "8.8.8.8: outside the lab, use a test host" \
        "why \(no-host\): 8.8.8.8 is outside every network of the lab.*fix: to show the way out, add a test host" "$out"
check_match "www.baidu.com: no name in the lab, no internet DNS" \
        "why \(name-unknown\): www.baidu.com is no name in the lab.*no internet DNS" "$out"
check_match "172.17.0.99, inside the bridge's subnet: no such host" \
        "why \(no-host\): no container and no test host has the address 172.17.0.99" "$out"

# A --net=container: sidecar cannot join a network itself: the error says to connect the owner.
nl network create side-net --subnet 10.77.0.0/24 >/dev/null
nl run -d --name owner busybox sleep 1d >/dev/null
nl run -d --name side --net=container:owner busybox sleep 1d >/dev/null
check_error "network connect of a sidecar names its owner and the command to use" \
        "container side shares the network namespace of owner and cannot join side-net on its own: connect owner instead (netlab network connect side-net owner)" \
        nl network connect side-net side
check "... which works" nl network connect side-net owner
check_match "... and the sidecar sees the new interface" "10.77.0.2/24" "$(nl exec side ip -o addr show eth1)"
nl rm -f side owner >/dev/null

# `run -d --name c1 busybox`, as notes write it, runs sh with no terminal: it exits at once, and
# an exec right after (while it exits, or after) says so and what to write instead.
nl run -itd --name held busybox >/dev/null
check "control: run -itd keeps busybox's shell up for exec" nl exec held true
want="container quick is not running: its command, sh, exits at once without -it; start it with run -itd"
nl run -d --name quick busybox >/dev/null
check_error "exec right after run -d busybox: not running, and why" "$want" nl exec quick ip addr
wait_until 10 sh -c "\"$NETLAB\" ps -a --filter name=quick | grep -q Exited"
check_error "... and once it has exited" "$want" nl exec quick ip addr
nl run -d --name done busybox true >/dev/null
wait_until 10 sh -c "\"$NETLAB\" ps -a --filter name=done | grep -q Exited"
check_status "another command that ended: exec exits 125" 125 nl exec done true
check_eq "... with the plain message" "netlab: error: container done is not running" "$out"
nl rm -f held quick done >/dev/null

# The notes' nginx and curl: the error says what busybox has instead.
check_error "run nginx: the image error names busybox httpd" \
        'unable to find image "nginx": available images are busybox and host; for a web server: busybox httpd -f -p 80 -h /www' \
        nl run -d --name ng nginx
check_eq "... and makes no container" "" "$(nl ps -aq --filter name=ng)"
nl run -d --name tools busybox sleep 1d >/dev/null
check "control: wget and nslookup are in busybox" nl exec tools sh -c 'which wget && which nslookup'
check_status "exec curl exits 127" 127 nl exec tools curl -s http://127.0.0.1/
check_match "... saying wget -qO- does the same" \
        'exec: "curl": executable file not found in \$PATH \(no curl in this image: wget -qO- URL does the same\)' "$out"
check_error "exec dig points at nslookup" "no dig in this image: nslookup NAME" nl exec tools dig tools
check_status "a command with nothing to suggest exits 127" 127 nl exec tools nosuchtool
check_eq "... with the plain error" 'netlab: error: exec: "nosuchtool": executable file not found in $PATH' "$out"
nl rm -f tools >/dev/null

# `exec -it c1 sh` as the notes write it would wait for input until killed: refused at once.
printf 'title shell\nrun -itd --name c1 busybox\nexec -it c1 sh\n' >"$work/shell.lab"
start=$(date +%s)
shell=$(timeout 60 "$NETLAB" scenario run "$work/shell.lab" 2>&1); rc=$?
check_eq "exec -it c1 sh in a scenario exits 1" 1 "$rc"
check "... within 5 seconds" test $(($(date +%s) - start)) -le 5
check_match "... saying to write one line per command" \
        "shell.lab:3:13: error: exec -it into a shell waits for someone to type.*exec c1 ping -c 1 OTHER" "$shell"
check_fails "... before anything ran" grep -q '\$ netlab run' <<<"$shell"

rm -rf "$work"
finish
