# Python
#: section: ch-system-Python
#: package: python
#: extra: python-docs
#: sbu: 2.1
#: run: chroot
#: tests: optional
# The book's section id has a capital P (ch-system-Python).
# The preformatted HTML documentation (the book's tar -xf of the docs tarball into the doc
# directory) is unpacked by the runner as ./python-docs.

# --enable-optimizations: the interpreter is built twice, the second time tuned by tests run
# on the first
./configure --prefix=/usr        \
            --enable-shared      \
            --with-system-expat  \
            --enable-optimizations
make

# some tests hang at times: 2 minutes per test case (more on slow systems; about 1 SBU).
# Flaky tests are re-run; test_ssl is known to fail in the chroot.
lfs_tests make test TESTOPTS="--timeout 120"

make install

# pip3 run as root: no warning about that, no check for a newer pip (optional in the book)
cat > /etc/pip.conf << EOF
[global]
root-user-action = ignore
disable-pip-version-check = true
EOF

# the documentation (optional in the book); cp -R like the book's tar --no-same-owner
# --no-same-permissions: owned by root, permissions under the umask
install -v -dm755 "/usr/share/doc/python-$PKG_VERSION/html"
cp -R python-docs/. "/usr/share/doc/python-$PKG_VERSION/html"
