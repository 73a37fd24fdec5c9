# Wheel
#: section: ch-system-wheel
#: package: wheel
#: sbu: 0.1
#: run: chroot
# --no-build-isolation, --no-deps, --no-index: pip fetches nothing from PyPI;
# --no-cache-dir: no copy of the wheel in /root/.cache/pip
pip3 wheel -w dist --no-cache-dir --no-build-isolation --no-deps "$PWD"
pip3 install --no-index --find-links dist wheel
