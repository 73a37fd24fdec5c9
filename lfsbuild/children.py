"""Child processes that die with lfsbuild: one home for PR_SET_PDEATHSIG, shared by the parts.

The build runs its steps this way (`build.proc`), and netboot its lab and the proxy-DHCP
dnsmasq of `invoke serve --proxy-dhcp`: whatever kills lfsbuild, SIGKILL included, the kernel
then kills the child too, so nothing keeps running (or keeps a port, a tap, a namespace)
after the orchestrator is gone.
"""
from __future__ import annotations

import ctypes
import os
import signal
from typing import Callable

_PR_SET_PDEATHSIG = 1


def dies_with_parent() -> Callable[[], None]:
    """A preexec_fn: SIGKILL the child when its parent thread dies; default signal handling.

    Ignored signals survive exec, so a parent ignoring Ctrl-C while it waits would otherwise
    leave the child deaf to Ctrl-C. Only C calls run in the child (ctypes functions prepared
    here), nothing that takes Python locks. The kernel sends the signal when the *thread*
    that spawned the child exits: spawn from a thread that outlives the child. It is also
    cleared when the child changes its uid (a daemon dropping root): give such a daemon a
    root parent that keeps it (see `netboot.serve.proxydhcp`).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    set_handler = libc.signal
    set_handler.argtypes = [ctypes.c_int, ctypes.c_void_p]
    set_handler.restype = ctypes.c_void_p
    parent = os.getpid()
    defaults = [int(s) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP,
                                 signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)]

    def preexec() -> None:
        for signo in defaults:
            set_handler(signo, None)  # SIG_DFL
        if prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec
