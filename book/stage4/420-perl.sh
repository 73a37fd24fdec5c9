# Perl
#: section: ch-system-perl
#: package: perl
#: sbu: 1.3
#: run: chroot
#: tests: optional
# Compress::Raw::Zlib and Compress::Raw::BZip2 use the system's zlib and bzip2
export BUILD_ZLIB=False
export BUILD_BZIP2=0

# the library directories carry perl's major.minor version (the book writes it out)
perl_mm=${PKG_VERSION%.*}

# -des: the defaults Perl detects; man pages even without groff; less as the pager; threads
sh Configure -des                                                 \
             -D prefix=/usr                                       \
             -D vendorprefix=/usr                                 \
             -D privlib="/usr/lib/perl5/$perl_mm/core_perl"       \
             -D archlib="/usr/lib/perl5/$perl_mm/core_perl"       \
             -D sitelib="/usr/lib/perl5/$perl_mm/site_perl"       \
             -D sitearch="/usr/lib/perl5/$perl_mm/site_perl"      \
             -D vendorlib="/usr/lib/perl5/$perl_mm/vendor_perl"   \
             -D vendorarch="/usr/lib/perl5/$perl_mm/vendor_perl"  \
             -D man1dir=/usr/share/man/man1                       \
             -D man3dir=/usr/share/man/man3                       \
             -D pager="/usr/bin/less -isR"                        \
             -D useshrplib                                        \
             -D usethreads
make

# the book: TEST_JOBS=$(nproc); here the job count lfsbuild was given
TEST_JOBS=$JOBS lfs_tests make test_harness

make install
unset BUILD_ZLIB BUILD_BZIP2
