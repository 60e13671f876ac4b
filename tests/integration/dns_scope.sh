#!/bin/bash
# netlab-dns answers only clients of the network a query arrives on: a LAN host, a container on
# another bridge, an internal-only container going through another gateway and a spoofed source
# get nothing, and nothing of theirs reaches the upstream. TCP slowloris, the daemon's capabilities.
. "$(dirname "$0")/dns_lib.sh"
dns_setup "$@"

ip link add upbr type bridge
ip addr add 10.250.0.1/24 dev upbr
ip link set upbr up
"$FAKE" 10.250.0.1 >"$ROOT/up.log" &
echo "nameserver 10.250.0.1" >"$ROOT/resolv.conf"
mount --bind "$ROOT/resolv.conf" /etc/resolv.conf
# The host routes for its containers; the kernel's source checks stay out of the way, so what
# is refused below is refused by the daemon.
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0

# upcount NAME: how many queries for NAME reached the upstream
upcount() { grep -c "^QUERY $1 " "$ROOT/up.log"; }
# gw NS GATEWAY: a default route, so the namespace can reach every host address
gw() { ip -n "$1" route add default via "$2"; }

net neta br-a 10.89.0.1/24
net netint br-i 10.91.0.1/24 internal
ip link add br-d type bridge # the default bridge: no names, no resolver
ip addr add 172.17.0.1/16 dev br-d
ip link set br-d up
ctr web; attach web eth0 br-a 10.89.0.2/24
ctr client; attach client eth0 br-a 10.89.0.4/24; gw client 10.89.0.1
ctr atk; attach atk eth0 br-a 10.89.0.9/24
ctr iso; attach iso eth0 br-i 10.91.0.2/24; gw iso 10.91.0.1
ctr plain; attach plain eth0 br-d 172.17.0.2/16; gw plain 172.17.0.1
reg "$(cid 1)" web neta:10.89.0.2
reg "$(cid 2)" client neta:10.89.0.4
reg "$(cid 3)" atk neta:10.89.0.9
reg "$(cid 4)" iso netint:10.91.0.2
# a LAN neighbour: its own link to the host, routed to the container subnets through it
ctr lan
ip link add vlan0 type veth peer name eth0 netns lan
ip addr add 192.168.77.1/24 dev vlan0
ip link set vlan0 up
sysctl -qw net.ipv4.conf.vlan0.rp_filter=0
ip -n lan addr add 192.168.77.2/24 dev eth0
ip -n lan link set eth0 up
gw lan 192.168.77.1

# LAN host
check_eq "control: a container on the network resolves a name" "10.89.0.2" "$(q client @10.89.0.1 web)"
check_eq "control: and gets an external name forwarded" "198.51.100.7 1" \
        "$(q client @10.89.0.1 fwd.example) $(upcount fwd.example)"
check_eq "control: the LAN host reaches the upstream (routing works)" "198.51.100.7" \
        "$(q lan @10.250.0.1 lanctl.example)"
check_eq "LAN host asking the gateway for a container name: REFUSED" "REFUSED" \
        "$(status lan @10.89.0.1 web)"
check_eq "LAN host asking for an external name: REFUSED, nothing forwarded" "REFUSED 0" \
        "$(status lan @10.89.0.1 lanleak.example) $(upcount lanleak.example)"
check_eq "control: a container on the network resolves over TCP" "10.89.0.2" \
        "$(q client +tcp @10.89.0.1 web)"
lan_tcp=$(ip netns exec lan dig +tcp +time=2 +tries=1 @10.89.0.1 web 2>&1)
check_eq "LAN host over TCP: no answer" "" "$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$lan_tcp")"
check_match "... because the connection is closed at accept (dig ran and said so)" \
        "end of file|reset|closed" "$lan_tcp"

# a source address spoofed from the LAN (a container's, put on the LAN host's own link): the
# arrival link decides, not the address
ip -n lan addr add 10.89.0.4/32 dev eth0
ip netns exec lan dig +time=1 +tries=1 -b 10.89.0.4 @10.250.0.1 spoofctl.example >/dev/null
check_eq "control: a spoofed query from the LAN reaches a host socket" "1" "$(upcount spoofctl.example)"
ip netns exec lan dig +time=1 +tries=1 -b 10.89.0.4 @10.89.0.1 spoofed.example >/dev/null
check_eq "a container's address spoofed from the LAN: nothing forwarded" "0" \
        "$(upcount spoofed.example)"

