# Jinja2
#: section: ch-system-jinja2
#: package: jinja2
#: sbu: 0.1
#: run: chroot
pip3 wheel -w dist --no-cache-dir --no-build-isolation --no-deps "$PWD"
pip3 install --no-index --find-links dist Jinja2
