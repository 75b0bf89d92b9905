"""Execute one notebook in its own kernel with nbgrader's ``Execute`` preprocessor, cell by cell.

nbgrader runs ``Execute.preprocess`` over the whole notebook; a dead kernel then aborts the
notebook, and an unresponsive one stalls every later cell until its timeout. Driving the
same preprocessor (an nbclient ``NotebookClient``) one cell at a time lets the grader:

- mark the cell that killed the kernel, and every test cell that never ran, with an error
  output, so nbgrader's ``determine_grade`` can never count them as passes;
- start a fresh kernel for the rest of the notebook (replaying the preamble and the locked
  set-up cells, the only cells a test may depend on) so later exercises are still graded;
- replace a kernel that ignores the interrupt after a timeout;
- cap the output a cell may send (an output flood cannot exhaust the grader's memory).
"""
from __future__ import annotations

import asyncio
import copy
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .integrity import INJECTED, is_grade, is_setup
from .kernels import ForkKernels, FreshKernels


class GradingExecute(Execute):
    """nbgrader's ``Execute`` preprocessor with a cap on the output one cell may send."""

    max_output_chars = Integer(2_000_000, help="stream text kept per cell, in characters").tag(config=True)
    max_displays = Integer(100, help="rich outputs (images, HTML) kept per cell").tag(config=True)
    NOTE = "\n... output truncated by the grader\n"

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any) -> NotebookNode:
        self._budget = [self.max_output_chars, self.max_displays]
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> NotebookNode | None:
        kind = msg["msg_type"]
        if kind in ("stream", "display_data"):
            slot = 0 if kind == "stream" else 1
            self._budget[slot] -= len(msg["content"].get("text", "")) if slot == 0 else 1
            if self._budget[slot] < 0:
                if not any(o.get("text") == self.NOTE for o in outs[-3:]):
                    outs.append(new_output("stream", name="stdout", text=self.NOTE))
                return None
        return super().output(outs, msg, display_id, cell_index)


class FastReadyClient(AsyncKernelClient):
    """A kernel client that is ready once ``kernel_info`` is answered and IOPub delivers.

    jupyter_client's ``wait_for_ready`` then also waits for 0.2 s of IOPub silence; nbclient
    matches every output to its request, so that wait buys nothing here.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or 60)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)   # IOPub is subscribed
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready


class KernelStartError(RuntimeError):
    """No kernel could be started: a problem of the grading machine, not of the submission."""


@dataclass
class Execution:
    """How one notebook's execution went (cell indices are those of the executed copy)."""

    notebook: NotebookNode
    seconds: float = 0.0
    kernel_starts: int = 0
    timed_out: list[int] = field(default_factory=list)
    died: dict[int, str] = field(default_factory=dict)        # cell index -> why the kernel went
    replaced: list[int] = field(default_factory=list)         # kernel ignored the interrupt after this cell
    tampered: list[str] = field(default_factory=list)         # changes to the kernel's copy of the checks


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


async def _responsive(client: GradingExecute, grace: float) -> bool:
    """After an interrupt: does the kernel answer ``kernel_info`` within ``grace`` seconds?"""
    msg_id = client.kc.kernel_info()
    deadline = time.monotonic() + grace
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await client.kc.shell_channel.get_msg(timeout=left)
        except Exception:  # noqa: BLE001 - queue.Empty
            return False
        if reply["parent_header"].get("msg_id") == msg_id:
            return True
    return False


def _exit_reason(client: GradingExecute) -> str:
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    signum = -code if code is not None and code < 0 else code - 128 if code is not None and code > 128 else None
    if signum is not None:
        hint = " (out of memory?)" if signum in (6, 9) else ""
        return f"the kernel was killed by signal {signum}{hint}"
    if code is None:
        return "the kernel died"
    return f"the kernel exited with code {code}" + (" (os._exit or sys.exit?)" if code in (0, 1) else "")


