"""PXE artifacts: kernel + initrd for every common netboot path, and a manifest.

`build_artifacts(PxeOptions(...))` is the one entry point `invoke pxe` calls; the modules
behind it each own one concern: initrd (walk + pack), cpio (the format), compress (the
pipe), bootloaders (host files), layouts (the tree), manifest (what was written).
"""
from lfsbuild.netboot.pxe.build import PxeOptions, build_artifacts, kernel_cmdline
from lfsbuild.netboot.pxe.manifest import Manifest

__all__ = ["PxeOptions", "build_artifacts", "kernel_cmdline", "Manifest"]
