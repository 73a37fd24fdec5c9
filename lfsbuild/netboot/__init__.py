"""Netboot it: PXE artifacts, the TFTP/HTTP server, QEMU boot tests."""
