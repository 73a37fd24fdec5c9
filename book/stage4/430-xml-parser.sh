# XML::Parser
#: section: ch-system-xml-parser
#: package: xml-parser
#: sbu: 0.1
#: run: chroot
#: tests: optional
perl Makefile.PL
make

lfs_tests make test

make install
