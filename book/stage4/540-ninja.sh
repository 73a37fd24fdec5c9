# Ninja
#: section: ch-system-ninja
#: package: ninja
#: sbu: 0.2
#: run: chroot
# No tests in the chroot (they need cmake); --bootstrap rebuilds ninja with itself anyway.

# ninja honours NINJAJOBS (optional in the book; lets a build limit ninja's parallelism)
sed -i '/int Guess/a \
  int   j = 0;\
  char* jobs = getenv( "NINJAJOBS" );\
  if ( jobs != NULL ) j = atoi( jobs );\
  if ( j > 0 ) return j;\
' src/ninja.cc

python3 configure.py --bootstrap --verbose

install -vm755 ninja /usr/bin/
install -vDm644 misc/bash-completion /usr/share/bash-completion/completions/ninja
install -vDm644 misc/zsh-completion  /usr/share/zsh/site-functions/_ninja
