"""One bubblewrap sandbox per graded notebook: what a kernel sees, and what it may use.

A :class:`Sandbox` is a ``bwrap`` process (Debian's bubblewrap) holding a fresh set of
namespaces: user, PID, IPC, UTS, cgroup, network (none) and mount. Inside it a placeholder
process waits; the warm fork server's child then *joins* those namespaces and becomes the
kernel (see ``warm.py``), so kernels start from a process that has imported torch already,
yet live in a sandbox that bubblewrap built. What a kernel sees:

- read-only: the Python installation (``sys.base_prefix``, ``sys.prefix``, the site-packages
  in use), the system libraries under ``/usr`` it links against, and the kernel-side course
  package ``autograder``; the instructor side (``nnmodule_course``) is hidden even where it
  lies inside a bound folder;
- read-write: its scratch folder ``/tmp`` (a size-limited tmpfs, also its HOME and working
  folder) and a private, size-limited ``/dev/shm``;
- its own ``/proc`` (its own processes only), a minimal ``/dev``, a minimal ``/etc``;
- GPUs (``/dev/nvidia*``) when ``gpu=True``.

Not the course folder, not ``solutions/``, not the grading output, not another student's
files, not the grader's or another kernel's processes, no network. When the sandbox's
placeholder dies (the grader stops it, or the grader itself dies: ``--die-with-parent``), the
kernel and everything it started go with the PID namespace.

The grader reaches the kernel's Unix sockets, which live in the sandbox's ``/tmp``, through
``/proc/<pid>/root`` of the placeholder.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

SCRATCH = "/tmp"           # mounted first, so that bound folders that live under the host's /tmp stay visible
KERNEL_DIR = f"{SCRATCH}/.kernel"        # connection file and sockets, inside the sandbox
UID = GID = 1000                          # who a kernel is inside its sandbox ("student")
MIB = 1 << 20

#: What runs in a sandbox until its kernel joins it. bubblewrap starts it once every mount is in
#: place, so its "ready" line tells the grader that the sandbox is complete.
PLACEHOLDER = ("/bin/sh", "-c", "echo ready && exec sleep infinity")

PASSWD = "student:x:1000:1000:student:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
GROUP = "student:x:1000:\nnobody:x:65534:\n"
HOSTS = "127.0.0.1 localhost\n::1 localhost\n"


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here (no bubblewrap, no user namespaces, not Linux): say why."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandbox may use: its scratch tmpfs and /dev/shm sizes (bytes)."""

    scratch: int = 512 * MIB
    shm: int = 64 * MIB


def bwrap() -> str:
    """The bubblewrap executable, or :class:`SandboxUnavailable` with what to install."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the grader's sandbox needs Linux (bubblewrap); this is {sys.platform}")
    found = shutil.which("bwrap")
    if not found:
        raise SandboxUnavailable("bubblewrap is not installed: `sudo apt-get install bubblewrap` (Debian, Ubuntu), "
                                 "or your distribution's bubblewrap package")
    return found


def _covering(paths: list[Path]) -> list[Path]:
    """``paths`` without those inside another one (binding the outer folder binds them)."""
    kept: list[Path] = []
    for path in sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def visible_paths(kernel_package: Path) -> list[Path]:
    """Folders bound read-only: the Python installation, its site-packages, the kernel-side package."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent]
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.append(Path(sysconfig.get_paths()[key]))
    paths += [Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p]
    paths.append(kernel_package)
    return _covering(paths)


def hidden_paths(bound: list[Path], hide: list[Path]) -> list[Path]:
    """Those of ``hide`` that lie inside a bound folder: they are covered by an empty tmpfs."""
    hide = [p.resolve() for p in hide if p.exists()]
    return [h for h in hide if any(h == b or b in h.parents for b in bound)]


