# scenario run --step at a terminal, as a teacher drives it on a projector (a pty, pty_drive.py):
# each step shown once, ids cut short, external hosts explained, the keys (s for a shell in the lab
# host, q, ?), Ctrl-C at a prompt and while a step runs, and nothing of the lab left behind.
. "$NETLAB_TESTLIB"
require python3

drive() { python3 "$(dirname "$NETLAB_TESTLIB")/pty_drive.py" "$@"; }
work=$(mktemp -d /tmp/netlab-step-test.XXXXXX)
export SHELL=/bin/sh # the lab shell's own prompt, not a user's rc file
# The lab host's resolver without a nameserver: a container's lookup then names its resolv.conf.
: >"$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf

# What a lab leaves while it runs, seen from this sandbox: its netlab processes and containers,
# network namespaces, state roots, and the cgroup of web, whose short id is in the transcript $1.
cat >"$work/observe.sh" <<'SH'
procs=$(ps -eo args= | grep -cE '^\S*netlab scenario run|^\S*netlab-(shim|dns) .*netlab-lab\.|^sleep (1d|60)$')
netns=$(for p in /proc/[0-9]*; do readlink "$p/ns/net"; done 2>/dev/null | sort -u | wc -l)
labs=$(ls -d /run/netlab-lab.* 2>/dev/null | wc -l)
id=$(tr -d '\r' <"$1" | sed -n '/^\$ netlab run -d --name web /{n;s/^    //p;q}')
cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "${id:-none}*" 2>/dev/null | wc -l)
echo "procs=$procs netns=$netns labs=$labs cgroups=$cg"
SH
gone="procs=0 netns=1 labs=0 cgroups=0"

cat >"$work/class.lab" <<'LAB'
title stepping through a class
note Two containers on the default bridge and a test host.
run -d --name web busybox sleep 1d
run -d --name cli busybox sleep 1d
external lan
expect cli reaches web
expect host reaches lan
expect cli cannot-resolve web
LAB

# Enter at every prompt: the whole lab runs.
drive "$work/t1" wait 'name web busybox sleep 1d' send '\r' wait 'name cli busybox sleep 1d' \
        send '\r' wait 'external lan' send '\r' wait 'cli reaches web' send '\r' \
        wait 'host reaches lan' send '\r' wait 'cannot-resolve web' send '\r' \
        -- "$NETLAB" scenario run --step "$work/class.lab"
check_eq "Enter at every prompt runs the lab through (exit 0)" 0 "$?"
t1=$(tr -d '\r' <"$work/t1")
check_match "every expectation held" "class.lab: 3 passed, 0 failed" "$t1"
check_eq "a command is printed once, not as a preview and again" 1 \
        "$(grep -c 'run -d --name web busybox sleep 1d' <<<"$t1")"
check_eq "an expectation is printed once, its mark on its line" 1 "$(grep -c 'cli reaches web' <<<"$t1")"
check_match "... as: the expectation, then its mark" "^expect cli reaches web (✓|\[ok\])$" "$t1"
check_match "netlab run -d prints the whole 64-hex id (the pattern below finds one)" \
        '^[0-9a-f]{64}$' "$(nl run -d --name idcheck --network none busybox true)"
nl rm -f idcheck >/dev/null
check_match "under --step the id is cut to 12 hex, as docker ps shows it" '^    [0-9a-f]{12}$' "$t1"
check_fails "no 64-hex id anywhere in the output" grep -Eq '[0-9a-f]{64}' <<<"$t1"
check_match "an external line says what a test host is" \
        "^external lan +\(a test host: a machine outside netlab, like a laptop on the same LAN" "$t1"
check_match "... and where it is" "external host lan at 198\.18\.1\.2 \(the lab host is 198\.18\.1\.1\)" "$t1"
check_match "a failed lookup names the container's resolv.conf" \
        "web: no nameserver \(from cli:/etc/resolv.conf\)" "$t1"
check_fails "... not its file under the lab's state root" grep -q '/run/netlab-lab' <<<"$t1"
check_eq "nothing is left after a run" "$gone" "$(sh "$work/observe.sh" "$work/t1")"

