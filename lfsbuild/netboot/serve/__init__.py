"""Serve PXE artifacts read-only over TFTP and HTTP (see server.BootServer)."""
from .server import BootServer, serve
from .transfers import Transfer

__all__ = ["BootServer", "Transfer", "serve"]
