"""A jupyter_client kernel provisioner: each kernel a warm fork, inside its own bubblewrap sandbox.

jupyter_client's provisioners are its documented way to start kernels somewhere other than a
local subprocess (``jupyter_client.kernel_provisioners`` entry point, named in a kernelspec's
metadata). :class:`SandboxProvisioner` makes a :class:`~.sandbox.Sandbox` for the kernel, asks
the :class:`WarmServer` (``warm.py``) for a fork that joins it, and talks to the kernel over
Unix sockets in the sandbox's scratch folder, which the grader reaches through
``/proc/<pid>/root``. Interrupts are signals to the kernel's pid; cleanup kills the sandbox,
and with it every process the kernel started.

With ``sandboxed=False`` (the instructor's explicit ``--no-sandbox``) the fork runs as a plain
process in a scratch folder, as the grader's user.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.provisioning import KernelProvisionerBase
from traitlets import Bool, Dict, Int, List, Unicode

from .sandbox import KERNEL_DIR, SCRATCH, Sandbox, SandboxLimits

NAME = "nnm-sandbox"           # the entry point name (pyproject.toml)
WARM = Path(__file__).resolve().parent / "warm.py"


class WarmServer:
    """The warm fork server process (``warm.py``), started once per grading run."""

    def __init__(self, run_dir: Path, preload: tuple[str, ...], log: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.socket = str(run_dir / "warm.sock")
        self.preload = preload
        self.log = log
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it; it imports torch (a second or two) while the caller goes on."""
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - kept by Popen
        self.process = subprocess.Popen([sys.executable, "-I", str(WARM), self.socket, "--preload", *self.preload],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=self.env,
                                        cwd="/", start_new_session=True)
        if stderr is not subprocess.DEVNULL:
            stderr.close()

    def wait_ready(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the warm kernel server did not start (see {self.log or 'its log'})")

    def close(self) -> None:
        if self.process is None:
            return
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            if self.process.stdout:
                self.process.stdout.close()
            self.process = None


class SandboxProvisioner(KernelProvisionerBase):
    """Start a kernel as a warm fork inside a new sandbox (see the module docstring)."""

    server = Unicode(help="the warm server's socket").tag(config=True)
    sandboxed = Bool(True, help="False only with the instructor's explicit --no-sandbox").tag(config=True)
    kernel_package = Unicode(help="the kernel-side package's folder, bound read-only").tag(config=True)
    hide = List(Unicode(), help="folders hidden even inside bound ones").tag(config=True)
    scratch_bytes = Int(512 << 20).tag(config=True)
    shm_bytes = Int(64 << 20).tag(config=True)
    gpu = Bool(False).tag(config=True)
    limits = Dict(help="rlimits of the kernel: memory (as), nproc, cpu, fsize").tag(config=True)
    threads = Int(1).tag(config=True)
    kernel_env = Dict(help="the kernel's whole environment").tag(config=True)

    sandbox: Sandbox | None = None
    pid: int | None = None
    exit_status: int | None = None
    _conn: socket.socket | None = None
    _buffer: bytes = b""
    _workdir: str | None = None

    @property
    def has_process(self) -> bool:
        return self.pid is not None and self.exit_status is None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Make the sandbox, and the connection file that reaches into it."""
        km = self.parent
        km.transport = "ipc"
        if self.sandboxed:
            self.sandbox = Sandbox(Path(self.kernel_package), [Path(p) for p in self.hide],
                                   SandboxLimits(self.scratch_bytes, self.shm_bytes), gpu=self.gpu)
            await asyncio.get_running_loop().run_in_executor(None, self.sandbox.start)
            km.ip = self.sandbox.path(f"{KERNEL_DIR}/k")
        else:
            self._workdir = tempfile.mkdtemp(prefix="nnm-kernel-")
            os.makedirs(os.path.join(self._workdir, ".kernel"))
            km.ip = os.path.join(self._workdir, ".kernel", "k")
        km.write_connection_file()
        self.connection_info = km.get_connection_info()
        kwargs.pop("extra_arguments", None)
        return await super().pre_launch(cmd=[], **kwargs)

    def _inside(self) -> dict[str, Any]:
        """The connection file as the kernel sees it (paths inside the sandbox)."""
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.connection_info.items()}
        info["ip"] = f"{KERNEL_DIR}/k" if self.sandboxed else info["ip"]
        return info

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Ask the warm server for a fork in the sandbox; returns the grader's connection info."""
        where = SCRATCH if self.sandboxed else self._workdir
        kernel_dir = KERNEL_DIR if self.sandboxed else os.path.join(self._workdir, ".kernel")
        env = {**self.kernel_env, "HOME": where, "TMPDIR": where}
        request = {"sandbox": self.sandbox.pid if self.sandbox else None, "cwd": where, "env": env,
                   "connection": self._inside(), "connection_file": f"{kernel_dir}/connection.json",
                   "log": f"{kernel_dir}/kernel.log", "limits": dict(self.limits), "threads": self.threads}
        loop = asyncio.get_running_loop()
        self._conn, first = await loop.run_in_executor(None, self._request, request)
        if "error" in first or "pid" not in first:
            said = self.sandbox.failure() if self.sandbox else ""
            raise RuntimeError(f"the kernel could not be placed in its sandbox: {first.get('error', first)}"
                               + (f" (bubblewrap: {said})" if said else ""))
        self.pid = int(first["pid"])
        return self.connection_info

    def _request(self, request: dict) -> tuple[socket.socket, dict]:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(60)
        conn.connect(self.server)
        conn.sendall(json.dumps(request).encode() + b"\n")
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            line += chunk
        head, _, rest = line.partition(b"\n")
        self._buffer = rest
        conn.setblocking(False)
        return conn, json.loads(head or b"{}")

    def _read_status(self) -> None:
        """Take the keeper's ``{"status"}`` line when it has come (or the connection closed)."""
        if self._conn is None or self.exit_status is not None:
            return
        try:
            while True:
                chunk = self._conn.recv(4096)
                if not chunk:
                    self.exit_status = self.exit_status if self.exit_status is not None else -signal.SIGKILL
                    break
                self._buffer += chunk
        except BlockingIOError:
            pass
        except OSError:
            self.exit_status = -signal.SIGKILL
        for line in self._buffer.split(b"\n"):
            if line.strip():
                status = json.loads(line).get("status")
                if status is not None:
                    self.exit_status = (-os.WTERMSIG(status) if os.WIFSIGNALED(status)
                                        else os.WEXITSTATUS(status))

    async def poll(self) -> int | None:
        if self.pid is None:
            return 0
        self._read_status()
        return self.exit_status

    async def wait(self) -> int | None:
        while await self.poll() is None:
            await asyncio.sleep(0.05)
        return self.exit_status

    async def send_signal(self, signum: int) -> None:
        if self.has_process:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        """Kill the sandbox (and everything in it), close the keeper's connection."""
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self._conn is not None:
            self._read_status()
            self._conn.close()
            self._conn = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def get_shutdown_wait_time(self, recommended: float = 5.0) -> float:
        return 1.0

    async def get_provisioner_info(self) -> dict[str, Any]:
        info = await super().get_provisioner_info()
        info.update(pid=self.pid)
        return info

    async def load_provisioner_info(self, provisioner_info: dict) -> None:
        await super().load_provisioner_info(provisioner_info)
        self.pid = provisioner_info.get("pid")

    def kernel_log(self, limit: int = 4000) -> str:
        """The end of what the kernel wrote to its stdout/stderr (its sandbox's ``.kernel/kernel.log``)."""
        path = self.sandbox.path(f"{KERNEL_DIR}/kernel.log") if self.sandbox else (
            os.path.join(self._workdir, ".kernel", "kernel.log") if self._workdir else None)
        try:
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - limit))
                return handle.read().decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def exit_reason(self) -> str:
        """Why the kernel went, in words ("killed by signal 9 (out of memory?)")."""
        code = self.exit_status
        if code is None:
            return "the kernel died"
        if code < 0 or code > 128:
            signum = -code if code < 0 else code - 128
            return f"the kernel was killed by signal {signum}" + (" (out of memory?)" if signum in (6, 9) else "")
        return f"the kernel exited with code {code}" + (" (os._exit or sys.exit?)" if code in (0, 1) else "")


class SpecManager(KernelSpecManager):
    """A kernelspec manager that knows one kernel: the grader's, started by :class:`SandboxProvisioner`."""

    spec = Dict()

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(argv=["(started by the nnm-sandbox provisioner)"], display_name="Python 3 (graded)",
                          language="python", interrupt_mode="signal",
                          metadata={"kernel_provisioner": {"provisioner_name": NAME, "config": self.spec}})

    def find_kernel_specs(self) -> dict[str, str]:
        return {"nnm-graded": ""}
