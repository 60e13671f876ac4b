# netlab doctor: each problem staged in the sandbox after a clean control, found with its fix,
# and gone again when the staging is undone; the scenario preflight line.
. "$NETLAB_TESTLIB"
require nft jq

# doctor_line CHECK: the doctor's lines about one check.
doctor_line() { nl doctor 2>&1 | grep -E "^[a-zA-Z]+ +$1: " || true; }
problems() { nl doctor 2>&1 | grep '^PROBLEM' || true; }

# ---- a clean sandbox, before and after a network is up ----
check "a clean sandbox: doctor exits 0" nl doctor
check_eq "and reports no problem" "" "$(problems)"
nl network create --subnet 10.89.0.0/24 neta >/dev/null
nl run -d --name ca --net neta busybox sleep 1d >/dev/null
nl run -d --name cb --net neta busybox sleep 1d >/dev/null
check "with a network up and two containers: doctor exits 0" nl doctor
check_eq "and reports no problem" "" "$(problems)"
check_match "it says the netlab table is in place" "^ok +ruleset: table inet netlab is in place" \
        "$(doctor_line ruleset)"
check_match "--json: an array of check/status/message/fix" '^subnet ok .+$' \
        "$(nl doctor --json | jq -r '.[0] | "\(.check) \(.status) \(.message)"')"

# ---- a clashing route: a veth on the host with an address inside neta's subnet ----
ip link add vclash type veth peer name vclash-p
ip addr add 10.89.0.200/16 dev vclash
ip link set vclash up
out=$(nl doctor 2>&1); rc=$?
check_eq "a clashing address: doctor exits 1" 1 "$rc"
check_match "it names the network, its subnet and the host's address" \
        "^PROBLEM +subnet: network neta \(10\.89\.0\.0/24\) overlaps the host's address 10\.89\.0\.200/16 on vclash" "$out"
check_match "and the fix, with a subnet free now" \
        "fix: netlab network rm neta; netlab network create --subnet [0-9.]+/[0-9]+ neta" "$out"
