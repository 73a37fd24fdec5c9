# Configuring the System Locale
#: section: ch-config-locale
#: files: config/locale.tmpl config/etc/profile.tmpl
#: run: chroot
# /etc/profile sets LANG from lfs.system.locale (C.UTF-8 on the Linux console, as the book's
# System V variant does). The book's test comes first: a locale glibc does not have would
# give every login "Cannot set LC_* to default locale".
F="$WORK_DIR/files/config"
wanted=$(cat "$F/locale")
if ! out=$(LC_ALL="$wanted" locale charmap 2>&1) || [[ $out == *"Cannot set"* ]]; then
  echo "lfs.system.locale '$wanted' is not installed: $out" >&2
  echo "pick one of 'locale -a' (chapter 8 glibc installs e.g. en_US.UTF-8, de_DE.UTF-8) or add it to the glibc recipe's localedef list" >&2
  exit 1
fi
echo "locale $wanted: charmap $out"
install -v -m644 "$F/etc/profile" /etc/profile
