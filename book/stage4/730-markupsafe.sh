# MarkupSafe
#: section: ch-system-markupsafe
#: package: markupsafe
#: sbu: 0.1
#: run: chroot
# No test suite.
pip3 wheel -w dist --no-cache-dir --no-build-isolation --no-deps "$PWD"
pip3 install --no-index --find-links dist Markupsafe
