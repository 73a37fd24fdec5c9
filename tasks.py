"""invoke finds tasks only here; the real ones live in lfsbuild.tasks."""
from lfsbuild.tasks import ns  # noqa: F401
