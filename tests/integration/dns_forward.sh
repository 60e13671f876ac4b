#!/bin/bash
# netlab-dns: forwarding to upstream servers, cache, failover, --dns, internal networks.
. "$(dirname "$0")/dns_lib.sh"
dns_setup "$@"

ip link add upbr type bridge
for a in 10.250.0.1 10.250.0.2 10.250.0.3 10.250.0.4; do ip addr add $a/24 dev upbr; done
ip link set upbr up
"$FAKE" 10.250.0.1 >"$ROOT/up1.log" &
"$FAKE" 10.250.0.2 --answer 198.51.100.9 >"$ROOT/up2.log" &
"$FAKE" 10.250.0.3 --silent >"$ROOT/up3.log" &
# nothing listens on 10.250.0.4: port unreachable
resolv() {
        printf 'nameserver %s\n' "$@" >"$ROOT/resolv.conf"
}
resolv 10.250.0.1
mount --bind "$ROOT/resolv.conf" /etc/resolv.conf

ms() {
        echo $(($(date +%s%N) / 1000000))
}

net neta br-a 10.89.0.1/24
net netint br-i 10.91.0.1/24 internal
ctr web; attach web eth0 br-a 10.89.0.2/24
ctr client; attach client eth0 br-a 10.89.0.4/24
ctr custom; attach custom eth0 br-a 10.89.0.5/24
ctr selfdns; attach selfdns eth0 br-a 10.89.0.6/24
ctr iso; attach iso eth0 br-i 10.91.0.2/24
ctr peer; attach peer eth0 br-i 10.91.0.3/24
reg "$(cid 1)" web neta:10.89.0.2
reg "$(cid 2)" client neta:10.89.0.4
reg "$(cid 3)" custom --dns 10.250.0.2 neta:10.89.0.5
reg "$(cid 4)" selfdns --dns 10.89.0.1 neta:10.89.0.6
reg "$(cid 5)" iso netint:10.91.0.2
reg "$(cid 6)" peer netint:10.91.0.3

check_eq "external name forwarded" "198.51.100.7" "$(q client @10.89.0.1 ext.example)"
check_eq "upstream NXDOMAIN passed through" "NXDOMAIN" "$(status client @10.89.0.1 nx.example)"
check_eq "upstream NXDOMAIN keeps its SOA" "SOA" \
        "$(ip netns exec client dig +noall +authority +time=2 +tries=1 @10.89.0.1 nx.example |
                awk '{print $4}')"
q client @10.89.0.1 cached.example >/dev/null
q client @10.89.0.1 cached.example >/dev/null
check_eq "answers are cached (upstream asked once)" "1" \
        "$(grep -c '^QUERY cached.example 1$' "$ROOT/up1.log")"
check_eq "cached answer has an aged TTL" "1" \
        "$(sleep 1.1; ip netns exec client dig +noall +answer @10.89.0.1 cached.example |
                awk '{print ($2 < 300)}')"

check_eq "--dns overrides the upstream" "198.51.100.9 198.51.100.7" \
        "$(q custom @10.89.0.1 other.example) $(q client @10.89.0.1 other.example)"
t0=$(ms)
st=$(status selfdns @10.89.0.1 loop.example)
t1=$(ms)
check_eq "--dns pointing at the resolver: SERVFAIL" "SERVFAIL" "$st"
check_eq "... at once" "1" "$(( t1 - t0 < 500 ))"
check_eq "... and never sent anywhere" "0" "$(cat "$ROOT"/up*.log | grep -c loop.example)"

resolv 10.250.0.2
check_eq "resolv.conf change is picked up" "198.51.100.9" "$(q client @10.89.0.1 changed.example)"
resolv 10.250.0.3 10.250.0.1
check_eq "next server after a timeout" "198.51.100.7" \
        "$(q client +time=4 @10.89.0.1 slow.example)"
resolv 10.250.0.4 10.250.0.1
t0=$(ms)
a=$(q client +time=4 @10.89.0.1 refused.example)
t1=$(ms)
check_eq "next server after a refusal, without waiting" "198.51.100.7 1" "$a $(( t1 - t0 < 500 ))"
resolv 127.0.0.53
check_eq "loopback upstreams are not used: SERVFAIL" "SERVFAIL" \
        "$(status client @10.89.0.1 lo.example)"

resolv 10.250.0.3
ip netns exec client dig +time=5 +tries=1 @10.89.0.1 gone.example >"$ROOT/gone.out" &
sleep 0.2
t0=$(ms)
a=$(q web @10.89.0.1 client)
t1=$(ms)
# The upstream hangs for 5 s: an answer well before that shows local names do not wait for it.
check_eq "local names answer at once while upstream hangs" "10.89.0.4 1" "$a $(( t1 - t0 < 2500 ))"
wait $!
check_eq "no reachable upstream: SERVFAIL" "SERVFAIL" \
        "$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' "$ROOT/gone.out")"
resolv 10.250.0.1

check_eq "internal-only container: local names" "10.91.0.3" "$(q iso @10.91.0.1 peer)"
check_eq "internal-only container: nothing forwarded" "NXDOMAIN 0" \
        "$(status iso @10.91.0.1 isoq.example) $(grep -c isoq "$ROOT/up1.log")"
attach iso eth1 br-a 10.89.0.7/24
reg "$(cid 5)" iso netint:10.91.0.2 neta:10.89.0.7
check_eq "connected to a normal network: forwarding restored" "198.51.100.7" \
        "$(q iso @10.91.0.1 isoq2.example)"

dns_done
