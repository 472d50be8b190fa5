#!/bin/sh
# install.sh - `make install` gives an admin a recognisable FHS tree, keeps an
# existing config, its systemd units verify, and `make uninstall` removes
# what it installed but the admin's settings.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

stage=$(mktemp -d /tmp/mxray-install-XXXXXX)
trap 'rm -rf "$stage"' EXIT

if ! make -s install DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1; then
	not_ok make_install "$(tail -n 5 "$stage.log")"
	exit 1
fi
rm -f "$stage.log"
ok make_install
for f in usr/bin/mxray usr/sbin/mxray-milter usr/sbin/mxray-worker usr/sbin/mxray-reporter; do
	[ -x "$stage/$f" ] && ok "installed_$(basename "$f")" || not_ok "installed_$(basename "$f")" "$f missing"
done
check config_in_etc test -f "$stage/etc/mxray/mxray.conf"
for u in milter worker reporter; do
	check "unit_mxray_$u" grep -q "^ExecStart=/usr/sbin/mxray-$u -c /etc/mxray/mxray.conf" \
		"$stage/lib/systemd/system/mxray-$u.service"
done
check manual_pages test -f "$stage/usr/share/man/man1/mxray.1" -a -f "$stage/usr/share/man/man5/mxray.conf.5" \
	-a -f "$stage/usr/share/man/man8/mxray-worker.8"
outside=$(cd "$stage" && find . -type f | grep -Ev '^\./(usr/(bin|sbin|share)|etc/mxray|lib/systemd/system)/' | head -n 3)
[ -z "$outside" ] && ok nothing_outside_fhs_places || not_ok nothing_outside_fhs_places "$outside"

# The admin's config survives a reinstall and an uninstall.
echo "# admin's settings" >>"$stage/etc/mxray/mxray.conf"
make -s install DESTDIR="$stage" PREFIX=/usr >/dev/null 2>&1
check reinstall_keeps_config grep -q "admin's settings" "$stage/etc/mxray/mxray.conf"
make -s uninstall DESTDIR="$stage" PREFIX=/usr >/dev/null 2>&1
left=$(cd "$stage" && find . -type f)
[ "$left" = "./etc/mxray/mxray.conf" ] && ok uninstall_leaves_only_config || not_ok uninstall_leaves_only_config "$left"

# systemd-analyze verify needs the binaries at the unit's paths: install
# under a prefix inside the stage, without DESTDIR.
if command -v systemd-analyze >/dev/null 2>&1; then
	p="$stage/p"
	make -s install PREFIX="$p" SYSCONFDIR="$p/etc" UNITDIR="$p/units" >/dev/null 2>&1
	if out=$(systemd-analyze verify --man=no "$p"/units/*.service 2>&1); then
		ok units_verify
	else
		not_ok units_verify "$(echo "$out" | head -n 5)"
	fi
fi
e2e_done
