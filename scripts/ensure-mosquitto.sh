#!/usr/bin/env bash
# Start the local Mosquitto broker (127.0.0.1:1883) when nothing listens there (MQTT alert tests).
set -euo pipefail
listening() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }
if listening; then exit 0; fi
if ! command -v mosquitto >/dev/null; then
  echo "Mosquitto is not installed; scripts/install-system-deps.sh installs it" >&2
  exit 1
fi
mosquitto -d -c /etc/mosquitto/mosquitto.conf
for _ in $(seq 1 20); do listening && exit 0; sleep 0.5; done
echo "Mosquitto did not start" >&2
exit 1
