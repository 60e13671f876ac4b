# diagnose names the right cause for topologies broken on purpose; graph draws the lab.
. "$NETLAB_TESTLIB"

nl network create --subnet 10.89.0.0/24 neta >/dev/null
nl network create --subnet 10.90.0.0/24 netb >/dev/null
nl network create --internal --subnet 10.91.0.0/24 sealed >/dev/null
nl run -d --name web --net neta --network-alias www -p 8080:80 busybox httpd -f -p 80 >/dev/null
nl run -d --name idle --net neta busybox sleep 1d >/dev/null
nl run -d --name client --net neta busybox sleep 1d >/dev/null
nl run -d --name far --net netb busybox sleep 1d >/dev/null
nl run -d --name inside --net sealed busybox sleep 1d >/dev/null
nl create --name stopped --net neta busybox sleep 1d >/dev/null

out=$(nl diagnose client web:80); rc=$?
check_eq "a working path exits 0" "0" "$rc"
check_match "and shows the path it found" "client reaches 10.89.0.2:80/tcp" "$out"
out=$(nl diagnose far web:80)
check_match "different networks: says they share no network" "share no network" "$out"
check_match "and names the fix" "fix: netlab network connect neta far" "$out"
check_match "and the reason's name" "reason: different-networks" "$out"
check_status "a broken path exits 1" 1 nl diagnose far web:80
out=$(nl diagnose inside 198.51.100.2)
check_match "internal network: says it has no way out" "only on internal network\(s\) sealed" "$out"
check_match "internal network: reason internal" "reason: internal" "$out"
out=$(nl diagnose client idle:80)
check_match "no listener: says nothing listens on the port" "nothing in idle listens on 80/tcp" "$out"
check_match "no listener: reason not-listening" "reason: not-listening" "$out"
out=$(nl diagnose client host:9999)
check_match "port not published: says no container publishes it" "no container publishes port 9999/tcp" "$out"
check_match "port not published: reason not-published" "reason: not-published" "$out"
out=$(nl diagnose client host:80)
check_match "web's 80 is published on 8080: other-host-port, naming it" \
        "web's port 80/tcp is published on host port 8080, not on 80" "$out"
check_match "other-host-port: the reason" "reason: other-host-port" "$out"
check_eq "a published port through the host works" "0" "$(nl diagnose client host:8080 >/dev/null; echo $?)"
check_fails "a working path names no reason" grep -q "reason:" <<<"$(nl diagnose client web:80)"
# www is a real name on neta (positive control); diagnose looks up containers, not aliases.
check "the alias www resolves on neta" nl exec client nslookup www
check_eq "an alias is not a container name: diagnose says so and nothing else" \
        "netlab: error: no such container: www" "$(nl diagnose far www:80 2>&1)"
out=$(nl diagnose client stopped:80)
check_match "a stopped target: says it is not running" "stopped is not running" "$out"
check_match "a stopped target: reason stopped" "reason: stopped" "$out"
check_status "an unknown container is an error (1)" 1 nl diagnose client nosuch

# -p HOST:CONTAINER with the server on another port: the missing listener, not the firewall.
nl run -d --name alt --net neta -p 8081:8000 busybox httpd -f -p 80 >/dev/null
check "alt's server answers on its own port 80" nl diagnose client alt:80
out=$(nl diagnose client host:8081)
check_match "a host port leading to a closed container port names the port and the container" \
        "FAIL nothing in alt listens on 8000/tcp, where host port 8081/tcp leads" "$out"
check_match "the closed container port: reason not-listening" "reason: not-listening" "$out"
check_fails "and does not blame the firewall" grep -q "nft list" <<<"$out"

# A container:web sidecar keeps web's old namespace when web restarts: name the restart.
nl run -d --name side --net container:web busybox sleep 1d >/dev/null
check "the sidecar reaches web through web's namespace" nl diagnose side web:80
nl restart web >/dev/null
out=$(nl diagnose side web:80)
check_match "after web restarts, diagnose names the restart" \
        "side shares web's network namespace.*web restarted since side started" "$out"
check_match "and the fix: restart the sidecar" "fix: netlab restart side" "$out"
check_match "a stale sidecar: reason no-network" "reason: no-network" "$out"
nl restart side >/dev/null
check "after the sidecar restarts, the path works again" nl diagnose side web:80

# The host and a test host outside as the source.
out=$(nl diagnose host web:80); rc=$?
check_eq "from the host: a working path exits 0" 0 "$rc"
check_match "from the host: it probes web's address" "host reaches 10.89.0.2:80/tcp" "$out"
check_match "from the host: no listener is named" "nothing in idle listens on 80/tcp" \
        "$(nl diagnose host idle:80)"
make_external lan 192.168.78.1 192.168.78.2
out=$(nl diagnose lan 192.168.78.1); rc=$?
check_eq "from a test host: its link to the host works (exit 0)" 0 "$rc"
check_match "from a test host: says what it reached" "lan reaches 192.168.78.1" "$out"
out=$(nl diagnose lan web:80)
check_match "from a test host: no route into a container subnet" \
        "FAIL lan sent packets to 10.89.0.2:80/tcp and got: (unreachable|timeout)" "$out"
check_match "no route: the reason" "reason: (no-route|unknown)" "$out"
check_status "a bad port is an error (1)" 1 nl diagnose client web:99999

g=$(nl graph)
check_match "graph lists networks with their subnet" "network neta  bridge br-[0-9a-f]+  10.89.0.0/24" "$g"
check_match "graph lists containers with address, alias and ports" "web 10.89.0.2 aliases:www ports: 0.0.0.0:8080->80/tcp" "$g"
check_match "graph marks internal networks" "sealed.*internal" "$g"
check "graph --format dot renders with Graphviz" sh -c "nl graph --format dot | dot -Tsvg >/dev/null"
check_status "graph refuses other formats" 1 nl graph --format jpeg

# The sidecar's owner stopped: say so, not that a name does not resolve.
check "before web stops, the sidecar reaches client" nl diagnose side client
nl stop web >/dev/null
out=$(nl diagnose side client)
check_match "with web stopped, the sidecar is said to be left without network" \
        "side shares web's network namespace.*but web is not running" "$out"
check_match "and the fix starts web, then the sidecar" "fix: netlab start web, then netlab restart side" "$out"
check_match "an owner stopped: reason no-network" "reason: no-network" "$out"
finish
