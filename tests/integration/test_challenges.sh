# netlab challenge: every shipped challenge, each in a sandbox of its own, is not solved at its
# start (check fails, with hints that are reasons and not commands), is solved by its reference
# solution (check passes), and reset leaves nothing. Then the errors, the languages, and a start
# that fails or is interrupted half-way leaving nothing.
CHALLENGES=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../../challenges")
export NETLAB_CHALLENGES=$CHALLENGES
SANDBOX_RUNS="CH_PART=errors CH_PART=rootless"
for f in "$CHALLENGES"/*.lab; do
        SANDBOX_RUNS="$SANDBOX_RUNS CH_PART=$(basename "$f" .lab)"
done
SANDBOX_RUNS=${CH_RUNS:-$SANDBOX_RUNS} # e.g. CH_RUNS=CH_PART=errors: one part only
. "$NETLAB_TESTLIB"
require ip nft

root=$NETLAB_ROOT
# English unless a check asks for Chinese
unset LC_ALL LC_MESSAGES
export LANG=C.UTF-8
netlab() { "$NETLAB" "$@"; } # what the solutions call

# leftovers: every trace of a lab: links but lo, a netlab nftables table, mounts under the state
# root, files in it (the empty folders any command makes when it opens the root do not count).
# A dead network namespace's veth goes in the kernel's own time (cleanup_net is a work queue):
# wait a little for it under load before calling it a leftover.
settled_leftovers() {
        local i
        for i in $(seq 50); do
                [ -z "$(leftovers)" ] && return
                sleep 0.1
        done
        leftovers
}
leftovers() {
        ip -o link show | awk -F': ' '$2 != "lo" {print "link " $2}'
        nft list tables 2>/dev/null | grep netlab
        grep -E " $root/" /proc/mounts
        find "$root" -mindepth 1 \( -type f -o -type l \) 2>/dev/null | sed 's/^/file /'
}

# What a command to type looks like in a hint: diagnose's "fix:", a netlab verb, a flag.
command_like='fix:|netlab (run|create|start|restart|stop|rm|exec|network|external|system|kill)( |$)|(^| )-(p|v) |--(publish|network|ip|internal|sysctl|cap-add)\b'
# failed_goals, hints OUTPUT: how many goals are marked failed; the hint lines.
failed_goals() { grep -c '^\[FAIL\]' <<<"$1"; }
hints() { grep -E '^    hint: ' <<<"$1"; }

one_challenge() {
        local ch=$1 first_task out2 sol_out
        TAP_PREFIX="$ch: "
        first_task=$(sed -n 's/^task  *//p' "$CHALLENGES/$ch.lab" | head -1)
        check "start builds the lab" nl challenge start "$ch"
        check_match "and prints the task" "$(printf '%s' "$first_task" | sed 's/[][().*^$/\\]/\\&/g')" "$out"
        check_match "the lab is up: containers run" "Up" "$(nl ps)"

        out2=$(nl challenge check 2>&1)
        check_eq "check fails at the start (a challenge already solved is a defect)" 1 "$?"
        check_match "and marks the goals that do not hold" '^\[FAIL\] ' "$out2"
        check_eq "each failing goal has a hint" "$(failed_goals "$out2")" "$(hints "$out2" | wc -l)"
        check_match "hints are reasons: they name what is wrong" 'hint: [a-zA-Z]' "$(hints "$out2")"
        if hints "$out2" | grep -Eq "$command_like"; then
                not_ok "hints never give the command to type" "$(hints "$out2")"
        else
                ok "hints never give the command to type"
        fi
        check_match "the summary says it is not solved" 'goals hold: not solved yet$' "$out2"
        if [ "$ch" = broken ]; then # the filter above can fail: diagnose itself gives the fix
                check_match "control: diagnose's own answer is a command the hints leave out" \
                        "$command_like" "$(nl diagnose client web:80/tcp 2>&1)"
        fi

        if sol_out=$(set -e; . "$CHALLENGES/$ch.solution" 2>&1); then
                ok "the reference solution runs"
        else
                not_ok "the reference solution runs" "$sol_out"
        fi
        check "check passes after the reference solution" nl challenge check
        check_match "every goal holds: solved" '^([0-9]+) of \1 goals hold: solved$' "$out"
        check "check FILE checks the same" nl challenge check "$CHALLENGES/$ch.lab"

        check_match "positive control: the lab leaves traces before reset" "link" "$(leftovers)"
        check "reset removes the lab" nl challenge reset
        check_eq "and leaves nothing: links, nftables, mounts, state" "" "$(settled_leftovers)"
        check_error "after reset no challenge is active" "no active challenge" nl challenge check
        TAP_PREFIX=
}

