/* --help texts, one per command. Keep in step with docs/cli.md. */
#include <stdio.h>
#include <string.h>

#include "netlab/cli.h"
#include "runtime/base/suggest.h"

struct help {
        const char *cmd;
        const char *text;
};

static const struct help helps[] = {
    {"", "Usage: netlab [--root DIR] [--rootless] [--user USER] COMMAND [OPTIONS]\n"
         "\n"
         "A container networking lab: real namespaces, bridges, veths and nftables.\n"
         "As root the lab uses the host's network; as any other user (or with\n"
         "--rootless) it lives in a lab host of that user's own (see 'netlab lab').\n"
         "\n"
         "Global options:\n"
         "  --root DIR     state root (default $NETLAB_ROOT, else /run/netlab as root,\n"
         "                 $XDG_RUNTIME_DIR/netlab or /tmp/netlab-UID rootless); an\n"
         "                 existing one must be yours and not writable by group or others\n"
         "  --rootless     use a lab host even when running as root\n"
         "  --user USER    (root) look into USER's rootless lab: --rootless with that\n"
         "                 user's state root (/run/user/UID/netlab, else /tmp/netlab-UID)\n"
         "  --version      print the version\n"
         "\n"
         "Containers:\n"
         "  run        create and start a container\n"
         "  create     create a container without starting it\n"
         "  start      start created or stopped containers\n"
         "  stop       stop running containers (SIGTERM, then SIGKILL)\n"
         "  restart    stop and start containers\n"
         "  kill       send a signal to containers\n"
         "  rm         remove containers\n"
         "  ps         list containers\n"
         "  exec       run a command in a running container\n"
         "  logs       show the output of a detached container\n"
         "  inspect    show containers (or networks) as JSON\n"
         "  images     list the images netlab can run (busybox, host)\n"
         "  port       list a container's published ports\n"
         "  top        list a container's processes (ps -ef columns)\n"
         "\n"
         "Labs:\n"
         "  scenario   run, check, grade or list lab scenarios (.lab files)\n"
         "  challenge  a task in a live lab, solved by hand: start, check, reset, ls\n"
         "  diagnose   explain why one container cannot reach another\n"
         "  capture    show or record the packets on a container, network or external host\n"
         "  explain    who can reach a container's ports, from where (--verify, --all)\n"
         "  external   outside machines beside the lab host: add, ls, rm, exec, inspect\n"
         "  graph      draw the current lab (text, dot, svg or png)\n"
         "  link       set, show, reset a container's link conditions (rate, delay, loss)\n"
         "  lab        rootless lab host: status, shell, down\n"
         "\n"
         "Networks:\n"
         "  network    create, list, inspect, remove, prune, connect, disconnect\n"
         "\n"
         "Host:\n"
         "  system     reset: remove everything netlab made for this state root\n"
         "  info       containers, images, state root, cgroups, seccomp, kernel, nftables\n"
         "  doctor     check the host for what breaks labs silently, each with its fix\n"
         "  version    netlab's version and the kernel's\n"
         "\n"
         "Run 'netlab COMMAND --help' for a command's options.\n"},
    {"run", "Usage: netlab run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
            "\n"
            "Create and start a container. Images: busybox, host.\n"
            "\n"
            "Options:\n"
            "  -d, --detach             run in the background and print the id\n"
            "  -i, --interactive        keep stdin open\n"
            "  -t, --tty                allocate a pseudo-terminal\n"
            "      --rm                 remove the container when it exits\n"
            "      --name NAME          name the container (default: a random name)\n"
            "  -h, --hostname NAME      hostname (default: the 12-character short id)\n"
            "  -e, --env KEY=VALUE      set an environment variable (KEY alone copies ours)\n"
            "  -v, --volume /HOST:/CTR[:ro]  bind-mount a host directory\n"
            "  -w, --workdir DIR        working directory inside the container\n"
            "      --network, --net MODE  none, host, bridge, container:NAME or a network\n"
            "      --ip ADDR            static IPv4 address (networks made with --subnet)\n"
            "      --mac-address MAC    MAC address of eth0\n"
            "      --network-alias NAME extra DNS name on the network\n"
            "      --cap-add CAP        add a capability (e.g. NET_ADMIN, ALL)\n"
            "      --cap-drop CAP       drop a capability\n"
            "      --privileged         keep every capability, allow every device, no seccomp\n"
            "                           filter, /proc and /sys unmasked\n"
            "      --init               run an init (/dev/init) as PID 1: it passes signals\n"
            "                           on to the command and reaps orphans, so Ctrl-C stops\n"
            "                           a foreground 'sleep' (without it, PID 1 ignores\n"
            "                           signals it has no handler for, as in Docker)\n"
            "      --security-opt OPT   seccomp=unconfined (no seccomp filter) or\n"
            "                           no-new-privileges (always on)\n"
            "      --sysctl KEY=VALUE   set a namespaced kernel parameter (net.*, fs.mqueue.*,\n"
            "                           kernel.shm*/msg*/sem, kernel.domainname)\n"
            "      --device HOST[:CTR][:rwm]  create a host device node and allow it\n"
            "                           (default: Docker's allowlist: null, zero, full,\n"
            "                           random, urandom, tty, console, ptmx, pts, net/tun)\n"
            "      --pids-limit N       process limit; -1 for unlimited (default 1024)\n"
            "  -m, --memory SIZE        memory limit: b, k, m, g (min 6m; default none)\n"
            "      --cpus N             CPU limit, e.g. 1.5 (default none)\n"
            "      --add-host NAME:IP   add a line to /etc/hosts\n"
            "      --dns IP             DNS server\n"
            "      --dns-search DOMAIN  DNS search domain\n"
            "      --dns-option OPT     resolv.conf option\n"
            "  -p, --publish [IP:]HOST:CTR[/proto]  publish a port (discarded, with a\n"
            "                           warning, with --network host)\n"
            "  -P, --publish-all        publish every exposed port to a random host port\n"
            "      --expose PORT[/proto]  expose a port\n"
            "  -l, --label KEY=VALUE    set a label\n"
            "      --log-opt KEY=VALUE  bound the detached log (repeatable):\n"
            "                           max-size=SIZE per file (k, m, g; default 1m)\n"
            "                           max-file=N files kept (1-100; default 3; needs\n"
            "                           max-size). The default keeps at most 3 MiB per\n"
            "                           container, since the state root is usually RAM.\n"
            "\n"
            "Exit status: 125 netlab's own error, 126 command cannot be run, 127 command\n"
            "not found, otherwise the container's exit code.\n"},
    {"create", "Usage: netlab create [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
               "\n"
               "Create a container without starting it; prints its id. Takes the options of\n"
               "'netlab run' (see 'netlab run --help') except -d.\n"},
    {"start", "Usage: netlab start [OPTIONS] CONTAINER [CONTAINER...]\n"
              "\n"
              "Start created or stopped containers in the background.\n"
              "\n"
              "Options:\n"
              "  -a, --attach        attach to the container's output and wait for it\n"
              "  -i, --interactive   attach stdin too\n"},
    {"stop", "Usage: netlab stop [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Send SIGTERM, then SIGKILL after the timeout. A process that is PID 1 ignores\n"
             "SIGTERM unless it handles it, as in Docker.\n"
             "\n"
             "Options:\n"
             "  -t, --time SECONDS   seconds to wait before SIGKILL (default 10)\n"},
    {"restart", "Usage: netlab restart [OPTIONS] CONTAINER [CONTAINER...]\n"
                "\n"
                "Stop (as 'netlab stop') and start containers again.\n"
                "\n"
                "Options:\n"
                "  -t, --time SECONDS   seconds to wait before SIGKILL (default 10)\n"},
    {"kill", "Usage: netlab kill [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Send a signal to the container's main process.\n"
             "\n"
             "Options:\n"
             "  -s, --signal SIG     signal name or number (default KILL)\n"},
    {"rm", "Usage: netlab rm [OPTIONS] CONTAINER [CONTAINER...]\n"
           "\n"
           "Remove containers and everything they own.\n"
           "\n"
           "Options:\n"
           "  -f, --force          kill a running container first\n"},
    {"ps", "Usage: netlab ps [OPTIONS]\n"
           "\n"
           "List containers (running ones unless -a).\n"
           "\n"
           "Options:\n"
           "  -a, --all            show all containers\n"
           "  -q, --quiet          only ids\n"
           "      --no-trunc       full ids and commands\n"
           "      --format FORMAT  json, a Go template, or 'table TEMPLATE'\n"
           "  -f, --filter K=V     name=, id=, status=, label=, network=\n"},
    {"exec", "Usage: netlab exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
             "\n"
             "Run a command in a running container's namespaces. In the foreground, a\n"
             "signal to netlab (Ctrl-C, SIGTERM, SIGHUP) is passed on to the command.\n"
             "\n"
             "Options:\n"
             "  -d, --detach         run in the background\n"
             "  -i, --interactive    keep stdin open\n"
             "  -t, --tty            allocate a pseudo-terminal\n"
             "  -e, --env KEY=VALUE  set an environment variable\n"
             "  -w, --workdir DIR    working directory\n"},
    {"logs", "Usage: netlab logs [OPTIONS] CONTAINER\n"
             "\n"
             "Show what a detached container wrote to stdout and stderr.\n"
             "\n"
             "Reads across the rotated files (see 'netlab run --log-opt'), oldest first;\n"
             "only the newest output is kept.\n"
             "\n"
             "Options:\n"
             "  -f, --follow         keep printing until the container stops\n"
             "  -n, --tail N         only the last N lines (default: all)\n"},
    {"inspect", "Usage: netlab inspect [OPTIONS] NAME|ID [NAME|ID...]\n"
                "\n"
                "Show containers or networks as a Docker-shaped JSON array.\n"
                "\n"
                "Options:\n"
                "  -f, --format TEMPLATE  a Go template, e.g. '{{.State.Pid}}'\n"
                "      --type TYPE        container or network\n"},
    {"images", "Usage: netlab images\n"
               "\n"
               "List the images: busybox (built from busybox-static on first use) and\n"
               "host (the host's root file system, read-only).\n"},
    {"system", "Usage: netlab system reset [--force]\n"
               "\n"
               "Remove everything netlab made for this state root: every container (its\n"
               "processes and cgroups, and the root's supervisor netlab-shim with whatever is\n"
               "left under it), every network bridge, the nftables tables inet netlab and bridge\n"
               "netlab, network namespace mounts, netlab-dns, and the state root's contents. If\n"
               "net.ipv4.ip_forward was 0 before netlab first turned it on, it is set back to 0.\n"
               "\n"
               "Options:\n"
               "  -f, --force    do not ask for confirmation (needed when stdin is no terminal)\n"},
    {"lab", "Usage: netlab lab status | shell [COMMAND [ARG...]] | down\n"
            "\n"
            "Rootless mode (any user but root, or --rootless) keeps the lab in a lab host:\n"
            "a user, pid, network and mount namespace of this user's own, held by a keeper\n"
            "process that the first command starts. Nothing of it is visible on the host.\n"
            "\n"
            "Commands:\n"
            "  status   mode, state root, keeper pids, uid/gid mapping, egress stack, published\n"
            "           ports (forwards), networks, containers\n"
            "           (starts nothing: without a keeper it says so)\n"
            "  shell    $SHELL (or /bin/sh, or COMMAND) in the lab host, as its root: ip, nft\n"
            "           and ping see this lab only; netlab there uses this lab's state root\n"
            "  down     remove every container, network and netlab-dns of the lab, and end\n"
            "           the keeper; nothing to remove is fine\n"
            "\n"
            "In root mode the host itself is the lab host: status describes root mode, shell\n"
            "and down say so.\n"},
    {"diagnose", "Usage: netlab diagnose [--capture] A B[:PORT[/tcp|udp]]\n"
                 "\n"
                 "Explain whether A can reach B and, if not, why. A is a container, 'host'\n"
                 "or a test host ('netlab external' or a namespace in /run/netns); B is a\n"
                 "container, 'host', a test host or an IPv4 address. The walk stops at the\n"
                 "first broken link:\n"
                 "  both running? a sidecar left behind by a restart? a shared network? B's\n"
                 "  name resolves from A? icc? both bridge ports up? B listening on the port\n"
                 "  (for host:PORT, the container port it leads to)? the packets themselves?\n"
                 "Each finding names the command that fixes it, and the short name of its\n"
                 "reason (\"reason: different-networks\"), as a scenario's 'because' names it\n"
                 "(docs/scenarios.md lists them). Exit status 0 when the path works, 1 when\n"
                 "it is broken.\n"
                 "\n"
                 "Options:\n"
                 "  --capture   run the final probe again with a capture open at each link of\n"
                 "              its path (A's interface, the bridges, B's interface): its\n"
                 "              packets at each, and the link where they stop\n"},
    {"capture", "Usage: netlab capture TARGET [-i IFACE] [-c N] [-w FILE.pcap] [FILTER...]\n"
                "\n"
                "Capture packets from the lab host's side, through libpcap: nothing is needed\n"
                "in the container. TARGET is a container (its eth0, or CONTAINER/IFACE), a\n"
                "network (its bridge), an external host (its eth0) or host (with -i). By\n"
                "default each packet is one line: time, interface, addresses, protocol, DNS\n"
                "question and answers, TCP flags, ICMP type and code, ARP who-has/is-at.\n"
                "FILTER is a BPF expression as tcpdump takes it ('icmp', 'tcp port 80').\n"
                "Ctrl-C stops and prints the count on stderr.\n"
                "\n"
                "Options:\n"
                "  -i, --interface IFACE   the interface (a container's, an external host's,\n"
                "                          or the lab host's for host)\n"
                "  -c, --count N           stop after N packets\n"
                "  -w, --write FILE        write the packets to FILE as pcap (for Wireshark or\n"
                "                          tshark) instead of printing them\n"},
    {"explain", "Usage: netlab explain CONTAINER[:PORT[/tcp|udp]] [--verify] [--json]\n"
                "       netlab explain --all [--verify] [--json]\n"
                "\n"
                "Who can reach each port the container listens on (read from its network\n"
                "namespace), or the one port given, and through what: from inside its\n"
                "namespace (itself, container: sharers), from each of its networks (not with\n"
                "icc=false), from other networks (only through a published port), from the\n"
                "host, from outside (only through a published mapping: which host address\n"
                "and port, loopback-only or not) and from each 'netlab external' host; and\n"
                "the names that resolve to it on each network.\n"
                "\n"
                "Options:\n"
                "  -a, --all   one line per exposure, for every running container\n"
                "      --verify  probe every claim with real packets (from a peer on the\n"
                "              network, a container on another network, the host, an external\n"
                "              host) and flag each difference; exit status 1 if any\n"
                "      --json  the claims (and probes) as JSON, for tools\n"},
    {"doctor", "Usage: netlab doctor [--fix] [--json]\n"
               "\n"
               "Check what breaks labs silently and print one line per check: ok, note\n"
               "(matters only to labs that use it), PROBLEM, each with its fix:\n"
               "  subnet        a network's subnet overlaps a host route or address (a VPN,\n"
               "                Docker's docker0, another netlab root's bridge)\n"
               "  firewall      another table's forward chain drops (Docker, firewalld, ufw)\n"
               "  br_netfilter  bridged traffic sent into that chain (bridge-nf-call-iptables)\n"
               "  ruleset       table inet netlab gone while networks are up (nft flush ruleset)\n"
               "  forwarding    ip_forward or a bridge's forwarding off while networks are up\n"
               "  kernel        bridge, veth, vxlan, tbf, netem: each tried in a throwaway netns\n"
               "  cgroup        the layout (v1, hybrid, v2) and the pids, devices, memory and\n"
               "                cpu controllers\n"
               "  userns        unprivileged user namespaces (rootless labs)\n"
               "  rootless      newuidmap/newgidmap, the sudo user's /etc/subuid range\n"
               "Exit status 0 when there is no problem, 1 when there is one.\n"
               "'scenario run' runs the kernel and cgroup checks first (its lab has a network\n"
               "namespace of its own) and prints one line when all is well.\n"
               "\n"
               "Options:\n"
               "      --fix     rebuild a missing netlab table from the records and turn\n"
               "                forwarding back on (the problems netlab can repair itself)\n"
               "      --json    the findings as a JSON array: check, status, message, fix\n"},
    {"external", "Usage: netlab external COMMAND\n"
                 "\n"
                 "Outside machines: each is a network namespace joined to the lab host by a\n"
                 "veth pair (xh-NAME on the host, .1 of its subnet; eth0 in the external host,\n"
                 ".2, with a default route through the host), like a laptop on the same LAN.\n"
                 "The same as the scenario directive 'external NAME [--subnet CIDR]'.\n"
                 "\n"
                 "Commands:\n"
                 "  add        add an external host\n"
                 "  ls         list them: name, subnet, address, the host's address, state\n"
                 "  rm         remove them\n"
                 "  exec       run a command of this machine inside one\n"
                 "  inspect    show them as JSON\n"},
    {"external add", "Usage: netlab external add [--subnet CIDR] NAME\n"
                     "\n"
                     "NAME: 2 to 11 of a-z, 0-9 and '-', not a container's name.\n"
                     "\n"
                     "Options:\n"
                     "      --subnet CIDR  A.B.C.D/N with N from 8 to 30 (default: the first\n"
                     "                     198.18.N.0/24 no network or external host uses)\n"},
    {"external ls", "Usage: netlab external ls [-q]\n"
                    "\n"
                    "STATE is up, creating, abandoned (its creator was killed: the next add,\n"
                    "rm or system reset removes it) or broken (its namespace or veth is gone).\n"
                    "\n"
                    "Options:\n"
                    "  -q, --quiet    only names\n"},
    {"external rm", "Usage: netlab external rm [-f] NAME...\n"
                    "\n"
                    "Remove external hosts: the veth pair, the namespace and the record.\n"
                    "\n"
                    "Options:\n"
                    "  -f, --force    no error for names that do not exist\n"},
    {"external exec", "Usage: netlab external exec NAME COMMAND [ARG...]\n"
                      "\n"
                      "Run COMMAND from this machine's own file system (wget, ping, nc, ...)\n"
                      "inside the external host's network namespace. The exit status is the\n"
                      "command's; 126 when it cannot be run, 127 when it is not found, 125 for\n"
                      "netlab's own errors.\n"},
    {"external inspect", "Usage: netlab external inspect NAME...\n"
                         "\n"
                         "JSON: Name, Created, State, Subnet, Address, Interface, HostAddress,\n"
                         "HostInterface, NetworkNamespace.\n"},
    {"link", "Usage: netlab link COMMAND CONTAINER[/IFACE]\n"
             "\n"
             "Conditions on a running container's interface (IFACE, default eth0), inside\n"
             "its network namespace, through the kernel's qdiscs: tbf for a rate, netem for\n"
             "delay, jitter and loss. They shape what the container sends and end with it.\n"
             "The same as the scenario directive 'link CONTAINER[/IFACE] --rate ...'.\n"
             "\n"
             "Commands:\n"
             "  set        set the conditions (replacing the ones set before)\n"
             "  show       show them\n"
             "  reset      remove them: back to the kernel's default, unlimited\n"},
    {"link set", "Usage: netlab link set CONTAINER[/IFACE] [OPTIONS]\n"
                 "\n"
                 "Replace the interface's conditions with these (at least one). When the\n"
                 "kernel refuses, the old conditions stay.\n"
                 "\n"
                 "Options:\n"
                 "      --rate RATE    limit the rate (tbf): bit, kbit, mbit, gbit per second,\n"
                 "                     or bps, kbps, mbps, gbps (bytes); 8kbit to 10gbit\n"
                 "      --delay TIME   delay every packet (netem): us, ms or s, up to 60s\n"
                 "      --jitter TIME  vary the delay by up to this much (needs --delay)\n"
                 "      --loss PCT     drop this share of packets (netem), e.g. 1% or 0.5%\n"
                 "\n"
                 "Delay, jitter and loss need the kernel's sch_netem module.\n"},
    {"link show", "Usage: netlab link show CONTAINER[/IFACE]\n"
                  "\n"
                  "Print the interface's conditions: 'web/eth0: rate 10mbit delay 50ms',\n"
                  "'web/eth0: no conditions', or the kind of a qdisc netlab did not set.\n"},
    {"link reset", "Usage: netlab link reset CONTAINER[/IFACE]\n"
                   "\n"
                   "Remove the interface's root qdisc: back to the kernel's default.\n"},
    {"graph", "Usage: netlab graph [OPTIONS]\n"
              "\n"
              "Draw the current lab: each network its own box (bridge, gateway, netlab-dns,\n"
              "NAT or internal), containers with their interfaces and addresses, veths with\n"
              "their host ends, published ports from the host, container:NAME sharers in\n"
              "their owner's box. SVG and PNG are rendered in-process by Graphviz's libgvc.\n"
              "\n"
              "Options:\n"
              "      --format FORMAT  text (the default), dot (Graphviz source), svg or png\n"
              "  -o, --output FILE    write FILE; without --format its extension (.svg,\n"
              "                       .png, .dot, .txt) picks the format. PNG never goes\n"
              "                       to a terminal.\n"
              "\n"
              "  netlab graph -o lab.svg\n"},
    {"top", "Usage: netlab top CONTAINER\n"
            "\n"
            "List the processes of a running container with ps -ef's columns: UID PID PPID\n"
            "C STIME TTY TIME CMD. PIDs are the host's, as in Docker. ps options are not\n"
            "taken.\n"},
    {"info", "Usage: netlab info [OPTIONS]\n"
             "\n"
             "Show how many containers this state root holds (running, paused, stopped), the\n"
             "images, the state root, the cgroup layout and version (v1, hybrid or v2),\n"
             "seccomp, the kernel, and whether netlab's nftables table exists.\n"
             "\n"
             "Options:\n"
             "  -f, --format FORMAT  a Go template over Docker's field names (e.g.\n"
             "                       '{{.ContainersRunning}}', '{{.CgroupVersion}}'), or json\n"},
    {"version", "Usage: netlab version [OPTIONS]\n"
                "\n"
                "Show netlab's version and the kernel's, shaped like 'docker version' (netlab has\n"
                "no daemon: the client is the server).\n"
                "\n"
                "Options:\n"
                "  -f, --format FORMAT  a Go template (e.g. '{{.Server.Version}}',\n"
                "                       '{{.Server.KernelVersion}}'), or json\n"},
    {"port", "Usage: netlab port CONTAINER [PRIVATE_PORT[/PROTO]]\n"
             "\n"
             "List the published ports of a running container, as Docker does:\n"
             "  80/tcp -> 0.0.0.0:8080\n"
             "With a private port, print only its host address and port.\n"},
    {"network", "Usage: netlab network COMMAND\n"
                "\n"
                "Manage networks. Predefined: bridge (netlab0, 172.17.0.0/16, no name\n"
                "resolution; a second state root gets netlab-HASH on a free pool), host, none.\n"
                "\n"
                "Commands:\n"
                "  create       create a user-defined bridge network\n"
                "  ls           list networks\n"
                "  inspect      show networks as JSON\n"
                "  rm           remove networks\n"
                "  prune        remove networks no running container uses\n"
                "  connect      connect a container to a network (live)\n"
                "  disconnect   disconnect a container from a network (live)\n"},
    {"network create", "Usage: netlab network create [OPTIONS] NETWORK\n"
                       "\n"
                       "Create a bridge network; prints its id. Without --subnet it takes the\n"
                       "first free of 172.18.0.0/16, 172.19.0.0/16, ... (skipping networks and\n"
                       "host routes it would overlap).\n"
                       "\n"
                       "Options:\n"
                       "  -d, --driver bridge     the only driver\n"
                       "      --subnet CIDR       e.g. 10.89.0.0/24\n"
                       "      --gateway IP        default: the first address\n"
                       "      --ip-range CIDR     dynamic addresses come from here\n"
                       "      --internal          no traffic in or out of the network\n"
                       "  -o, --opt mtu=N         MTU of the bridge and veths\n"
                       "  -o, --opt icc=false     no traffic between containers on it\n"
                       "      --label KEY=VALUE   set a label\n"},
    {"network ls", "Usage: netlab network ls [OPTIONS]\n"
                   "\n"
                   "Options:\n"
                   "  -q, --quiet          only ids\n"
                   "      --no-trunc       full ids\n"
                   "      --format FORMAT  json, a Go template, or 'table TEMPLATE'\n"
                   "  -f, --filter K=V     name=, id=, label=, driver=, type=custom|builtin\n"},
    {"network inspect", "Usage: netlab network inspect [-f TEMPLATE] NETWORK...\n"
                        "\n"
                        "Docker-shaped JSON: Name, Id, Created, Driver, Internal,\n"
                        "IPAM.Config[{Subnet, Gateway, IPRange}], Options, Labels, and\n"
                        "Containers{ID: {Name, IPv4Address, MacAddress}} of running containers.\n"},
    {"network rm", "Usage: netlab network rm NETWORK...\n"
                   "\n"
                   "Remove networks. A network with running containers is refused (they are\n"
                   "named); the other networks named are still removed.\n"},
    {"network prune", "Usage: netlab network prune [--filter label=K[=V]] [-f]\n"
                      "\n"
                      "Remove every user-defined network that no running container uses.\n"},
    {"network connect", "Usage: netlab network connect [OPTIONS] NETWORK CONTAINER\n"
                        "\n"
                        "Add an interface (eth1, eth2, ...) at once if the container runs, or\n"
                        "on its next start.\n"
                        "\n"
                        "Options:\n"
                        "      --ip IP            static address (networks made with --subnet)\n"
                        "      --alias NAME       extra DNS name on this network\n"
                        "      --mac-address MAC  MAC address of the interface\n"},
    {"network disconnect", "Usage: netlab network disconnect [-f] NETWORK CONTAINER\n"
                           "\n"
                           "Remove the container's interface on the network and free its\n"
                           "address, at once.\n"},
    {"scenario", "Usage: netlab scenario COMMAND\n"
                 "\n"
                 "Run lab scenarios: .lab files of netlab commands and expectations.\n"
                 "\n"
                 "Commands:\n"
                 "  run    run scenario files, each in its own sandbox\n"
                 "  check  check a file's expectations against the lab running now\n"
                 "  grade  grade a directory of submissions (one .lab per student)\n"
                 "  list   show the title of every scenario in a directory\n"
                 "\n"
                 "The language is described in docs/scenarios.md.\n"},
    {"scenario run",
     "Usage: netlab scenario run [OPTIONS] FILE|DIR...\n"
     "\n"
     "Run each scenario in its own sandbox (fresh network, mount and pid namespaces and a\n"
     "private state root), so it never touches the host's network. Every step is printed with\n"
     "its result; a failed expectation, and every cannot-reach and cannot-resolve, is\n"
     "explained (\"why (REASON): ...\"; \"because REASON\" on the line asserts that reason).\n"
     "The sandbox is always removed, also on Ctrl-C. Exit status 0 only when every\n"
     "expectation held. A directory runs its *.lab files.\n"
     "\n"
     "Options:\n"
     "      --tap     print TAP (for CI)\n"
     "      --step    show each step and wait for a key (for a class): Enter runs it, s opens\n"
     "                a shell in the lab host (netlab ps sees the lab; exit comes back), q quits,\n"
     "                ? lists the keys; q and Ctrl-C remove the lab and exit 130\n"
     "      --keep    leave the lab up afterwards and print how to enter it (one file only)\n"
     "      --lang L  narrate in L: en, or zh for the title.zh/note.zh lines (default: zh when\n"
     "                LC_ALL, LC_MESSAGES or LANG, the first one set, is a zh_* locale)\n"
     "      --trust   allow what gives a lab container the host: bind mounts (-v), --privileged,\n"
     "                --device, --cap-add SYS_ADMIN|SYS_MODULE|ALL, seccomp=unconfined\n"
     "      --json    print one JSON object per scenario instead of the text: every step's\n"
     "                verdict, evidence, reason and time, and a summary\n"
     "      --junit FILE|-  also write JUnit XML to FILE (- : to stdout, instead of the text)\n"
     "\n"
     "A scenario file is code: without --trust, a file that asks for any of those is refused\n"
     "before anything runs, naming the line. The report fields are in docs/scenarios.md.\n"},
    {"scenario check",
     "Usage: netlab scenario check [OPTIONS] FILE...\n"
     "\n"
     "Check the expectations of FILE against the lab running now in the state root (built by\n"
     "hand, with --root or $NETLAB_ROOT as usual), creating and removing nothing: the file's\n"
     "commands are not run (they only name the containers), and each external host must exist\n"
     "as a network namespace made by hand (ip netns add NAME); a missing one fails. Exit status\n"
     "0 only when every expectation held, 1 otherwise.\n"
     "\n"
     "Options:\n"
     "      --tap     print TAP (for CI)\n"
     "      --json    print one JSON object per file instead of the text\n"
     "      --junit FILE|-  also write JUnit XML to FILE (- : to stdout, instead of the text)\n"},
    {"scenario grade",
     "Usage: netlab scenario grade [OPTIONS] DIR\n"
     "\n"
     "Grade a class: every DIR/*.lab is one student's submission (the file name is the student),\n"
     "run in a sandbox of its own as scenario run does, several at once. Prints one table:\n"
     "student, passed, failed, total, score and the first failing expectation with what it saw.\n"
     "A file that does not parse, or asks for the host without --trust, is a row of its own and\n"
     "never stops the class. Exit status 0 when the class was graded, whatever the grades;\n"
     "130 after Ctrl-C, which removes the running labs and starts no more.\n"
     "\n"
     "Options:\n"
     "  -j, --jobs N       labs at once (default 8, at most 64)\n"
     "      --csv FILE|-   also write the table as CSV (- : to stdout, instead of the text)\n"
     "      --json FILE|-  also write the table as JSON (- : to stdout, instead of the text)\n"
     "      --trust        as for scenario run: allow what gives a lab container the host\n"},
    {"challenge", "Usage: netlab challenge COMMAND\n"
                  "\n"
                  "Challenges: a task, a lab built for it, and automatic checks of its goals.\n"
                  "\n"
                  "Commands:\n"
                  "  start  build a challenge's starting lab and print its task\n"
                  "  check  say which goals hold, with a hint for each that does not\n"
                  "  reset  remove the challenge's lab\n"
                  "  ls     list the challenges with their titles\n"
                  "\n"
                  "The file format is described in docs/challenges.md.\n"},
    {"challenge start",
     "Usage: netlab challenge start [OPTIONS] NAME|FILE\n"
     "\n"
     "Build the challenge's starting lab in the state root (for real, as root or in your\n"
     "rootless lab host: --root or $NETLAB_ROOT as usual), record it as the active challenge and\n"
     "print its task. NAME is a file NAME.lab in ./challenges (or $NETLAB_CHALLENGES). The state\n"
     "root must hold no lab: no container, user network or external host. A command of the\n"
     "start that fails, or Ctrl-C (once the running command has finished), removes all of it\n"
     "again.\n"
     "\n"
     "Options:\n"
     "      --lang en|zh  the task in English or Chinese (default: zh for a zh_* locale)\n"},
    {"challenge check",
     "Usage: netlab challenge check [OPTIONS] [NAME|FILE]\n"
     "\n"
     "Check the goals of the active challenge (or of NAME|FILE) against the lab as it is now,\n"
     "creating and removing nothing. Each goal that does not hold gets what the check saw and a\n"
     "hint: why the traffic does not arrive, as netlab diagnose finds it, never the command to\n"
     "type. Exit status 0 when every goal holds, 1 otherwise.\n"
     "\n"
     "Options:\n"
     "      --lang en|zh  the words around the checks in English or Chinese\n"},
    {"challenge reset", "Usage: netlab challenge reset\n"
                        "\n"
                        "Remove the active challenge's lab: everything in the state root, what\n"
                        "you added too (as netlab system reset --force does), and the record of\n"
                        "the challenge. Fails when no challenge is active.\n"},
    {"challenge ls", "Usage: netlab challenge ls [DIR]\n"
                     "\n"
                     "List the challenges in DIR (default: ./challenges, or $NETLAB_CHALLENGES)\n"
                     "with their titles.\n"},
    {"scenario list", "Usage: netlab scenario list [DIR]\n"
                      "\n"
                      "Show each scenario file in DIR (default: ./scenarios, or\n"
                      "$NETLAB_SCENARIOS) with its title (the title.zh one under a zh_* locale).\n"},
};