# another bridge
check_eq "control: the default-bridge container reaches neta's gateway (an answer comes)" "1" \
        "$([ -n "$(status plain @10.89.0.1 plainctl.example)" ] && echo 1)"
check_eq "default-bridge container asking another network's gateway: REFUSED, no names" \
        "REFUSED/" "$(status plain @10.89.0.1 web)/$(q plain @10.89.0.1 web)"
check_eq "... and nothing forwarded" "0" "$(upcount plainctl.example)"

# internal-only container through another network's gateway (CVE-2024-29018 class)
check_eq "control: the internal-only container resolves its own network's names" "10.91.0.2" \
        "$(q iso @10.91.0.1 iso)"
check_eq "internal-only container via its own gateway: nothing forwarded" "NXDOMAIN 0" \
        "$(status iso @10.91.0.1 exfil1.example) $(upcount exfil1.example)"
check_eq "internal-only container via another network's gateway: REFUSED" "REFUSED" \
        "$(status iso @10.89.0.1 exfil2.example)"
check_eq "... nothing forwarded, over TCP either" "0" \
        "$(q iso +tcp @10.89.0.1 exfil2.example >/dev/null; upcount exfil2.example)"
check_eq "control: a normal container's same query is forwarded" "198.51.100.7 1" \
        "$(q client @10.89.0.1 exfil2.example) $(upcount exfil2.example)"

# slowloris: one client's 70 connections trickling a byte a second
ms() { echo $(($(date +%s%N) / 1000000)); }
established() { ss -Htn state established '( sport = :53 )' | wc -l; }
t0=$(ms)
a=$(q client +tcp @10.89.0.1 web)
check_eq "control: dig +tcp answers with no attack" "10.89.0.2 1" "$a $(( $(ms) - t0 < 2000 ))"
ip netns exec atk bash -c 'trap "" PIPE
        fds=()
        for i in $(seq 1 70); do exec {fd}<>/dev/tcp/10.89.0.1/53 && fds+=($fd); done
        for b in "\0" "\x40" a b c d e f; do
                for fd in "${fds[@]}"; do printf "$b" >&$fd; done 2>/dev/null
                sleep 1
        done' 2>/dev/null &
attack=$!
sleep 1.2
n=$(established)
check_eq "the attacker holds connections (at most its quota of 8)" "1" "$(( n > 0 && n <= 8 ))"
t0=$(ms)
a=$(q client +tcp @10.89.0.1 web)
check_eq "under attack, a fresh dig +tcp answers within 2 s" "10.89.0.2 1" \
        "$a $(( $(ms) - t0 < 2000 ))"
sleep 2.5
check_eq "trickling connections are closed by the deadline while they still trickle" "0 1" \
        "$(established) $(kill -0 $attack 2>/dev/null && echo 1)"
wait $attack

# the daemon keeps CAP_NET_BIND_SERVICE (bit 10) only
caps() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
pid=$(daemon_pid)
check_eq "control: this shell has more than CAP_NET_BIND_SERVICE" "1" \
        "$([ "$(caps CapEff $$)" != 0000000000000400 ] && echo 1)"
check_eq "daemon's effective, permitted, bounding sets: CAP_NET_BIND_SERVICE" \
        "0000000000000400 0000000000000400 0000000000000400" \
        "$(caps CapEff "$pid") $(caps CapPrm "$pid") $(caps CapBnd "$pid")"
check_eq "daemon has no_new_privs" "1" "$(caps NoNewPrivs "$pid")"
net netc br-c 10.92.0.1/24
ctr late; attach late eth0 br-c 10.92.0.2/24
reg "$(cid 5)" late netc:10.92.0.2
check_eq "with that, a network created later is still served on port 53" "10.92.0.2" \
        "$(q late @10.92.0.1 late)"

dns_done
