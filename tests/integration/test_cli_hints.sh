# The mistakes people make copying commands from (Chinese) Docker course notes: each is answered
# with one line saying what to type, and the exit code Docker would give (125 for run/create/
# start/exec, 127 for a command not found, 1 otherwise). Each after a positive control.
. "$NETLAB_TESTLIB"

# check_says DESCRIPTION CODE LINE COMMAND...: the command exits CODE and its first line of
# output (stderr) is exactly LINE.
check_says() {
        local desc=$1 want=$2 line=$3; shift 3
        local got=0
        out=$("$@" 2>&1 >/dev/null) || got=$? # stderr only
        if [ "$got" != "$want" ]; then not_ok "$desc (exit $got, wanted $want)" "$out"; return; fi
        check_eq "$desc" "$line" "$out" # the whole output: one line
}
count() { nl ps -aq | wc -l; }

nl network create --subnet 10.97.0.0/24 labnet >/dev/null
nl network create --subnet 10.98.0.0/24 backnet >/dev/null
nl run -d --name web1 --network labnet busybox sleep 1d >/dev/null
base=$(count)

# Full-width punctuation from an IME: said, not silently accepted.
check "control: --net=container:web1 joins web1" nl run --rm --net=container:web1 busybox ip -o addr show eth0
check_says "full-width colon in --net=container：web1" 125 \
        'netlab: error: full-width characters in "--net=container：web1": did you mean --net=container:web1?' \
        nl run --rm --net=container：web1 busybox true
check_says "full-width colon in a separate value" 125 \
        'netlab: error: full-width characters in "container：web1": did you mean container:web1?' \
        nl run --rm --network container：web1 busybox true
check_says "IME dashes: ——network" 125 \
        'netlab: error: full-width characters in "——network": did you mean --network?' \
        nl run --rm ——network labnet busybox true
check_says "full-width hyphens and equals: －－net＝labnet" 125 \
        'netlab: error: full-width characters in "－－net＝labnet": did you mean --net=labnet?' \
        nl run --rm －－net＝labnet busybox true
check_says "full-width colon in -p" 125 \
        'netlab: error: full-width characters in "8080：80": did you mean 8080:80?' \
        nl run --rm -p 8080：80 busybox true
check_output "free text keeps its full-width comma (-e)" "你好，世界" nl run --rm -e MSG=你好，世界 busybox sh -c 'echo $MSG'
check_output "a command's arguments keep theirs" "a：b" nl run --rm busybox echo a：b
check_eq "no container left behind by the refused runs" "$base" "$(count)"

# Unknown commands and subcommands: the nearest one, only when near.
check "control: network create works" nl network create spare
check_says "network creat" 1 'netlab: error: unknown command "network creat": did you mean "network create"?' \
        nl network creat spare2
check_says "netwrok ls" 1 'netlab: error: unknown command "netwrok": did you mean "network"?' nl netwrok ls
check_says "nothing near: no suggestion" 1 "netlab: error: unknown command \"frobnicate\" (see 'netlab --help')" \
        nl frobnicate
check_says "docker pull: not supported, and what instead" 1 \
        'netlab: error: "pull" is not supported here: the images are built in (netlab images lists them)' \
        nl pull busybox

# Unknown flags, per command; Docker flags netlab lacks.
check "control: run --network labnet" nl run --rm --network labnet busybox true
check_says "run --netwrok" 125 'netlab: error: unknown flag: --netwrok: did you mean --network?' \
        nl run --rm --netwrok labnet busybox true
check "control: network ls --quiet" nl network ls --quiet
check_says "network ls --quite" 1 'netlab: error: unknown flag: --quite: did you mean --quiet?' \
        nl network ls --quite
check_says "a flag of another command is not suggested: ps --subnet" 1 "netlab: error: unknown flag: --subnet (see 'netlab ps --help')" \
        nl ps --subnet
check_says "--link: not supported, use a network" 125 \
        'netlab: error: --link is not supported here: put both containers on one user-defined network (netlab network create NET, then --network NET): they resolve each other by name' \
        nl run --rm --link web1 busybox true

