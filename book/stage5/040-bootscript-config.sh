# System V Bootscript Usage and Configuration
#: section: ch-config-usage
#: files: config/timezone.tmpl config/etc/inittab.tmpl config/etc/sysconfig/clock config/etc/sysconfig/console.tmpl config/etc/sysconfig/rc.site.netboot
#: run: chroot
# inittab (the book's, plus a getty on the serial console), the clock (hardware clock in UTC;
# the time zone from lfs.system.timezone, which stage 4's glibc leaves to this setting), the
# console (keymap and font from lfs.system) and rc.site (HEADLESS for a netbooted machine).
F="$WORK_DIR/files/config"

install -v -m644 "$F/etc/inittab" /etc/inittab
install -v -m644 "$F/etc/sysconfig/clock" /etc/sysconfig/clock
install -v -m644 "$F/etc/sysconfig/console" /etc/sysconfig/console

zone=$(cat "$F/timezone")
if [ ! -f "/usr/share/zoneinfo/$zone" ]; then
  echo "lfs.system.timezone is '$zone', but /usr/share/zoneinfo/$zone does not exist: use a name like UTC or Europe/Berlin (see /usr/share/zoneinfo/zone1970.tab)" >&2
  exit 1
fi
ln -sfv "/usr/share/zoneinfo/$zone" /etc/localtime

# rc.site comes with the boot scripts; add lfsbuild's lines once (a re-run must not repeat them)
if ! grep -q '^# lfsbuild' /etc/sysconfig/rc.site; then
  cat "$F/etc/sysconfig/rc.site.netboot" >> /etc/sysconfig/rc.site
fi
