#!/bin/sh
# On the server, WITHOUT internet, as root, from an unpacked bundle (make-bundle.sh):
#
#   tar -xzf cockpit-<version>-offline.tar.gz && cd cockpit-<version> && sh deploy/offline/install.sh
#
# Needs Debian's python3 (3.11) with python3-venv, nginx, and chromium with fonts-noto-cjk (the
# briefings are printed by it), from the installation media or the intranet's mirror. Installs the release under /opt/cockpit-releases/<version>/ with its own
# .venv (pip from the bundle's wheelhouse only) and points /opt/cockpit at it, so an upgrade is
# the same command with a newer bundle and a rollback is pointing the link back. It creates the
# `cockpit` system user and its folders, and installs the settings, the systemd units and the
# nginx site where none exist yet (an existing one, edited by you, is never overwritten).
# INSTALL_ROOT=/some/dir stages everything under that folder instead (no user, no systemctl).
set -eu
root=${INSTALL_ROOT:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
release=$(basename "$here")
arch=$(uname -m)
[ -d "$here/wheelhouse/$arch" ] || { echo "no wheels for $arch in $here/wheelhouse" >&2; exit 1; }
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || { echo "python3 must be 3.11 (the wheels are built for it)" >&2; exit 1; }
if [ -z "$root" ]; then
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
    id cockpit >/dev/null 2>&1 || useradd --system --home-dir /var/lib/cockpit --shell /usr/sbin/nologin cockpit
fi

target="$root/opt/cockpit-releases/$release"
mkdir -p "$target"
(cd "$here" && tar --exclude=./wheelhouse -cf - .) | tar -C "$target" -xf -
python3 -m venv "$target/.venv"
"$target/.venv/bin/pip" install --disable-pip-version-check --no-index \
    --find-links "$here/wheelhouse/$arch" -r "$target/requirements.txt"
ln -sfn "$target" "$root/opt/cockpit.new" && mv -T "$root/opt/cockpit.new" "$root/opt/cockpit"

mkdir -p "$root/etc/cockpit/tls" "$root/var/lib/cockpit/secrets" "$root/var/backups/cockpit" "$root/srv/exports"
chmod 0750 "$root/var/lib/cockpit" "$root/var/backups/cockpit"
chmod 0700 "$root/var/lib/cockpit/secrets" "$root/etc/cockpit/tls"
[ -n "$root" ] || chown -R cockpit:cockpit /var/lib/cockpit /var/backups/cockpit
install_new() {      # copy $1 to $2 unless $2 exists
    if [ -e "$2" ]; then echo "kept     $2"; else mkdir -p "$(dirname "$2")"; cp "$1" "$2"; echo "created  $2"; fi
}
install_new "$target/deploy/cockpit.env" "$root/etc/cockpit/cockpit.env"
install_new "$target/etl/warning/settings.toml" "$root/etc/cockpit/warning.toml"
install_new "$target/deploy/nginx/cockpit.conf" "$root/etc/nginx/sites-available/cockpit.conf"
for unit in "$target"/deploy/systemd/*; do
    mkdir -p "$root/etc/systemd/system"
    cp "$unit" "$root/etc/systemd/system/"        # the units belong to the release: replaced
done
if [ -z "$root" ] && command -v systemctl >/dev/null; then systemctl daemon-reload || true; fi
cat <<NEXT
Installed $release in /opt/cockpit. Next (docs/operations.md):
  1. the TLS certificate and key in /etc/cockpit/tls/, server_name in /etc/nginx/sites-available/cockpit.conf
  2. review /etc/cockpit/cockpit.env (COCKPIT_SOURCE: where the exports arrive)
  3. systemctl enable --now cockpit-etl         # the first full refresh starts at once
  4. /opt/cockpit/deploy/run.sh python -m cockpit.accounts add <账号> --role 区级管理员 --area <区划编码>
  5. systemctl enable --now cockpit-web cockpit-backup.timer cockpit-briefing.timer
     ln -s /etc/nginx/sites-available/cockpit.conf /etc/nginx/sites-enabled/ && nginx -t && systemctl reload nginx
NEXT
