"""The private side of a grading run: a temporary folder, and the course package each kernel imports.

Kernels never import the checks from the repository: student code could edit those files
and change every later student's grade. :class:`PackageImage` holds the ``autograder``
package (sources and hash-checked ``.pyc`` files) in memory; each kernel gets its own copy
in its scratch folder (read-only, and owned by root when kernels run as ``nobody``), and
after the notebook the grader checks that the copy is byte for byte what it wrote.
"""
from __future__ import annotations

import py_compile
import shutil
import tempfile
from pathlib import Path

COPY = ".course"       # the kernel's copy: <workdir>/.course/autograder/...


class PackageImage:
    """The files of one Python package (and their compiled forms), kept in memory."""

    def __init__(self, package_dir: Path, exclude: tuple[str, ...] = ()) -> None:
        self.name = package_dir.name
        self.files: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for source in sorted(package_dir.rglob("*.py")):
                relative = source.relative_to(package_dir.parent)
                if "__pycache__" in relative.parts or (len(relative.parts) > 2 and relative.parts[1] in exclude):
                    continue
                data = source.read_bytes()
                self.files[str(relative)] = data
                staged = Path(tmp) / relative
                staged.parent.mkdir(parents=True, exist_ok=True)
                staged.write_bytes(data)
                cached = py_compile.compile(str(staged), doraise=False, quiet=2,
                                            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
                if cached:
                    self.files[str(Path(cached).relative_to(tmp))] = Path(cached).read_bytes()

    def write(self, workdir: Path) -> Path:
        """Copy the package into ``workdir/.course`` (read-only); return the folder to put on sys.path."""
        root = workdir / COPY
        for relative, data in self.files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o444)
        for folder in sorted({p for p in root.rglob("*") if p.is_dir()} | {root}, reverse=True):
            folder.chmod(0o555)
        return root

    def differences(self, workdir: Path) -> list[str]:
        """Files of the copy in ``workdir`` that were changed, added or removed."""
        root = workdir / COPY
        if not root.is_dir():
            return [f"{COPY}/ is gone"]
        present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        changed = [name for name in sorted(present & set(self.files)) if (root / name).read_bytes() != self.files[name]]
        return ([f"changed {n}" for n in changed] + [f"added {n}" for n in sorted(present - set(self.files))]
                + [f"removed {n}" for n in sorted(set(self.files) - present)])


def remove(path: Path) -> None:
    """Remove a tree that may hold read-only folders."""
    if not path.exists():
        return
    for folder in [path, *(p for p in path.rglob("*") if p.is_dir() and not p.is_symlink())]:
        try:
            folder.chmod(0o755)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def run_dir() -> Path:
    """A fresh private folder for one run, outside the course (kernel scratch folders, the fork socket).

    It is world-traversable so that kernels running as ``nobody`` can reach their own folders.
    """
    path = Path(tempfile.mkdtemp(prefix="nnm-grading-"))
    path.chmod(0o711)
    return path
