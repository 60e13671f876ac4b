# netlab link set|show|reset: the rate measured with iperf3 (run in the containers' namespaces
# from the host with nsenter, as observers), tc as an observer of the qdiscs, the netem error on
# this kernel, bad values, and the scenario directive.
. "$NETLAB_TESTLIB"
require iperf3 nsenter tc jq

nl network create --subnet 10.95.0.0/24 shaped >/dev/null
nl run -d --name web --net shaped busybox sleep 1d >/dev/null
nl run -d --name sink --net shaped busybox sleep 1d >/dev/null
pid_of() { nl inspect -f '{{.State.Pid}}' "$1"; }
webpid=$(pid_of web)
sinkpid=$(pid_of sink)
nsenter -t "$sinkpid" -n iperf3 -s -D --logfile /run/netlab-test/iperf3.log
wait_until 5 nsenter -t "$sinkpid" -n sh -c 'ss -ltn | grep -q :5201'

# What web sends to sink in Mbit/s with one decimal, as the receiver counted it (web's egress
# is the shaped side).
measure() {
        nsenter -t "$webpid" -n iperf3 -c 10.95.0.3 -t "$1" -J |
                jq -r '.end.sum_received.bits_per_second / 100000 | floor | . / 10'
}
# The measured rate is within 20% of the set one.
within() { # WANT_MBIT GOT_MBIT
        local tenths=${2/./}
        [[ $2 == *.* ]] || tenths=$(($2 * 10))
        [ "$tenths" -ge $(($1 * 8)) ] && [ "$tenths" -le $(($1 * 12)) ]
}
tc_root() { nsenter -t "$webpid" -n tc -j qdisc show dev eth0 root | jq -r '.[0].kind'; }

# Positive control: unshaped, web sends far faster than the rates set below.
base=$(measure 1)
check_match "unshaped, web sends over 100 Mbit/s (measured $base)" '^([0-9]{4,}|[1-9][0-9]{2})(\.[0-9])?$' "$base"
check_output "link show: no conditions yet" "web/eth0: no conditions" nl link show web

check "link set --rate 10mbit" nl link set web --rate 10mbit
got=$(measure 4)
if within 10 "$got"; then ok "10mbit: iperf3 measures $got Mbit/s (within 20%)"
else not_ok "10mbit: iperf3 measures $got Mbit/s, not within 20%"; fi
check_output "link show names the rate" "web/eth0: rate 10mbit" nl link show web
check_output "link show web/eth0 is the same" "web/eth0: rate 10mbit" nl link show web/eth0
check_eq "tc sees a tbf at the root of web's eth0" "tbf" "$(tc_root)"
check_eq "and its rate is 10 Mbit/s" "1250000" \
        "$(nsenter -t "$webpid" -n tc -j qdisc show dev eth0 root | jq -r '.[0].options.rate')"
check_eq "sink's interface is untouched" "noqueue" \
        "$(nsenter -t "$sinkpid" -n tc -j qdisc show dev eth0 root | jq -r '.[0].kind')"

check "link set --rate 50mbit replaces it" nl link set web --rate 50mbit
got=$(measure 4)
if within 50 "$got"; then ok "50mbit: iperf3 measures $got Mbit/s (within 20%)"
else not_ok "50mbit: iperf3 measures $got Mbit/s, not within 20%"; fi
check_output "link show names the new rate" "web/eth0: rate 50mbit" nl link show web

# This kernel has no sch_netem: one line naming it, and the old rate stays.
want="netlab: error: --delay needs the kernel's sch_netem qdisc, which this kernel does not have (modprobe sch_netem)"
check_status "--delay fails with exit 1" 1 nl link set web --delay 50ms
check_eq "with one line naming sch_netem" "$want" "$out"
check_output "--loss names itself" \
        "netlab: error: --loss needs the kernel's sch_netem qdisc, which this kernel does not have (modprobe sch_netem)" \
        nl link set web --loss 1%
check_error "--rate with --delay fails the same way" "sch_netem" \
        nl link set web --rate 5mbit --delay 10ms --jitter 1ms
check_output "and the old conditions stay, not half of the new" "web/eth0: rate 50mbit" \
        nl link show web
