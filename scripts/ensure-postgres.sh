#!/usr/bin/env bash
# Start the local PostgreSQL cluster when it is not accepting connections (tests need it).
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
if [ -z "$version" ]; then
  echo "PostgreSQL is not installed; install postgresql or set CAMREG_TEST_PG_URL" >&2
  exit 1
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done
echo "PostgreSQL did not start" >&2
exit 1