def command(kernel_package: Path, hide: list[Path], limits: SandboxLimits, info_fd: int,
            data_fds: dict[str, int], gpu: bool) -> list[str]:
    """The ``bwrap`` command line of one sandbox (``data_fds``: /etc file -> fd holding its text)."""
    argv = [bwrap(), "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
            "--unshare-cgroup-try", "--uid", str(UID), "--gid", str(GID), "--hostname", "grading",
            "--die-with-parent", "--new-session", "--info-fd", str(info_fd),
            "--size", str(limits.scratch), "--tmpfs", SCRATCH, "--dir", KERNEL_DIR]
    usr = Path("/usr")
    argv += ["--ro-bind", str(usr), str(usr)]
    for link in ("bin", "lib", "lib64", "lib32", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            argv += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            argv += ["--ro-bind", str(target), str(target)]
    bound = [p for p in visible_paths(kernel_package) if not (p == usr or usr in p.parents)]
    for path in bound:
        argv += ["--ro-bind", str(path), str(path)]
    for path in hidden_paths(bound + [usr], hide):
        argv += ["--tmpfs", str(path), "--remount-ro", str(path)]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.shm), "--tmpfs", "/dev/shm"]
    for name, fd in data_fds.items():
        argv += ["--ro-bind-data", str(fd), f"/etc/{name}"]
    if gpu:
        for device in sorted(Path("/dev").glob("nvidia*")):
            argv += ["--dev-bind-try", str(device), str(device)]
        argv += ["--ro-bind-try", "/proc/driver/nvidia", "/proc/driver/nvidia",
                 "--ro-bind-try", "/sys", "/sys"]
    argv += ["--chdir", SCRATCH, "--", *PLACEHOLDER]
    return argv


class Sandbox:
    """A running sandbox for one kernel: start it, reach into it, stop it (and all inside)."""

    def __init__(self, kernel_package: Path, hide: list[Path], limits: SandboxLimits, gpu: bool = False) -> None:
        self.kernel_package = kernel_package
        self.hide = hide
        self.limits = limits
        self.gpu = gpu
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None          # the placeholder, PID 1's child inside; its /proc/<pid>/root is the sandbox

    def start(self) -> int:
        """Start bwrap; returns the pid (in the grader's PID namespace) of the process inside."""
        info_r, info_w = os.pipe()
        data: dict[str, int] = {}
        try:
            for name, text in (("passwd", PASSWD), ("group", GROUP), ("hosts", HOSTS)):
                read, write = os.pipe()
                os.write(write, text.encode())
                os.close(write)
                data[name] = read
            argv = command(self.kernel_package, self.hide, self.limits, info_w, data, self.gpu)
            self.process = subprocess.Popen(argv, pass_fds=(info_w, *data.values()), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.close(info_w)
            for fd in data.values():
                os.close(fd)
        with os.fdopen(info_r, "rb") as info:
            raw = info.read()          # written (and closed) as soon as the sandbox's first process exists
        ready = self.process.stdout.readline() if self.process.stdout else b""   # every mount is in place
        try:
            self.pid = int(json.loads(raw)["child-pid"])
            if ready.strip() != b"ready":
                raise ValueError("not ready")
        except (ValueError, KeyError, TypeError):
            error = self.process.stderr.read().decode(errors="replace").strip() if self.process.stderr else ""
            self.stop()
            raise SandboxUnavailable(f"bubblewrap could not make a sandbox: {error or 'no reason given'}") from None
        return self.pid

    def path(self, inside: str) -> str:
        """The grader's path to ``inside`` (a path in the sandbox), through ``/proc/<pid>/root``."""
        assert self.pid is not None
        return f"/proc/{self.pid}/root{inside}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def failure(self) -> str:
        """What bubblewrap said when the sandbox died during its set-up ("" while it runs)."""
        if self.process is None or self.alive() or self.process.stderr is None:
            return ""
        return self.process.stderr.read().decode(errors="replace").strip()

    def stop(self) -> None:
        """Kill the sandbox: its PID namespace ends, and with it every process a kernel started."""
        if self.process is None:
            return
        try:
            self.process.send_signal(signal.SIGKILL)
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        self.process = None


def probe(kernel_package: Path, hide: list[Path]) -> None:
    """Make one sandbox and stop it; raises :class:`SandboxUnavailable` with the reason when none can be made."""
    sandbox = Sandbox(kernel_package, hide, SandboxLimits(scratch=MIB, shm=MIB))
    try:
        sandbox.start()
    except OSError as err:
        raise SandboxUnavailable(f"bubblewrap could not start: {err}") from err
    finally:
        sandbox.stop()
