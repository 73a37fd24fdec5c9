# Python
#: section: ch-tools-Python
#: package: python
#: sbu: 0.5
#: run: chroot
# The book's section id has a capital P (ch-tools-Python). Some modules (ssl among them) cannot
# be built yet; make says so ("Python requires a OpenSSL 1.1.1 or newer") and succeeds anyway:
# only a failing make stops the step. They are built in chapter 8.
# --enable-shared: no static library; --without-ensurepip: no pip at this stage
./configure --prefix=/usr   \
            --enable-shared \
            --without-ensurepip
make
make install
