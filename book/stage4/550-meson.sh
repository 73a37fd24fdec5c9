# Meson
#: section: ch-system-meson
#: package: meson
#: sbu: 0.1
#: run: chroot
# The test suite needs packages outside LFS.
pip3 wheel -w dist --no-cache-dir --no-build-isolation --no-deps "$PWD"
pip3 install --no-index --find-links dist meson
install -vDm644 data/shell-completions/bash/meson /usr/share/bash-completion/completions/meson
install -vDm644 data/shell-completions/zsh/_meson /usr/share/zsh/site-functions/_meson