# A challenge file of our own in $tmp.
tmp=/run/netlab-test/ch
mkdir -p "$tmp"

errors_part() {
        check_output "ls: the shipped challenges with their titles" \
"broken           Repair a broken lab
database         Isolate a database
names            Make names resolve
publish          Publish a port to the outside
router           Join two networks through a router
sidecar          Share a network namespace" nl challenge ls
        check_error "an unknown challenge: did you mean" \
                'netlab: error: no such challenge: "publsh" (did you mean "publish"?)' \
                nl challenge start publsh
        check_error "a name with nothing near: where they are" "netlab challenge ls lists them" \
                nl challenge start zzzzzzzz
        check_error "check with no active challenge says so" \
                "no active challenge in state root $root: nothing to check" nl challenge check
        check_status "and exits 1" 1 nl challenge check
        check_error "reset with no active challenge refuses (it would empty the state root)" \
                "no active challenge" nl challenge reset

        # Languages: the task in English, or in Chinese by --lang zh or a zh_* locale.
        check "start --lang zh" nl challenge start --lang zh publish
        check_match "prints the task in Chinese" "让 laptop 通过主机的 8080 端口访问到这个网页" "$out"
        check_match "and the title and the notes" "把端口发布到外部.*由外到内：" "$(tr '\n' ' ' <<<"$out")"
        check_error "a second start is refused while one is active" \
                "challenge $CHALLENGES/publish.lab is active" nl challenge start names
        check_eq "and the first one is untouched" "web" "$(nl ps --format '{{.Names}}')"
        check_match "check with a zh locale speaks Chinese around the checks" "尚未完成" \
                "$(LANG=zh_CN.UTF-8 nl challenge check 2>&1)"
        check "reset" nl challenge reset
        check "start with LANG=zh_CN.UTF-8" env LANG=zh_CN.UTF-8 "$NETLAB" challenge start names
        check_match "prints the task in Chinese" "让名字可用" "$out"
        check "reset" nl challenge reset
        check_error "--lang fr is refused" '--lang "fr": want en or zh' nl challenge start --lang fr names

        # A start needs an empty lab: positive control first (an empty one starts, above).
        nl network create mine >/dev/null
        check_error "start refuses a state root that holds a lab" \
                "holds a lab (0 containers, 1 networks, 0 external hosts)" nl challenge start names
        check "and leaves that lab alone" nl network inspect mine
        nl network rm mine >/dev/null

        # A start that fails half-way removes what it made: the first network is gone again.
        cat >"$tmp/bad.lab" <<'EOF'
title  Fails half-way
network create halfway --subnet 10.99.0.0/24
run -d --name web --network nosuchnet busybox sleep 1d
task   never shown
expect web reaches web
EOF
        check_error "a start whose command fails names the line" \
                "bad.lab:3: \"run -d --name web --network nosuchnet busybox sleep 1d\" failed" \
                nl challenge start "$tmp/bad.lab"
        check_match "and shows the command's output" "nosuchnet" "$out"
        check_eq "and leaves nothing behind" "" "$(settled_leftovers)"

        # Ctrl-C during the start: the running command finishes (a command cut short in a real state
        # root could leave what reset cannot find), then the start is removed.
        cat >"$tmp/slow.lab" <<'EOF'
title  Slow
network create slow --subnet 10.98.0.0/24
run --name waiter busybox sleep 3
task   never shown
expect waiter reaches waiter
EOF
        setsid "$NETLAB" challenge start "$tmp/slow.lab" >"$tmp/slow.out" 2>&1 &
        local pid=$! i
        for i in $(seq 50); do
                [ -n "$(nl ps -q 2>/dev/null)" ] && break
                sleep 0.1
        done
        check_match "positive control: the slow start is under way" "waiter" "$(nl ps -a --format '{{.Names}}')"
        kill -INT -- -"$pid"
        wait "$pid"
        check_eq "Ctrl-C ends the start with status 1" 1 "$?"
        check_match "after the running command finished" "interrupted: the start is removed" "$(cat "$tmp/slow.out")"
        check_eq "and leaves nothing behind" "" "$(settled_leftovers)"

        # The file's grammar: errors name the line.
        printf 'run -d --name web busybox sleep 1d\nexpect web reaches web\n' >"$tmp/notask.lab"
        check_error "no task line" "notask.lab: error: no task line" nl challenge check "$tmp/notask.lab"
        printf 'run -d --name web busybox sleep 1d\ntask do it\nrun -d --name x busybox sleep 1d\nexpect web reaches web\n' >"$tmp/late.lab"
        check_error "a command after the task" "late.lab:3: error: a command after the task" \
                nl challenge check "$tmp/late.lab"
        printf 'run -d --name web busybox sleep 1d\ntask do it\n' >"$tmp/nogoal.lab"
        check_error "no goals" "nogoal.lab: error: no goals" nl challenge check "$tmp/nogoal.lab"
        printf 'run -d --name web busybox sleep 1d\ntask.zh 做\nexpect web reaches web\n' >"$tmp/zh.lab"
        check_error "task.zh without its task line" "zh.lab:2: error: task.zh: goes on the line right after" \
                nl challenge check "$tmp/zh.lab"
        printf 'run -d --name web -v /:/host busybox sleep 1d\ntask do it\nexpect web reaches web\n' >"$tmp/host.lab"
        check_error "a challenge that asks for the host is refused, as a scenario is" \
                "host.lab:1: -v gives a lab container a host directory" nl challenge start "$tmp/host.lab"
        check_eq "before anything ran" "" "$(leftovers)"
}

