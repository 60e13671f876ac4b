# netlab explain: who can reach a container's ports, from where, read from the kernel; --verify
# probes each claim and must flag what was broken behind netlab's back.
. "$NETLAB_TESTLIB"

nl network create --subnet 10.89.0.0/24 front >/dev/null
nl network create --subnet 10.90.0.0/24 back >/dev/null
nl network create --subnet 10.91.0.0/24 -o icc=false solo >/dev/null
nl external add lan >/dev/null
nl run -d --name web --net front --network-alias www -p 8080:80 -p 127.0.0.1:8081:81 busybox \
        sh -c 'httpd -p 80; httpd -p 81; exec sleep 1d' >/dev/null
nl run -d --name side --net container:web busybox httpd -f -p 8000 >/dev/null
nl run -d --name client --net front busybox sleep 1d >/dev/null
nl run -d --name db --net back busybox httpd -f -p 5432 >/dev/null
nl run -d --name app --net back busybox sleep 1d >/dev/null
nl network connect front app >/dev/null
nl run -d --name lone --net solo busybox httpd -f -p 80 >/dev/null
nl run -d --name lone2 --net solo busybox sleep 1d >/dev/null
nl run -d --name local --net front busybox httpd -f -p 127.0.0.1:9000 >/dev/null
wait_until 5 sh -c "grep -q ':2328 ' /proc/\$('$NETLAB' inspect -f '{{.State.Pid}}' local)/net/tcp"

# The claims, one per line.
out=$(nl explain web:80); rc=$?
check_eq "explain exits 0" 0 "$rc"
check_match "its namespace: itself and the container: sidecar" \
        "yes from inside web and its namespace's sharers \(side\): 127.0.0.1:80" "$out"
check_match "its network, with the peers there" "yes from network front \(client, app, local\) at 10.89.0.2:80" "$out"
check_match "other networks: not at its own address" \
        "no  not from other networks at its own address: netlab drops traffic between networks" "$out"
check_match "other networks: through the published port" \
        "yes from other networks through the host's port 0.0.0.0:8080" "$out"
check_match "the host: at its address" "yes from the host at 10.89.0.2:80" "$out"
check_match "outside: through the mapping, with its host address" "yes from outside through 0.0.0.0:8080" "$out"
check_match "an external host: not at the container's address" \
        "no  not from external host lan at 10.89.0.2:80" "$out"
check_match "the names on its network, aliases included" \
        "names on front for 10.89.0.2: web, web.front, [0-9a-f]{12}, www, www.front" "$out"
out=$(nl explain web:81)
check_match "a loopback-only mapping: not from outside" \
        "no  not from outside through 127.0.0.1:8081: the mapping 127.0.0.1:8081 is loopback-only" "$out"
check_match "... but from the host" "yes from the host through its port 127.0.0.1:8081" "$out"
out=$(nl explain side)
check_match "the sidecar's own listener is found in the shared namespace" \
        "side:8000/tcp \(listening on 0.0.0.0\)" "$out"
check_match "... and the sidecar has its owner's names" "names on front for 10.89.0.2: web," "$out"
out=$(nl explain lone)
check_match "icc=false: not from the peers on that network" \
        "no  not from network solo \(lone2\): solo has icc=false" "$out"
out=$(nl explain local)
check_match "the listener's address is read from the kernel" "local:9000/tcp \(listening on 127.0.0.1\)" "$out"
check_match "a loopback listener: not from its network" \
        "no  not from network front \(.*\): it listens on 127.0.0.1 only" "$out"
check_match "a container with no listener says so" "nothing in client listens on 80/tcp" \
        "$(nl explain client:80)"

# UDP: a lasting listener (the host image's python3: busybox's nc has no UDP), published.
nl run -d --name udpd --net front -p 5354:5353/udp host /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)' >/dev/null
udp_ip=$(nl inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' udpd)
wait_until 5 sh -c "grep -q ':14E9 ' /proc/\$('$NETLAB' inspect -f '{{.State.Pid}}' udpd)/net/udp"
out=$(nl explain udpd:5353/udp)
check_match "a UDP listener is read from the kernel" "udpd:5353/udp \(listening on 0.0.0.0\)" "$out"
check_match "UDP: from its network" "yes from network front \(.*\) at $udp_ip:5353" "$out"
check_match "UDP: from outside through the published port" "yes from outside through 0.0.0.0:5354" "$out"
check_match "UDP: not from other networks at its own address" \
        "no  not from other networks at its own address" "$out"
check_match "the same port over TCP: nothing listens" "nothing in udpd listens on 5353/tcp" \
        "$(nl explain udpd:5353)"
out=$(nl explain --verify udpd:5353/udp); rc=$?
check_eq "UDP --verify: the probes agree with every claim (exit 0)" 0 "$rc"
check_match "... a datagram from its network is answered" \
        "verified: from [a-z0-9]+ to $udp_ip:5353/udp: connected" "$out"
check_match "... one from another network is not" \
        "verified: from [a-z0-9]+ to $udp_ip:5353/udp: timeout" "$out"
check_match "... and one from outside through the mapping is" \
        "verified: from lan to [0-9.]+:5354/udp: connected" "$out"
nl rm -f udpd >/dev/null
out=$(nl explain --all)
check_match "--all: one line per exposure, published" \
        "^web:80/tcp is reachable from outside through 0.0.0.0:8080; also from front, the host, other networks through the published port$" "$out"
check_match "--all: a loopback-only mapping is not an exposure to outside" "^web:81/tcp only from front, the host$" "$out"
check_match "--all: an unpublished port, only from its network and the host" "db:5432/tcp only from back, the host$" "$out"
check_fails "--all: a sidecar shows under its owner, not twice" grep -q "^side:" <<<"$out"
check_status "an unknown container is an error (1)" 1 nl explain nosuch
check_error "a bad port names the accepted forms" "expected CONTAINER, CONTAINER:PORT" nl explain web:99999
check_status "no argument is a usage error" 1 nl explain
out=$(nl explain --json web:80)
check_eq "--json: the outside claim, for tools" "True 0.0.0.0:8080" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [c for c in d["containers"][0]["ports"][0]["claims"] if c["from"] == "outside"][0]
print(c["reachable"], c["via"])' <<<"$out")"

# --verify: real packets agree with every claim (positive and negative ones).
out=$(nl explain --all --verify); rc=$?
check_eq "--verify on the whole lab: no difference (exit 0)" 0 "$rc"
check_match "... and says so" "^0 differences between the claims and the probes" "$out"
out=$(nl explain --verify web:80)
check_match "the outside claim was probed from the external host" \
        "verified: from lan to 198.18.1.1:8080/tcp: connected" "$out"
check_match "the isolation claim was probed from another network" \
        "verified: from db to 10.89.0.2:80/tcp: timeout" "$out"
check_match "every name and alias was resolved from a peer" "verified: client resolved all 5 to 10.89.0.2" "$out"

# The bridge port from the kernel: a veth taken down by hand changes the claim, and the probe
# agrees with the new one.
veth=$(nl inspect web | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]["front"]["HostIfName"])')
ip link set "$veth" down
out=$(nl explain --verify web:80); rc=$?
check_match "a bridge port down behind netlab's back: the claim says so" \
        "no  not from network front \(client, app, local\): its port on bridge br-[0-9a-f]+ \($veth\) is down" "$out"
