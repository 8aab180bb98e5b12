#!/usr/bin/env bash
# Make sure a Redis answers on 127.0.0.1:6379 (or $TENESA_TEST_REDIS_ADDR's
# port): on machines that start one, do nothing; elsewhere install Debian's
# redis-server if needed and start it without persistence.
set -euo pipefail
addr=${TENESA_TEST_REDIS_ADDR:-127.0.0.1:6379}
host=${addr%:*}
port=${addr##*:}

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if answers; then
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-redis: installing redis-server from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg holding the lock instead of failing at once.
  lock_wait=${APT_LOCK_WAIT:-600}
  apt-get -o DPkg::Lock::Timeout="$lock_wait" update -qq
  apt-get -o DPkg::Lock::Timeout="$lock_wait" install -y -qq redis-server >/dev/null
fi
echo "ensure-redis: starting redis-server on $host:$port" >&2
mkdir -p /tmp/tenesa-redis
redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no \
  --dir /tmp/tenesa-redis --logfile /tmp/tenesa-redis/redis.log
for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.1
done
echo "ensure-redis: redis-server did not come up on $host:$port (see /tmp/tenesa-redis/redis.log)" >&2
exit 1
