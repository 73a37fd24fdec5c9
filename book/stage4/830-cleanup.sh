# Cleaning Up
#: section: ch-system-cleanup
#: run: chroot
# files left over from running tests (bash skips . and .. in .* since 5.2: globskipdots)
rm -rf /tmp/{*,.*}

# libtool archives: only useful with libltdl (nothing in LFS), and some break BLFS builds
find /usr/lib /usr/libexec -name \*.la -delete

# what is left of the cross compiler of chapters 5 and 6
find /usr -depth -name "$(uname -m)-lfs-linux-gnu*" -print0 | xargs -0 rm -rf

# the temporary tester user of chapter 7 (the test suites of this chapter were its last use;
# the check only keeps a re-run of this step from failing)
if id tester > /dev/null 2>&1; then
  userdel -r tester
fi