int nlab_cli_help(const char *cmd)
{
        size_t i;

        for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
                if (!strcmp(helps[i].cmd, cmd)) {
                        fputs(helps[i].text, stdout);
                        return 0;
                }
        }
        fprintf(stderr, "netlab: error: no help for unknown command \"%s\"\n", cmd);
        return 1;
}

/* Docker commands netlab does not have, with what to do here instead. */
static const struct help docker_only[] = {
    {"pull", "the images are built in (netlab images lists them)"},
    {"build", "the images are built in (netlab images lists them)"},
    {"compose", "write the lab as a scenario file (netlab scenario run FILE)"},
};

/* The subcommands of group ("" for the top level) that have help, as suggestion candidates. */
static size_t help_words(const char *group, const char **words, size_t max)
{
        size_t i, n = 0, glen = strlen(group);

        for (i = 0; i < sizeof(helps) / sizeof(helps[0]) && n < max; i++) {
                const char *c = helps[i].cmd;
                if (glen && (strncmp(c, group, glen) || c[glen] != ' '))
                        continue;
                c += glen ? glen + 1 : 0;
                if (c[0] && !strchr(c, ' '))
                        words[n++] = c;
        }
        return n;
}

int nlab_cli_unknown_command(const char *group, const char *word)
{
        const char *words[64], *near;
        const char *sep = group[0] ? " " : "";
        size_t i, n;

        for (i = 0; !group[0] && i < sizeof(docker_only) / sizeof(docker_only[0]); i++)
                if (!strcmp(docker_only[i].cmd, word)) {
                        fprintf(stderr, "netlab: error: \"%s\" is not supported here: %s\n", word,
                                docker_only[i].text);
                        return 1;
                }
        n = help_words(group, words, sizeof(words) / sizeof(words[0]));
        near = nlab_suggest(word, words, n, nlab_suggest_bound(word));
        if (near)
                fprintf(stderr,
                        "netlab: error: unknown command \"%s%s%s\": did you mean \"%s%s%s\"?\n",
                        group, sep, word, group, sep, near);
        else
                fprintf(stderr,
                        "netlab: error: unknown command \"%s%s%s\" (see 'netlab %s%s--help')\n",
                        group, sep, word, group, sep);
        return 1;
}