# s at a prompt: a shell in the lab host that sees the lab; exit goes back to the same prompt.
check_eq "this sandbox's own state root has no containers" "" "$(nl ps -aq)"
drive "$work/t2" wait 'name web busybox sleep 1d' send '\r' wait 'name cli busybox sleep 1d' \
        send '\r' wait 'external lan' send 's' wait 'exit comes back here' \
        send 'netlab ps --format "ctr={{.Names}}"; echo "root=$NETLAB_ROOT"\n' \
        wait 'ctr=web' send 'exit\n' wait 'external lan' send '?' wait 'remove the lab\s+external lan' send '\r' \
        wait 'cli reaches web' send '\r' wait 'host reaches lan' send '\r' \
        wait 'cannot-resolve web' send '\r' -- "$NETLAB" scenario run --step "$work/class.lab"
check_eq "s, then exit: the run goes on to the end (exit 0)" 0 "$?"
t2=$(tr -d '\r' <"$work/t2")
check_match "netlab ps in the shell lists the lab's containers" "ctr=web.*ctr=cli|ctr=cli.*ctr=web" \
        "$(tr '\n' ' ' <<<"$t2")"
check_match "the shell's NETLAB_ROOT is the lab's state root" "^root=/run/netlab-lab\.[A-Za-z0-9]{6}$" "$t2"
check_match "after exit and ?, the steps after the shell ran" "class.lab: 3 passed, 0 failed" "$t2"
check_eq "nothing is left after a run with a shell" "$gone" "$(sh "$work/observe.sh" "$work/t2")"

# q at a prompt: nothing more runs, the lab is removed, exit 130.
drive "$work/t3" wait 'name web busybox sleep 1d' send '\r' wait 'name cli busybox sleep 1d' \
        send 'q' -- "$NETLAB" scenario run --step "$work/class.lab"
check_eq "q at a prompt exits 130" 130 "$?"
t3=$(tr -d '\r' <"$work/t3")
check_fails "the step at the prompt did not run" grep -q '^external lan' <<<"$t3"
check_eq "q leaves nothing behind" "$gone" "$(sh "$work/observe.sh" "$work/t3")"

# Ctrl-C at a prompt: first the observer sees the running lab, then sees it gone.
drive "$work/t4" wait 'name web busybox sleep 1d' send '\r' wait 'name cli busybox sleep 1d' \
        send '\r' wait 'external lan' \
        run "sh $work/observe.sh $work/t4" \
        send '\x03' -- "$NETLAB" scenario run --step "$work/class.lab" >"$work/t4.seen"
check_eq "Ctrl-C at a prompt exits 130" 130 "$?"
t4=$(tr -d '\r' <"$work/t4")
check_match "while the lab was up, the observer saw its processes, namespace and state root" \
        "^procs=[1-9][0-9]* netns=[2-9] labs=1 cgroups=[1-9]$" "$(cat "$work/t4.seen")"
check_match "Ctrl-C says the lab is removed" "^interrupted: the lab is being removed" "$t4"
check_eq "Ctrl-C at a prompt leaves nothing behind" "$gone" "$(sh "$work/observe.sh" "$work/t4")"

# Ctrl-C while a step runs: a foreground container that ignores SIGINT (busybox sleep as pid 1).
cat >"$work/fg.lab" <<'LAB'
title a step that does not end by itself
run -d --name web busybox sleep 1d
run --name fg busybox sleep 60
expect web reaches host
LAB
start=$(date +%s)
drive "$work/t5" wait 'name web busybox sleep 1d' send '\r' wait 'name fg busybox sleep 60' \
        send '\r' sleep 1 run "sh $work/observe.sh $work/t5" send '\x03' \
        -- "$NETLAB" scenario run --step "$work/fg.lab" >"$work/t5.seen"
rc=$?
took=$(($(date +%s) - start))
check_eq "Ctrl-C while a step runs exits 130" 130 "$rc"
check_match "while the step ran, its container was up" \
        "^procs=[1-9][0-9]* netns=[2-9] labs=1 cgroups=[1-9]$" \
        "$(cat "$work/t5.seen")"
check_match "... and the run stopped at once, not after the 60 s sleep (${took}s)" '^([0-9]|1[0-9])$' "$took"
t5=$(tr -d '\r' <"$work/t5")
check_fails "the interrupted command is not reported as a failure" grep -q 'command failed' <<<"$t5"
check_fails "the step after it did not run" grep -q 'web reaches host' <<<"$t5"
check_eq "Ctrl-C during a step leaves nothing behind" "$gone" "$(sh "$work/observe.sh" "$work/t5")"

umount /etc/resolv.conf
rm -rf "$work"
finish