check_eq "tc agrees: still one tbf at the root" "tbf 6250000" \
        "$(nsenter -t "$webpid" -n tc -j qdisc show dev eth0 | jq -r '[.[] | .kind] | join(" ")') $(nsenter -t "$webpid" -n tc -j qdisc show dev eth0 root | jq -r '.[0].options.rate')"

check "link reset" nl link reset web
check_output "link show: no conditions again" "web/eth0: no conditions" nl link show web
check_eq "tc sees the default qdisc again" "noqueue" "$(tc_root)"
got=$(measure 1)
check_match "after reset web sends over 100 Mbit/s again (measured $got)" \
        '^([0-9]{4,}|[1-9][0-9]{2})(\.[0-9])?$' "$got"
check "reset with nothing set is fine" nl link reset web

# Bad values: named with what is accepted, nothing changed.
check_output "a bad unit is named, with the near one" \
        'netlab: error: --rate: invalid rate "10mbt": unknown unit "mbt" (did you mean "mbit"?); want a number and a unit: bit, kbit, mbit, gbit (bits/s) or bps, kbps, mbps, gbps (bytes/s), e.g. 10mbit' \
        nl link set web --rate 10mbt
check_error "a rate without a unit" 'invalid rate "10": want a number and a unit' \
        nl link set web --rate 10
check_error "a loss without %" 'invalid percentage "1": want a percentage' nl link set web --loss 1
check_error "jitter without delay" "--jitter varies a delay" nl link set web --jitter 5ms
check_error "nothing to set" "nothing to set" nl link set web
check_eq "after all that, still the default qdisc" "noqueue" "$(tc_root)"
check_status "a usage error exits 1" 1 nl link set web sink --rate 1mbit
check_error "an unknown subcommand suggests" 'did you mean "link show"' nl link shwo web

# Which interface and which container.
check_error "an interface the container lacks" "container web has no interface eth5" \
        nl link set web/eth5 --rate 1mbit
check_error "an unknown container" "no such container" nl link show nosuch
nl create --name idle --net shaped busybox sleep 1d >/dev/null
check_error "a container that is not running" "container idle is not running" \
        nl link set idle --rate 1mbit
nl run -d --name hostnet --net host busybox sleep 1d >/dev/null
hostroot=$(tc -j qdisc show dev lo root | jq -r '.[0].kind')
check_error "a --network host container is refused: its interfaces are the host's" \
        "uses --network host" nl link set hostnet/lo --rate 1mbit
check_eq "and the host's lo is untouched" "$hostroot" "$(tc -j qdisc show dev lo root | jq -r '.[0].kind')"
check "a second interface: connect web to another network" \
        nl network connect bridge web
check "link set web/eth1" nl link set web/eth1 --rate 2mbit
check_output "link show web/eth1" "web/eth1: rate 2mbit" nl link show web/eth1
check_output "eth0 is untouched" "web/eth0: no conditions" nl link show web

# The scenario directive: `link web --rate ...` runs `link set`, bad values stop the file first.
work=$(mktemp -d /run/netlab-test/lab.XXXXXX)
cat >"$work/rate.lab" <<'LAB'
title Link conditions
run -d --name web busybox sleep 1d
link web --rate 10mbit
link show web
link reset web
link show web
LAB
out=$(nl scenario run "$work/rate.lab" 2>&1); rc=$?
check_eq "a scenario with the link directive passes" 0 "$rc"
check_match "it shows the command it runs" '\$ netlab link set web --rate 10mbit' "$out"
check_match "and link show's output" 'web/eth0: rate 10mbit' "$out"
check_match "and the reset" 'web/eth0: no conditions' "$out"
printf 'run -d --name web busybox sleep 1d\nlink web --delay 50ms\n' >"$work/netem.lab"
out=$(nl scenario run "$work/netem.lab" 2>&1); rc=$?
check_eq "a scenario asking for delay fails here" 1 "$rc"
check_match "naming sch_netem" "delay needs the kernel's sch_netem qdisc" "$out"
printf 'run -d --name web busybox sleep 1d\nlink web --rate 10mbt\n' >"$work/bad.lab"
out=$(nl scenario run "$work/bad.lab" 2>&1); rc=$?
check_eq "a bad unit in a scenario stops it" 1 "$rc"
check_match "at its line and column, before anything runs" \
        'bad.lab:2:17: error: --rate: invalid rate "10mbt"' "$out"
check_fails "nothing ran" grep -q '\$ netlab run' <<<"$out"

finish
