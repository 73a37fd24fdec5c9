"""The small error hierarchy of lfsbuild.

Every error carries a message that says what went wrong *and* what to do about it, because
the user sees it instead of a traceback: the invoke tasks catch `LfsError`, print it and exit
non-zero. Code raises the most specific class; callers catch `LfsError`.
"""
from __future__ import annotations


class LfsError(Exception):
    """Base class. `hint` is the "what to do" part, printed on its own line."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  -> {self.hint}"


class ConfigError(LfsError):
    """A setting (lfs.*) or a data file the user controls is wrong."""


class DataFileError(ConfigError):
    """A YAML data file (packages.yaml, host requirements, ...) is malformed.

    Names the file, the line and the field so the user can go straight to it.
    """

    def __init__(self, path: str, line: int | None, field: str | None, problem: str,
                 hint: str | None = None) -> None:
        where = f"{path}:{line}" if line else str(path)
        what = f" ({field})" if field else ""
        super().__init__(f"{where}{what}: {problem}", hint)
        self.path, self.line, self.field, self.problem = path, line, field, problem


class FetchError(LfsError):
    """One or more sources could not be downloaded or verified."""


class BookError(LfsError):
    """A recipe in book/ is malformed or refers to something that does not exist."""


class StepFailed(LfsError):
    """A build step exited non-zero; the message carries the log tail and how to resume."""


class Interrupted(LfsError):
    """The user pressed Ctrl-C; the running step was stopped and recorded as interrupted."""

    exit_code = 130


class LockedError(LfsError):
    """Another lfsbuild process is working on the same $LFS."""


class NeedsRoot(LfsError):
    """The requested work needs root (chroot, mounts, ownership) and we are not root."""


class HostError(LfsError):
    """The host system lacks something the build needs."""


class ChrootError(LfsError):
    """Entering or preparing the chroot failed, or mounts are present where they must not be."""


class BackupError(LfsError):
    """A backup, restore or clean could not be done (space, checksum, tar failure)."""


class PxeError(LfsError):
    """Packaging PXE artifacts failed."""


class ServeError(LfsError):
    """The built-in TFTP/HTTP server could not start or serve."""


class BootTestError(LfsError):
    """A QEMU boot test did not reach its marker."""


class ManifestError(LfsError):
    """No step's manifest records what was asked (a path nobody wrote, a step never finished)."""
