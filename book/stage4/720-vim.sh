# Vim
#: section: ch-system-vim
#: package: vim
#: sbu: 3.4
#: run: chroot
#: tests: optional
# the system vimrc is /etc/vimrc
echo '#define SYS_VIMRC_FILE "/etc/vimrc"' >> src/feature.h

./configure --prefix=/usr
make

# as tester, without the tests that need curl or wget; the output (binary data, much of it)
# goes to vim-test.log, which ends with "ALL DONE" on success
if [ -n "$RUN_TESTS" ]; then
  chown -R tester .
  sed '/test_plugin_glvs/d' -i src/testdir/Make_all.mak
  su tester -c "TERM=xterm-256color LANG=en_US.UTF-8 make -j1 test" \
     &> "$TEST_DIR/vim-test.log" || true
fi

make install

# vi runs vim; the man pages in every language too
ln -sfv vim /usr/bin/vi
for L in  /usr/share/man/{,*/}man1/vim.1; do
    ln -sfv vim.1 "$(dirname "$L")/vi.1"
done

# the documentation (in /usr/share/vim/vimXY, XY = the major and minor version) is reachable
# where other packages put theirs
vim_xy=$(echo "$PKG_VERSION" | cut -d. -f1,2 | tr -d .)
ln -sfvn "../vim/vim$vim_xy/doc" "/usr/share/doc/vim-$PKG_VERSION"

# Configuring Vim: the default /etc/vimrc
cat > /etc/vimrc << "EOF"
" Begin /etc/vimrc

" Ensure defaults are set before customizing settings, not after
source $VIMRUNTIME/defaults.vim
let skip_defaults_vim=1

set nocompatible
set backspace=2
set mouse=
syntax on
if (&term == "xterm") || (&term == "putty")
  set background=dark
endif

" End /etc/vimrc
EOF
