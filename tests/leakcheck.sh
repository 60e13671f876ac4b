#!/usr/bin/env bash
# After the suite: nothing of ours may be left outside the sandboxes.
leaks=$( {
        ip -o link show type bridge 2>/dev/null | awk -F': ' '{print "bridge " $2}' | grep -E ' (netlab|nl|br-)'
        ip -o link show type veth 2>/dev/null | awk -F': ' '{print "veth " $2}' | cut -d@ -f1 | grep -E ' (netlab|nl|veth|xh-)'
        ip netns list 2>/dev/null | awk '{print "netns " $1}'
        nft list tables 2>/dev/null | grep -i netlab
        ps -eo pid,args | grep -E '[n]etlab(-dns|-shim| shim)'
        ps -eo pid,comm,user | awk '$2 == "netlab-keeper" {print "keeper pid " $1 " of " $3}'
        # a keeper's egress stack (pasta runs as passt*); the port forwarder is the keeper itself
        ps -eo pid,comm,user,args | awk '$2 ~ /^(passt|pasta|slirp4netns)/ && /--netns \/proc\/|slirp4netns --configure/ {print "egress " $2 " pid " $1 " of " $3}'
        grep -E 'netlab-sandbox|netlab-test|/run/netlab/(netns|external)' /proc/mounts
        find /sys/fs/cgroup -maxdepth 6 -type d -name netlab 2>/dev/null | sed 's/^/cgroup /'
} | sort -u)
if [ -n "$leaks" ]; then
        echo "leak check: FAILED, left behind:"
        echo "$leaks" | sed 's/^/  /'
        exit 1
fi
echo "leak check: nothing left behind"