class NotebookRunner:
    """Runs notebooks for one grading run: kernels from ``kernels``, nbgrader's execution settings."""

    def __init__(self, kernels: ForkKernels | FreshKernels, timeout: int, config: Any = None,
                 unresponsive_grace: float = 5.0, max_kernel_starts: int = 4) -> None:
        self.kernels = kernels
        self.timeout = timeout
        self.config = config
        self.grace = unresponsive_grace
        self.max_kernel_starts = max_kernel_starts

    def _manager(self) -> AsyncKernelManager:
        """A kernel manager whose kernel is started by our kernel source's command."""
        km = AsyncKernelManager(kernel_name="python3")
        km._kernel_spec = KernelSpec(argv=self.kernels.argv(), display_name="Python 3 (grading)",
                                     language="python", interrupt_mode="signal")
        km.client_factory = FastReadyClient
        km.shutdown_wait_time = 1.0
        return km

    def _client(self, nb: NotebookNode, workdir: Path) -> GradingExecute:
        client = GradingExecute(km=self._manager(), config=self.config, timeout=self.timeout,
                                interrupt_on_timeout=True, allow_errors=True, shutdown_kernel="immediate",
                                resources={"metadata": {"path": str(workdir)}},
                                extra_arguments=["--HistoryManager.enabled=False"])
        client.nb = nb
        client.timeout = self.timeout
        client.timeout_func = self._timeout_of
        return client

    def _timeout_of(self, cell: NotebookNode) -> int:
        """The grader's own cells get more time: a loaded machine must not fail a notebook."""
        return max(self.timeout, 120) if cell.get("metadata", {}).get(INJECTED) else self.timeout

    async def run(self, nb: NotebookNode, supplementary: dict[str, bytes] | None = None) -> Execution:
        """Execute ``nb`` (changed in place) in fresh kernels; raises only :class:`KernelStartError`."""
        started = time.monotonic()
        result = Execution(notebook=nb)
        executed: set[int] = set()
        index = 0
        while index < len(nb.cells) and result.kernel_starts < self.max_kernel_starts:
            result.kernel_starts += 1
            workdir = self.kernels.workdir()
            for name, data in (supplementary or {}).items():
                (workdir / name).parent.mkdir(parents=True, exist_ok=True)
                (workdir / name).write_bytes(data)
            try:
                client = await self._start(nb, workdir)
            except KernelStartError:
                self.kernels.cleanup(workdir)
                raise
            try:
                if index > 0:
                    await self._replay(client, nb, index)
                index = await self._run_cells(client, nb, index, executed, result)
            except DeadKernelError:
                continue                    # died while replaying the set-up: try a new kernel
            finally:
                await self._shutdown(client)
                result.tampered += self.kernels.tampering(workdir)
                self.kernels.cleanup(workdir)
        for number, cell in enumerate(nb.cells):
            if is_grade(cell) and cell.cell_type == "code" and number not in executed:
                cell.setdefault("outputs", []).append(
                    _error("NotRun", "this test cell never ran: the kernel kept dying before it"))
        result.seconds = time.monotonic() - started
        return result

    async def _start(self, nb: NotebookNode, workdir: Path, attempts: int = 3) -> GradingExecute:
        """A client with a running kernel; a start that fails (a port taken meanwhile, a loaded
        machine) is tried again before it counts as :class:`KernelStartError`."""
        for attempt in range(attempts):
            client = self._client(nb, workdir)
            try:
                await client.async_start_new_kernel(cwd=str(workdir), env=self.kernels.environment(workdir),
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                await client.async_start_new_kernel_client()
                return client
            except Exception as err:  # noqa: BLE001 - reported as a grading error, the run goes on
                await self._shutdown(client)
                if attempt == attempts - 1:
                    raise KernelStartError(f"could not start a kernel ({type(err).__name__}: {err})") from err
                await asyncio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _run_cells(self, client: GradingExecute, nb: NotebookNode, index: int, executed: set[int],
                         result: Execution) -> int:
        """Run cells from ``index`` on; return the index to resume at (len(cells) when done)."""
        while index < len(nb.cells):
            cell = nb.cells[index]
            executed.add(index)
            try:
                await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            except DeadKernelError:
                reason = _exit_reason(client)
                cell.setdefault("outputs", []).append(_error("DeadKernelError", reason))
                result.died[index] = reason
                return index + 1
            except CellControlSignal as err:   # the reply came, its output did not (an output flood?)
                cell.setdefault("outputs", []).append(_error("CellTimeoutError", str(err).splitlines()[0]))
            if _timed_out(cell):
                result.timed_out.append(index)
                if not await _responsive(client, self.grace):
                    result.replaced.append(index)
                    return index + 1
            index += 1
        return index

    async def _replay(self, client: GradingExecute, nb: NotebookNode, upto: int) -> None:
        """In a new kernel: run the preamble and the set-up cells before ``upto`` (outputs dropped)."""
        for number, cell in enumerate(nb.cells[:upto]):
            if cell.get("metadata", {}).get(INJECTED) == "preamble" or is_setup(cell):
                scratch = copy.deepcopy(cell)
                await client.async_execute_cell(scratch, number, store_history=False)

    @staticmethod
    async def _shutdown(client: GradingExecute) -> None:
        try:
            if client.km is not None:
                await asyncio.wait_for(client._async_cleanup_kernel(), timeout=15)
        except Exception:  # noqa: BLE001 - the fork server kills what is left
            pass
