#!/usr/bin/env bash
# The demo: the tour scenario (default bridge, a user-defined network with names, a port
# published to a test host outside). `netlab scenario run` builds it in its own sandbox
# (fresh network, mount and pid namespaces), so the machine's network is untouched.
set -euo pipefail
cd "$(dirname "$(realpath "$0")")"
netlab=$(realpath "${1:-build/netlab/netlab}")
"$netlab" scenario run scenarios/tour.lab
