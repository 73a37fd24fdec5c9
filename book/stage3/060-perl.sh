# Perl
#: section: ch-tools-perl
#: package: perl
#: sbu: 0.6
#: run: chroot
# The module directories carry perl's MAJOR.MINOR version (the book writes it out), so a
# newer patch level can be installed later without reinstalling the modules.
perl_mm=${PKG_VERSION%.*}

# -des: defaults for everything, complete all tasks, quietly; libperl as a shared library
sh Configure -des                                               \
             -D prefix=/usr                                     \
             -D vendorprefix=/usr                               \
             -D useshrplib                                      \
             -D privlib="/usr/lib/perl5/$perl_mm/core_perl"     \
             -D archlib="/usr/lib/perl5/$perl_mm/core_perl"     \
             -D sitelib="/usr/lib/perl5/$perl_mm/site_perl"     \
             -D sitearch="/usr/lib/perl5/$perl_mm/site_perl"    \
             -D vendorlib="/usr/lib/perl5/$perl_mm/vendor_perl" \
             -D vendorarch="/usr/lib/perl5/$perl_mm/vendor_perl"
make
make install
