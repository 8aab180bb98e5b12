#!/usr/bin/env bash
# Install the Debian packages the tests drive, when missing:
#   prometheus (promtool for the rule tests, the server for the metrics
#   end-to-end test) and chromium (headless browser for the agent desktop and
#   leaders' board tests in router/agentapi), and redis-sentinel (the
#   Sentinel failover tests start private Redis masters, replicas and
#   sentinels; internal/redistest; redis-server itself comes from
#   ensure-redis.sh).
# Run by `make test` (and so by .ci/run); needs root or sudo-less apt on a
# Debian machine. Waits for another apt holding the lock instead of failing.
set -euo pipefail
lock_wait=${APT_LOCK_WAIT:-600}
need=()
{ command -v promtool >/dev/null && command -v prometheus >/dev/null; } || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
if [ ${#need[@]} -gt 0 ]; then
  echo "ensure-test-tools: installing ${need[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout="$lock_wait" update -qq
  apt-get -o DPkg::Lock::Timeout="$lock_wait" install -y -qq "${need[@]}" >/dev/null
fi
promtool --version 2>&1 | sed -n 1p
chromium --version 2>/dev/null | sed -n 1p
redis-sentinel --version 2>/dev/null | sed -n 1p
