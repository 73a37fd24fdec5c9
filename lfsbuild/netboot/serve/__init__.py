"""Serve PXE artifacts read-only over TFTP and HTTP (see server.BootServer)."""
from .server import BootServer, serve

__all__ = ["BootServer", "serve"]
