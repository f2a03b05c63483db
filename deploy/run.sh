#!/bin/sh
# Run a cockpit command as the services run: as the `cockpit` user, with the settings of
# /etc/cockpit/cockpit.env, in /opt/cockpit. `python` means the release's own .venv/bin/python.
#
#   /opt/cockpit/deploy/run.sh python -m cockpit.accounts add ZH000001 --role 区级管理员 --area 220204
#   /opt/cockpit/deploy/run.sh python -m etl status
#
# (Run as root, a command would leave files the services cannot write, such as a new store.)
set -eu
env_file=${COCKPIT_ENV_FILE:-/etc/cockpit/cockpit.env}
cmd=$1
shift
[ "$cmd" = python ] && cmd=/opt/cockpit/.venv/bin/python
cd /opt/cockpit
if [ "$(id -un)" = cockpit ]; then
    exec sh -c 'set -a; . "$0"; set +a; exec "$@"' "$env_file" "$cmd" "$@"
fi
exec runuser -u cockpit -- sh -c 'set -a; . "$0"; set +a; exec "$@"' "$env_file" "$cmd" "$@"
