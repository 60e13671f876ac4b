#!/bin/bash
# netlab-dns: started on demand, SIGKILL loses nothing, stopped with the last network.
. "$(dirname "$0")/dns_lib.sh"
dns_setup "$@"

ip link add upbr type bridge
ip addr add 10.250.0.1/24 dev upbr
ip link set upbr up
"$FAKE" 10.250.0.1 >"$ROOT/up1.log" &
echo "nameserver 10.250.0.1" >"$ROOT/resolv.conf"
mount --bind "$ROOT/resolv.conf" /etc/resolv.conf

check_eq "no daemon before the first network" "" "$(daemon_pid)"
net neta br-a 10.89.0.1/24
pid=$(daemon_pid)
kill -0 "$pid" 2>/dev/null && ok "first network starts the daemon" ||
        not_ok "first network starts the daemon"
ctr web; attach web eth0 br-a 10.89.0.2/24
ctr client; attach client eth0 br-a 10.89.0.4/24
reg "$(cid 1)" web neta:10.89.0.2
reg "$(cid 2)" client neta:10.89.0.4
check_eq "name resolves" "10.89.0.2" "$(q client @10.89.0.1 web)"

# the listener binds before the address exists (IP_FREEBIND)
net netb br-b 10.90.0.1/24
ip addr del 10.90.0.1/24 dev br-b
"$DRIVER" "$ROOT" put-network netb 10.90.0.1
ip addr add 10.90.0.1/24 dev br-b
ctr db; attach db eth0 br-b 10.90.0.2/24
reg "$(cid 3)" db netb:10.90.0.2
check_eq "listens on a gateway added after the network" "10.90.0.2" "$(q db @10.90.0.1 db)"
check_eq "one daemon for the root" "$pid" "$(daemon_pid)"

kill -KILL "$pid"
sleep 0.2
check_error "daemon killed" "No such process" kill -0 "$pid"
check_eq "while dead: no answer" "0" "$(q client @10.89.0.1 web | grep -c '^10\.')"
reg "$(cid 4)" newbie neta:10.89.0.5
pid2=$(daemon_pid)
if [ -n "$pid2" ] && [ "$pid2" != "$pid" ] && kill -0 "$pid2"; then
        ok "next API call restarts the daemon"
else
        not_ok "next API call restarts the daemon ($pid -> $pid2)"
fi
check_eq "old names rebuilt from the state root" "10.89.0.2 10.90.0.2" \
        "$(q client @10.89.0.1 web) $(q db @10.90.0.1 db)"
check_eq "the new record is live" "10.89.0.5" "$(q client @10.89.0.1 newbie)"

kill -KILL "$pid2"
"$DRIVER" "$ROOT" drop-container "$(cid 4)"
check_eq "drop on a dead daemon restarts it without the record" "NXDOMAIN 10.89.0.2" \
        "$(status client @10.89.0.1 newbie) $(q client @10.89.0.1 web)"

"$DRIVER" "$ROOT" drop-network netb
pid3=$(daemon_pid)
check_eq "dropping a network stops its listener" "1" \
        "$(q db +tries=1 +time=1 @10.90.0.1 db | grep -c 'timed out\|no servers')"
"$DRIVER" "$ROOT" drop-network neta
sleep 0.2
check_error "last network stops the daemon" "No such process" kill -0 "$pid3"
check_eq "pidfile and socket removed" "no no" \
        "$([ -e "$ROOT/dns/netlab-dns.pid" ] && echo yes || echo no) $([ -e "$ROOT/dns/control.sock" ] && echo yes || echo no)"
"$DRIVER" "$ROOT" drop-container "$(cid 2)"
check_eq "dropping a container with no network starts nothing" "" "$(daemon_pid)"
net netc br-c 10.92.0.1/24
check_eq "a new network starts it again" "1" "$(kill -0 "$(daemon_pid)" && echo 1)"

dns_done
