#!/bin/bash
# netlab-dns: names, scoping across two networks, aliases, PTR, NODATA, live updates.
. "$(dirname "$0")/dns_lib.sh"
dns_setup "$@"

ip link add upbr type bridge
ip addr add 10.250.0.1/24 dev upbr
ip link set upbr up
"$FAKE" 10.250.0.1 >"$ROOT/upstream.log" &
echo "nameserver 10.250.0.1" >"$ROOT/resolv.conf"
mount --bind "$ROOT/resolv.conf" /etc/resolv.conf

net neta br-a 10.89.0.1/24
net netb br-b 10.90.0.1/24
ctr web; attach web eth0 br-a 10.89.0.2/24
ctr client; attach client eth0 br-a 10.89.0.4/24
ctr db; attach db eth0 br-b 10.90.0.2/24
ctr multi; attach multi eth0 br-a 10.89.0.3/24; attach multi eth1 br-b 10.90.0.3/24
reg "$(cid 1)" web neta:10.89.0.2:www,app
reg "$(cid 2)" client neta:10.89.0.4:app
reg "$(cid 3)" db netb:10.90.0.2
reg "$(cid 4)" multi neta:10.89.0.3:ma netb:10.90.0.3:mb

check_eq "name on the shared network" "10.89.0.2" "$(q client @10.89.0.1 web)"
check_eq "names are case-insensitive" "10.89.0.2" "$(q client @10.89.0.1 WeB)"
check_eq "name.network" "10.89.0.2" "$(q client @10.89.0.1 web.neta)"
check_eq "alias" "10.89.0.2" "$(q client @10.89.0.1 www)"
check_eq "short id" "10.89.0.2" "$(q client @10.89.0.1 c0ffee000001)"
check_eq "a name only on another network is not answered" "NXDOMAIN" "$(status client @10.89.0.1 db)"
check_eq "name.othernetwork is not answered" "NXDOMAIN" "$(status client @10.89.0.1 db.netb)"
check_eq "two-network container seen with the shared address only" "10.89.0.3" \
        "$(q client @10.89.0.1 multi)"
check_eq "never its other network's address" "NXDOMAIN" "$(status client @10.89.0.1 multi.netb)"
check_eq "alias defined on another network is not visible" "NXDOMAIN" \
        "$(status client @10.89.0.1 mb)"
check_eq "db sees multi's B address" "10.90.0.2 10.90.0.3" \
        "$(q db @10.90.0.1 db) $(q db @10.90.0.1 multi)"
check_eq "multi sees both networks through A's nameserver" "10.90.0.2 10.89.0.2" \
        "$(q multi @10.89.0.1 db) $(q multi @10.89.0.1 web)"
check_eq "multi sees both networks through B's nameserver" "10.90.0.2 10.89.0.2" \
        "$(q multi @10.90.0.1 db) $(q multi @10.90.0.1 web)"
check_eq "host side (gateway address) sees its network" "10.89.0.2 NXDOMAIN" \
        "$(dig +short +time=2 +tries=1 @10.89.0.1 web) $(dig +time=2 +tries=1 @10.89.0.1 db |
                sed -n 's/.*status: \([A-Z]*\).*/\1/p')"

a1=$(q client @10.89.0.1 app)
a2=$(q client @10.89.0.1 app)
check_eq "shared alias returns every address" "10.89.0.2 10.89.0.4" \
        "$(echo "$a1" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
if [ "${a1%% *}" != "${a2%% *}" ]; then ok "shared alias rotates per query"; else
        not_ok "shared alias rotates per query ($a1 / $a2)"; fi

check_eq "PTR for a container address" "web.neta." "$(q client @10.89.0.1 -x 10.89.0.2)"
check_eq "PTR of another network's address is not answered" "NXDOMAIN" \
        "$(status client @10.89.0.1 -x 10.90.0.2)"
check_eq "AAAA of a v4-only name is NODATA" "NOERROR/" \
        "$(status client @10.89.0.1 web AAAA)/$(q client @10.89.0.1 web AAAA)"
check_eq "unknown name: NXDOMAIN from upstream" "NXDOMAIN" "$(status client @10.89.0.1 nosuch)"
check_eq "RA flag set" "1" \
        "$(ip netns exec client dig +time=2 +tries=1 @10.89.0.1 web | grep -c 'flags:.* ra')"

if command -v busybox >/dev/null; then
        bb() { ip netns exec "$1" busybox nslookup "$2" "$3" 2>&1; }
        check_eq "busybox nslookup: name" "Address: 10.89.0.2" \
                "$(bb client web 10.89.0.1 | grep '^Address: ')"
        check_eq "busybox nslookup: other network's name" "1" \
                "$(bb client db 10.89.0.1 | grep -c -m1 "can't find db: NXDOMAIN")"
        check_eq "busybox nslookup: reverse" "1" \
                "$(bb client 10.89.0.2 10.89.0.1 | grep -c 'name = web.neta')"
else
        ok "# SKIP busybox not installed"
fi

# disconnect multi from netb: its B alias goes, its name stays reachable through neta
reg "$(cid 4)" multi neta:10.89.0.3:ma
check_eq "after disconnect: B-only peer no longer resolves multi" "NXDOMAIN" \
        "$(status db @10.90.0.1 multi)"
check_eq "after disconnect: name still reachable on A" "10.89.0.3" "$(q client @10.89.0.1 multi)"
check_eq "after disconnect: multi no longer sees B names" "NXDOMAIN" \
        "$(status multi @10.89.0.1 db)"
reg "$(cid 4)" multi neta:10.89.0.3:ma netb:10.90.0.3:mb
check_eq "after connect: B peer resolves multi again" "10.90.0.3" "$(q db @10.90.0.1 multi)"

"$DRIVER" "$ROOT" drop-container "$(cid 1)"
check_eq "after rm: name is gone" "NXDOMAIN" "$(status client @10.89.0.1 web)"
check_eq "after rm: alias keeps the remaining address" "10.89.0.4" "$(q client @10.89.0.1 app)"

dns_done