ip link del vclash
check_eq "the veth removed: no subnet problem" "" "$(problems)"
# Docker's docker0 over the default bridge network's subnet (its record exists since the run).
bridge_subnet=$(nl network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')
ip link add docker0 type bridge
ip addr add "${bridge_subnet%.0/*}.1/${bridge_subnet#*/}" dev docker0
ip link set docker0 up
check_match "a docker0 over the default network's subnet is named as Docker's" \
        "network bridge \(${bridge_subnet//./\\.}\) overlaps Docker's docker0" "$(doctor_line subnet)"
ip link del docker0
check_eq "docker0 removed: no problem" "" "$(problems)"
# Another state root's bridge on a subnet of ours: netc's bridge is gone, as after a reboot (its
# record stays), and a second root takes the subnet.
nl network create --subnet 10.97.0.0/24 netc >/dev/null
ip link del "$(nl network inspect netc | jq -r '.[0].Options["com.docker.network.bridge.name"]')"
check "another root may then create a network there" \
        nl --root /run/netlab-test/root2 network create --subnet 10.97.0.0/24 --gateway 10.97.0.254 other
check_match "doctor names the other root's bridge" \
        "^PROBLEM +subnet: network netc \(10\.97\.0\.0/24\) overlaps bridge br-[0-9a-f]+ of another netlab state root" \
        "$(doctor_line subnet)"
nl --root /run/netlab-test/root2 network rm other >/dev/null
nl network rm netc >/dev/null
check_eq "both networks removed: no problem" "" "$(problems)"

# ---- a foreign FORWARD DROP, with and without br_netfilter ----
ip_b=$(nl inspect cb | jq -r '.[0].NetworkSettings.Networks.neta.IPAddress')
brnf=/proc/sys/net/bridge/bridge-nf-call-iptables
[ -e $brnf ] && echo 1 >$brnf
check "before the foreign drop: ca reaches cb" nl exec ca ping -c1 -W2 "$ip_b"
nft add table ip filter
nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
out=$(nl doctor 2>&1); rc=$?
check_eq "a foreign forward chain with policy drop: doctor exits 1" 1 "$rc"
check_match "it names the chain and why" \
        "^PROBLEM +firewall: chain ip filter FORWARD .*its policy is drop" "$out"
check_match "and the fix, for that chain" \
        "fix: nft 'insert rule ip filter FORWARD iifname \{ \"netlab\*\", \"br-\*\" \} accept'" "$out"
if [ -e $brnf ]; then
        check_fails "with br_netfilter on, the drop blocks ca -> cb on one bridge" \
                nl exec ca ping -c1 -W2 "$ip_b"
        check_match "and doctor says br_netfilter sends their traffic into that chain" \
                "^PROBLEM +br_netfilter: bridge-nf-call-iptables=1 .*chain ip filter FORWARD drops it" \
                "$(doctor_line br_netfilter)"
        echo 0 >$brnf
        check "with br_netfilter off, ca reaches cb again" nl exec ca ping -c1 -W2 "$ip_b"
        check_match "and doctor reports br_netfilter ok" "^ok +br_netfilter: bridge-nf-call-iptables=0" \
                "$(doctor_line br_netfilter)"
        echo 1 >$brnf
else
        for t in "br_netfilter blocks same-bridge traffic" "doctor names br_netfilter" \
                "br_netfilter off: traffic again" "br_netfilter off: ok"; do
                ok "$t # SKIP no $brnf: br_netfilter is neither loaded nor built in"
        done
fi
nft delete table ip filter
check_eq "the foreign table removed: no problem" "" "$(problems)"

# ---- a flushed ruleset ----
nft flush ruleset
out=$(nl doctor 2>&1); rc=$?
check_eq "a flushed ruleset: doctor exits 1" 1 "$rc"
check_match "it says the table is gone while neta is up, and how it comes back" \
        "^PROBLEM +ruleset: table inet netlab is gone .*network\(s\) neta are up.*fix: netlab rebuilds it .* netlab doctor --fix" "$out"
check_fails "the observer agrees: no table inet netlab" nft list table inet netlab
out=$(nl doctor --fix 2>&1)
check_match "doctor --fix rebuilds it" "^fixed +ruleset: .*rebuilt from the records" "$out"
check "the observer sees the table again" nft list table inet netlab
check_eq "and doctor has no problem left" "" "$(problems)"
nft flush ruleset
nl network create --subnet 10.90.0.0/24 netb >/dev/null
check "or the next network create rebuilds it, as doctor says" nft list table inet netlab

# ---- forwarding off ----
sysctl -qw net.ipv4.ip_forward=0
out=$(nl doctor 2>&1); rc=$?
check_eq "ip_forward=0 while networks are up: doctor exits 1" 1 "$rc"
check_match "it names the sysctl and the fix" \
        "^PROBLEM +forwarding: net\.ipv4\.ip_forward=0 while network\(s\) .*neta.* are up.*fix: sysctl -w net\.ipv4\.ip_forward=1" "$out"
check_eq "one finding for it, not one per bridge too" 1 "$(grep -c '^PROBLEM *forwarding' <<<"$out")"
nl doctor --fix >/dev/null
check_eq "doctor --fix turns it back on" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "and doctor has no problem left" "" "$(problems)"

# ---- netem: an observer tries it in a throwaway namespace; doctor must agree ----
if unshare -n tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
        check_match "this kernel has netem: doctor lists it among what works" \
                "^ok +kernel: .*netem" "$(doctor_line kernel)"
else
        check_match "this kernel has no netem: doctor says so, naming sch_netem" \
                "^note +kernel: netem \(module sch_netem\) is missing: link set --delay" \
                "$(doctor_line kernel)"
        check "a missing feature no lab here uses is a note: doctor still exits 0" nl doctor
fi
check_match "bridge and veth work (tried, not guessed)" "^ok +kernel: bridge, veth" \
        "$(doctor_line kernel)"
check_match "the cgroup layout and the controllers" "^ok +cgroup: pids, devices.*\((v1|v2|hybrid)" \
        "$(doctor_line cgroup)"

# ---- the preflight of scenario run ----
work=$(mktemp -d /tmp/netlab-doctor-test.XXXXXX)
printf 'title preflight\nrun -d --name pf busybox sleep 1d\nexpect pf has-interface eth0\n' \
        >"$work/pf.lab"
out=$(nl scenario run "$work/pf.lab" 2>&1); rc=$?
check_eq "a scenario runs after its preflight (exit 0)" 0 "$rc"
check_match "its first line: preflight ok, with what was checked" \
        "^preflight: ok \(kernel: bridge, veth.*; cgroup: pids" "$(head -1 <<<"$out")"
check_match "with --tap, the preflight is a comment" "^# preflight: ok \(" \
        "$(nl scenario run --tap "$work/pf.lab")"
rm -rf "$work"
check "doctor --help documents --fix and --json" sh -c "'$NETLAB' doctor --help | grep -q -- '--fix' && '$NETLAB' doctor --help | grep -q -- '--json'"
check_status "doctor takes no arguments (exit 1)" 1 nl doctor extra
finish
