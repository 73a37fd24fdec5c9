"""Get the sources: the package list, fetch/verify/mirror, release lists, book-update."""