# An unprivileged user (a student without root): the challenge lives in the user's lab host.
rootless_part() {
        local U1=4242 ids f out2
        if ! command -v setpriv >/dev/null || ! command -v newuidmap >/dev/null; then
                ok "rootless # SKIP needs setpriv and newuidmap"
                return
        fi
        ids=$(mktemp -d /run/netlab-test/ids.XXXXXX)
        { cat /etc/passwd; echo "nlstudent1:x:$U1:$U1::/tmp:/bin/sh"; } >"$ids/passwd"
        printf 'nlstudent1:200000:65536\n' >"$ids/subuid"
        cp "$ids/subuid" "$ids/subgid"
        for f in passwd subuid subgid; do
                touch "/etc/$f"
                mount --bind "$ids/$f" "/etc/$f"
        done
        mkdir -p "/run/user/$U1"
        chown "$U1:$U1" "/run/user/$U1"
        chmod 0700 "/run/user/$U1"
        u1() {
                (cd / && setpriv --reuid "$U1" --regid "$U1" --clear-groups env -i PATH="$PATH" \
                        HOME=/tmp XDG_RUNTIME_DIR="/run/user/$U1" LANG=C.UTF-8 \
                        NETLAB_CHALLENGES="$CHALLENGES" "$NETLAB" "$@")
        }
        if ! u1 challenge ls >/dev/null 2>&1; then
                ok "rootless # SKIP uid $U1 cannot read the build tree or the challenges"
                return
        fi
        TAP_PREFIX="rootless: "
        check "start as an unprivileged user" u1 challenge start sidecar
        check_match "the lab runs in the user's lab host" "app" "$(u1 ps --format '{{.Names}}')"
        check_eq "not in root's state root" "" "$(nl ps -aq 2>&1)"
        out2=$(u1 challenge check 2>&1)
        check_eq "check fails at the start" 1 "$?"
        check_match "with a hint" "hint: " "$out2"
        netlab() { u1 "$@"; }
        if out2=$(set -e; . "$CHALLENGES/sidecar.solution" 2>&1); then
                ok "the reference solution runs as the user"
        else
                not_ok "the reference solution runs as the user" "$out2"
        fi
        check "check passes" u1 challenge check
        check "reset" u1 challenge reset
        check_eq "the user's lab is empty again" "" "$(u1 ps -aq 2>&1)"
        u1 lab down >/dev/null 2>&1
        TAP_PREFIX=
}

case $CH_PART in
errors) errors_part ;;
rootless) rootless_part ;;
*) one_challenge "$CH_PART" ;;
esac
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
