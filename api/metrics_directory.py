"""Where the workers of one `studygraph serve` share their metrics.

prometheus_client decides at import whether values live in memory or in files under
PROMETHEUS_MULTIPROC_DIR, so the directory is set before any worker imports it (this
module must not import it either). Files of an earlier run would add stale counts, so
the directory starts empty.
"""

import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_PREFIX = "studygraph-metrics-"


def prepare_metrics_directory() -> tuple[Path, bool]:
    """An empty directory for this run's metric files, named in the environment.

    The operator's directory (the variable already set) is emptied of metric files;
    otherwise a private temporary one is made. Returns it and whether it was made here
    (then `remove_metrics_directory` deletes it at exit).
    """
    chosen = os.environ.get(VARIABLE)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
        return directory, False
    _remove_orphans(Path(tempfile.gettempdir()))
    directory = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    os.environ[VARIABLE] = str(directory)
    return directory, True


def remove_metrics_directory(directory: Path, *, made_here: bool) -> None:
    """Delete a temporary directory made by `prepare_metrics_directory`."""
    if made_here:
        shutil.rmtree(directory, ignore_errors=True)


def _remove_orphans(parent: Path) -> None:
    """Temporary directories of earlier runs that are gone.

    uvicorn ends on SIGTERM by re-raising the signal once it has shut down, so a run's
    own clean-up may never happen; the next run tidies up after it.
    """
    for directory in parent.glob(f"{_PREFIX}*-*"):
        pid = directory.name.removeprefix(_PREFIX).partition("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
