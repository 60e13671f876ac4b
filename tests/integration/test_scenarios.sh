# Scenarios: the whole library through the CLI, and the runner itself (errors before anything
# runs, exit status, expect-fail, TAP, parallel runs, cleanup of sandboxes and test hosts).
. "$NETLAB_TESTLIB"

lib=$(realpath "$(dirname "$NETLAB_TESTLIB")/../../scenarios")
work=$(mktemp -d /tmp/netlab-scen-test.XXXXXX)
labs_before=$(ls -d /run/netlab-lab.* 2>/dev/null | wc -l)

# The library: every file must pass; several run at once, each in its own sandbox.
run_labs scenario "$lib" "$work"

check_match "scenario list shows titles in teaching order" \
        "^01-none.lab +--network none.*02-host.lab" "$(nl scenario list "$lib" | tr '\n' ' ')"

# Bad input fails before anything is created, pointing at the line and column.
printf 'title bad\nrun -d --name web busybox sleep 1d\nexpect web reachs host\n' >"$work/bad.lab"
out=$(nl scenario run "$work/bad.lab" 2>&1); rc=$?
check_eq "a bad file exits 1" 1 "$rc"
check_match "the error names FILE:LINE:COL" "bad.lab:3:12: error: unknown check \"reachs\"" "$out"
check_match "a caret under the bad word" "           \^~~~~~" "$out"
check_fails "nothing ran: no container was started" grep -q '\$ netlab run' <<<"$out"
printf 'title two\nrun -d --name web busybox sleep 1d\n' >"$work/good.lab"
check_status "one bad file stops every file from running" 1 nl scenario run "$work/good.lab" "$work/bad.lab"

# A false expectation fails the run; expect-fail turns it into a pass; TAP for CI.
cat >"$work/false.lab" <<'LAB'
title a false claim
run -d --name aa --network none busybox sleep 1d
expect aa reaches host
LAB
check_status "a failed expectation exits 1" 1 nl scenario run "$work/false.lab"
sed 's/^expect /expect-fail /' "$work/false.lab" >"$work/xfail.lab"
check_status "expect-fail on a false claim exits 0" 0 nl scenario run "$work/xfail.lab"
sed 's/^expect aa reaches host/expect-fail aa has-interface lo/' "$work/false.lab" >"$work/xpass.lab"
check_status "expect-fail on a true claim exits 1" 1 nl scenario run "$work/xpass.lab"
tap=$(nl scenario run --tap "$work/xfail.lab" "$work/good.lab")
check_match "TAP plan counts every file's steps" "^1\.\.3" "$tap"
check_match "TAP marks expect-fail as TODO" "not ok 2 - expect-fail aa reaches host # TODO" "$tap"
check_match "TAP numbers continue across files" "ok 3 - run -d --name web" "$tap"

# Probes from a test host outside the lab, and cleanup.
cat >"$work/ext.lab" <<'LAB'
title external host
external lan
run -d --name web busybox httpd -f -p 80
expect lan reaches host
expect host reaches lan
expect lan cannot-reach host:81/tcp
expect web has-interface eth0 = 172.17.0.2/16
LAB
check "an external host reaches the lab host and back" nl scenario run "$work/ext.lab"

# A failed check from the lab host or a test host is explained as diagnose sees it.
cat >"$work/why.lab" <<'LAB'
title why, from outside
external lan
run -d --name web busybox httpd -f -p 80
expect host reaches web:80
expect-fail lan reaches host:81
expect-fail host reaches web:81
LAB
out=$(nl scenario run "$work/why.lab" 2>&1); rc=$?
check_eq "checks from the host and a test host run (exit 0)" 0 "$rc"
check_match "a test host's failed check says why, with the reason's name" \
        "why \(not-published\): no container publishes port 81/tcp on the host" "$out"
check_match "the host's failed check says why, with the reason's name" \
        "why \(not-listening\): nothing in web listens on 81/tcp" "$out"

# UDP probes get a reply from an echo service (perl from the host image), refused elsewhere.
cat >"$work/udp.lab" <<'LAB'
title udp
run -d --name echo host perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>5353,Proto=>"udp") or die; while($s->recv($m,512)){$s->send($m)}'
run -d --name cl busybox sleep 1d
expect cl reaches echo:5353/udp
expect cl cannot-reach echo:5354/udp
expect cl cannot-reach 172.17.0.99
LAB
out=$(nl scenario run "$work/udp.lab" 2>&1); rc=$?
check_eq "UDP and ICMP probes: an answer, a refusal, a timeout" 0 "$rc"
check_match "the probe says what it saw" "udp 172.17.0.2:5354: refused.*ping 172.17.0.99: timeout" "$(tr '\n' ' ' <<<"$out")"
check_match "a held cannot-reach says why: nothing listens on that UDP port" \
        "why \(not-listening\): nothing in echo listens on 5354/udp" "$out"
check_match "and an address nothing in the lab has is named so" \
        "why \(no-host\): no container and no test host has the address 172.17.0.99" "$out"
