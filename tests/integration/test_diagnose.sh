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
check_status "a broken path exits 1" 1 nl diagnose far web:80
out=$(nl diagnose inside 198.51.100.2)
check_match "internal network: says it has no way out" "only on internal network\(s\) sealed" "$out"
out=$(nl diagnose client idle:80)
check_match "no listener: says nothing listens on the port" "nothing in idle listens on 80/tcp" "$out"
out=$(nl diagnose client host:9999)
check_match "port not published: says no container publishes it" "no container publishes port 9999/tcp" "$out"
check_eq "a published port through the host works" "0" "$(nl diagnose client host:8080 >/dev/null; echo $?)"
out=$(nl diagnose far www:80 2>&1)
check_match "a name that is not on the asker's network is not found" "no such container: www|share no network" "$out"
out=$(nl diagnose client stopped:80)
check_match "a stopped target: says it is not running" "stopped is not running" "$out"
check_status "an unknown container is an error (1)" 1 nl diagnose client nosuch
check_status "a bad port is an error (1)" 1 nl diagnose client web:99999

g=$(nl graph)
check_match "graph lists networks with their subnet" "network neta  bridge br-[0-9a-f]+  10.89.0.0/24" "$g"
check_match "graph lists containers with address, alias and ports" "web 10.89.0.2 aliases:www ports: 0.0.0.0:8080->80/tcp" "$g"
check_match "graph marks internal networks" "sealed.*internal" "$g"
check "graph --format dot renders with Graphviz" sh -c "nl graph --format dot | dot -Tsvg >/dev/null"
check_status "graph refuses other formats" 1 nl graph --format png
finish