# Names of containers, networks and images.
check "control: exec web1" nl exec web1 true
check_says "exec wbe1" 125 'netlab: error: no such container: wbe1: did you mean web1?' nl exec wbe1 true
check_says "stop wbe1 (exit 1)" 1 'netlab: error: no such container: wbe1: did you mean web1?' nl stop wbe1
nl run -d --name cafe12 busybox sleep 1d >/dev/null
check_says "a name that looks like an id prefix gets no suggestion" 1 'netlab: error: no such container: cafe1' \
        nl stop cafe1
check_says "nothing near: no suggestion" 1 'netlab: error: no such container: database' nl stop database
check_says "--network labnte" 125 'netlab: error: network labnte not found: did you mean labnet?' \
        nl run --rm --network labnte busybox true
check "control: --network host" nl run --rm --network host busybox true
check_says "--network hosts" 125 'netlab: error: network hosts not found: did you mean host?' \
        nl run --rm --network hosts busybox true
check_says "--network brige" 125 'netlab: error: network brige not found: did you mean bridge?' \
        nl run --rm --network brige busybox true
check "control: --network container:web1" nl run --rm --network container:web1 busybox true
check_says "--network containr:web1" 125 \
        'netlab: error: invalid --network "containr:web1": did you mean container:web1?' \
        nl run --rm --network containr:web1 busybox true
check_says "network inspect labnte" 1 'netlab: error: network labnte not found: did you mean labnet?' \
        nl network inspect labnte
check "control: image busybox:latest" nl run --rm busybox:latest true
check_says "image bosybox" 125 \
        'netlab: error: unable to find image "bosybox": did you mean busybox? (available images are busybox and host)' \
        nl run --rm bosybox true
check_eq "no container left behind by the refused runs" "$((base + 1))" "$(count)"

# Flags after the image: Docker runs "-d" as the command (127); netlab says where flags go.
check_says "a command really not found: 127, no hint" 127 \
        'netlab: error: exec: "nosuchcmd": executable file not found in $PATH' nl run --rm busybox nosuchcmd
check_says "run busybox -d sleep 1d" 127 \
        'netlab: error: exec: "-d": executable file not found in $PATH: flags go before the image: netlab run -d busybox sleep 1d' \
        nl run busybox -d sleep 1d
check_says "run --rm busybox -d --name late -e 'A=1 2' sleep 1d" 127 \
        "netlab: error: exec: \"-d\": executable file not found in \$PATH: flags go before the image: netlab run --rm -d --name late -e 'A=1 2' busybox sleep 1d" \
        nl run --rm busybox -d --name late -e 'A=1 2' sleep 1d
check_eq "the failed runs left nothing behind" "$((base + 1))" "$(count)"
check "the command it suggests works" nl run --rm -d --name late -e 'A=1 2' busybox sleep 1d
check_eq "and runs detached" "running" "$(nl inspect -f '{{.State.Status}}' late)"

# network connect CONTAINER NETWORK: the arguments swapped.
check_says "network connect web1 backnet (swapped)" 1 \
        "netlab: error: network connect takes NETWORK CONTAINER: did you mean 'netlab network connect backnet web1'?" \
        nl network connect web1 backnet
check "control: network connect backnet web1" nl network connect backnet web1
check_says "network disconnect web1 backnet (swapped)" 1 \
        "netlab: error: network disconnect takes NETWORK CONTAINER: did you mean 'netlab network disconnect backnet web1'?" \
        nl network disconnect web1 backnet
check "control: network disconnect backnet web1" nl network disconnect backnet web1
check_says "a real unknown network in the right order is not called swapped" 1 \
        'netlab: error: network backnte not found: did you mean backnet?' nl network connect backnte web1
check_says "swapped and the network mistyped: both in one hint" 1 \
        "netlab: error: network connect takes NETWORK CONTAINER: did you mean 'netlab network connect backnet web1'?" \
        nl network connect web1 backnte
check_says "swapped, and nothing near the second word: not called swapped" 1 \
        'netlab: error: no such container: zzzzzz' nl network connect web1 zzzzzz
# The Linux bridge's name where the network's is meant (ip link shows netlab0, not bridge).
brdev=$(nl network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge)
check "control: --net bridge works" nl run --rm --net bridge busybox true
check_says "--net $brdev (the default bridge's Linux name)" 125 \
        "netlab: error: network $brdev not found: did you mean bridge?" nl run --rm --net "$brdev" busybox true

nl rm -f web1 cafe12 late >/dev/null
finish
