# XML::Parser
#: section: ch-system-xml-parser
#: package: xml-parser
#: sbu: 0.1
#: run: chroot
#: tests: optional
perl Makefile.PL
make

if [ -n "$RUN_TESTS" ]; then
  make test > "$TEST_DIR/console.log" 2>&1 || true
fi

make install