# A scenario file is code: host bind mounts and --privileged need the teacher's --trust.
mkdir -p "$work/secret" && echo TOKEN42 >"$work/secret/token"
cat >"$work/mount.lab" <<LAB
title reads a host directory
run -d --name cc -v $work/secret:/s:ro busybox sleep 1d
expect cc exec cat /s/token -> output contains TOKEN42
LAB
check "with --trust, a bind-mounting scenario runs and reads the host file" \
        nl scenario run --trust "$work/mount.lab"
out=$(nl scenario run "$work/mount.lab" 2>&1); rc=$?
check_eq "without --trust, a bind mount is refused (exit 1)" 1 "$rc"
check_match "the refusal names the line and the opt-in" \
        "^netlab: error: .*mount.lab:2: -v gives a lab container a host directory.*--trust" "$out"
check_fails "nothing ran" grep -q 'netlab run' <<<"$out"
printf 'run -d --name p --privileged busybox sleep 1d\n' >"$work/priv.lab"
check_status "without --trust, --privileged is refused" 1 nl scenario run "$work/priv.lab"

# Test host links live in the lab's own namespace: look there, in a lab kept up with --keep.
cat >"$work/keep.lab" <<'LAB'
title a kept lab with a test host
external lan
run -d --name kept busybox sleep 1d
expect host has-interface xh-lan
LAB
out=$(nl scenario run --keep "$work/keep.lab" 2>&1); rc=$?
check_eq "a kept lab runs (exit 0)" 0 "$rc"
check_match "while it runs, the test host's link is in the lab's namespace" \
        "\[ok\] expect host has-interface xh-lan" "$out"
init=$(sed -n 's/^  kill \([0-9]*\); rmdir .*/\1/p' <<<"$out")
kept=$(sed -n 's/^  kill [0-9]*; rmdir \(.*\)/\1/p' <<<"$out")
check_match "the lab is still up" "^[0-9]+$" "$init"
check_match "its namespace has its own loopback" "lo" "$(nsenter -t "$init" -n ip -o link show)"
check_eq "no test host link is left behind in the lab's namespace" "" \
        "$(nsenter -t "$init" -n ip -o link show | grep xh- || true)"
kid=$(nsenter -t "$init" -n -m -p env NETLAB_ROOT="$kept" "$NETLAB" ps -q --no-trunc)
check_match "the kept lab's container has a cgroup in the host's hierarchy" "/$kid\$" \
        "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$kid" 2>/dev/null)"
reset=$(sed -n 's/^  \(nsenter .* system reset --force\)$/\1/p' <<<"$out")
check "the printed end command resets the lab first" eval "$reset"
check_eq "... which removes its containers' cgroups" "" \
        "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$kid" 2>/dev/null)"
kill "$init"
wait_until 10 sh -c "! readlink /proc/$init/ns/net" # a zombie has no namespaces left
rmdir "$kept"

check_eq "no sandbox directory is left behind" "$labs_before" "$(ls -d /run/netlab-lab.* 2>/dev/null | wc -l)"
check_eq "no container runs outside the labs" "" "$(pgrep -f 'httpd -f -p 80' || true)"

# Issue 11: SIGKILL of the CLI mid-run, or of its whole process group, leaves nothing of the lab:
# no process, no directory, no cgroup (the lab's outer, in a process group of its own, removes
# them once pid 1 is gone).
cat >"$work/sleep.lab" <<'LAB'
title a lab that sleeps
run -d --name web busybox sleep 1006
run --rm --name snooze busybox sleep 1007
LAB
labs() { ls -d /run/netlab-lab.* 2>/dev/null | wc -l; }
lab_procs() { pgrep -f "netlab-lab\.|^sleep 100[67]\$|scenario run $work/sleep\.lab" | wc -l; }
web_cgroups() { find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null | wc -l; }
procs_gone() { [ "$(lab_procs)" = 0 ]; }
dir_gone() { [ "$(labs)" = "$labs_before" ]; }
for target in CLI "CLI's process group"; do
        # setsid: the CLI leads a process group of its own, as a shell's job would
        setsid "$NETLAB" scenario run "$work/sleep.lab" >"$work/sleep.out" 2>&1 &
        cli=$!
        check "control: the lab reaches its sleeping step" wait_until 20 pgrep -xf "sleep 1007"
        # web's id, from the netlab cgroup its process is in
        wid=$(sed -n 's|.*/netlab/[0-9a-f]*/\([0-9a-f]\{64\}\)$|\1|p' "/proc/$(pgrep -xf 'sleep 1006')/cgroup" | head -1)
        check_eq "control: while it runs, its directory exists" "$((labs_before + 1))" "$(labs)"
        check_match "control: and its processes (CLI, outer, pid 1, worker, shims, containers)" "^([6-9]|[1-9][0-9])$" "$(lab_procs)"
        check_match "control: and web's cgroups" "^[1-9]" "$(web_cgroups "$wid")"
        if [ "$target" = CLI ]; then kill -9 "$cli"; else kill -9 -- "-$cli"; fi
        wait "$cli" 2>/dev/null
        check "after SIGKILL of the $target, no process of the lab is left" wait_until 10 procs_gone
        check "nor its directory" wait_until 5 dir_gone
        check_eq "nor web's cgroups" 0 "$(web_cgroups "$wid")"
done

rm -rf "$work"
finish