check_eq "... and the probe agrees with it" 0 "$rc"
ip link set "$veth" up
check_match "port up again: reachable from front again" "yes from network front" "$(nl explain web:80)"

# A drop rule added by hand (nft as the observer's tool): the claims still say "from outside",
# and only the packets can tell. Negative after the positive above.
nft add table inet breaker
nft add chain inet breaker pre '{ type filter hook prerouting priority -300; }'
nft add rule inet breaker pre tcp dport 8080 drop
out=$(nl explain --verify web:80); rc=$?
check_eq "--verify flags a hand-made drop rule (exit 1)" 1 "$rc"
check_eq "... under the claim it contradicts, with what the probe got" \
        "      DIFFERENCE: the probe from lan to 198.18.1.1:8080/tcp: timeout" \
        "$(grep -A1 '^  yes from outside through 0.0.0.0:8080$' <<<"$out" | tail -1)"
check_match "... and counting it, with the same drop seen from another network" "^2 differences between the claims and the probes" "$out"
out=$(nl explain --all --verify)
check_match "--all --verify shows the difference under its exposure" \
        "DIFFERENCE: claimed from outside through 0.0.0.0:8080; the probe from lan" "$out"
nft delete table inet breaker
check "without the rule, no difference again" nl explain --verify web:80

# The netlab table flushed behind netlab's back: the claims follow the kernel (no isolation, no
# published port), and the packets agree. Before, the same claims were the other way round.
check_match "with the table: not from an external host at its address" \
        "no  not from external host lan at 10.89.0.2:80" "$(nl explain web:80)"
nft delete table inet netlab
out=$(nl explain --verify web:80); rc=$?
check_match "without it: a note says the table is gone" "^note: the table inet netlab is gone" "$out"
check_match "... the mapping no longer leads in" \
        "no  not from outside through 0.0.0.0:8080: the netlab table is gone" "$out"
check_match "... and nothing keeps an external host out" \
        "yes from external host lan at 10.89.0.2:80: the netlab table is gone" "$out"
check_eq "... and the probes agree with every claim" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'

# Every shipped scenario's final lab (kept with --keep): explain --verify finds no difference.
# A `netlab external` host stands in for the LAN, since a scenario's own test hosts are not
# recorded in its state root.
SCENARIOS=$(realpath "$(dirname "$NETLAB_TESTLIB")/../../scenarios")
for lab in "$SCENARIOS"/*.lab; do
        name=$(basename "$lab" .lab)
        out=$(nl scenario run --keep "$lab" 2>&1)
        init=$(sed -n 's/^  kill \([0-9]*\); rmdir .*/\1/p' <<<"$out")
        kept=$(sed -n 's/^  kill [0-9]*; rmdir \(.*\)/\1/p' <<<"$out")
        if [ -z "$init" ]; then
                not_ok "scenario $name: kept lab" "$out"
                continue
        fi
        inlab() { nsenter -t "$init" -n -m -p env NETLAB_ROOT="$kept" "$NETLAB" "$@"; }
        inlab external add xlan >/dev/null 2>&1
        out=$(inlab explain --all --verify 2>&1); rc=$?
        check_eq "scenario $name: explain --verify finds no difference" "0 0" \
                "$rc $(sed -n 's/^\([0-9]*\) differences\{0,1\} between.*/\1/p' <<<"$out")"
        [ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
        [ "$name" != 05-router ] || check_match "scenario $name: the router's path is a claim" \
                "alice on network left through the router router" "$(inlab explain bob:80)"
        inlab system reset --force >/dev/null 2>&1
        kill "$init"
        wait_until 10 sh -c "! readlink /proc/$init/ns/net"
        rmdir "$kept" 2>/dev/null
done

finish
