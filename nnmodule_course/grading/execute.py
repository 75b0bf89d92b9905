"""Execute one notebook, cell by cell, in sandboxed kernels, with nbgrader's ``Execute`` preprocessor.

nbgrader runs ``Execute.preprocess`` over a whole notebook; a dead kernel then aborts it, and an
unresponsive one stalls every later cell. Driving the same preprocessor (an nbclient
``NotebookClient``) one cell at a time lets the grader:

- note the cell that killed the kernel, the cells that timed out, and the test cells that never
  ran, so the judge can say why an exercise has no observation;
- start a fresh kernel in a fresh sandbox for the rest of the notebook (replaying the locked
  set-up cells, the only cells a test may depend on), so later exercises are still graded;
- replace a kernel that ignores the interrupt after a timeout;
- cap what a cell may send: every output type counts against the cell's budget, and no single
  ZeroMQ message above :data:`MAX_MESSAGE` bytes is ever received whole (the socket drops it).

Kernels come from :mod:`.provisioner` (a warm fork in a bubblewrap sandbox per kernel).
"""
from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_locked, is_solution
from traitlets import Integer

from autograder.observation import MIME

from .provisioner import SpecManager

MAX_MESSAGE = 16 << 20      # bytes: larger kernel messages are dropped by ZeroMQ, unread


def is_setup(cell: NotebookNode) -> bool:
    """A locked code cell that is neither graded nor an answer: the notebook's set-up."""
    return cell.cell_type == "code" and is_locked(cell) and not is_grade(cell) and not is_solution(cell)


def is_test(cell: NotebookNode) -> bool:
    """A graded code cell that is not an answer: a test cell."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def _size(content: dict) -> int:
    """Roughly how many characters an output message carries (text, data values, traceback)."""
    size = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    size += sum(len(line) for line in content.get("traceback") or []) + len(content.get("evalue", "") or "")
    return size


class GradingExecute(Execute):
    """nbgrader's ``Execute`` with a budget per cell for every kind of output.

    Observations (the course's own MIME type) have their own, larger budget so that a flood of
    prints cannot push a correct answer's observations out; anything past a budget is dropped
    with one note.
    """

    max_output_chars = Integer(2_000_000, help="characters of output kept per cell, all types").tag(config=True)
    max_outputs = Integer(200, help="outputs kept per cell").tag(config=True)
    max_observation_chars = Integer(12_000_000, help="characters of observations kept per test cell").tag(config=True)
    NOTE = "\n... output truncated by the grader\n"

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any) -> NotebookNode:
        self._budget = {"chars": self.max_output_chars, "outputs": self.max_outputs,
                        "observations": self.max_observation_chars}
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> NotebookNode | None:
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            observation = kind == "display_data" and MIME in (content.get("data") or {})
            key = "observations" if observation else "chars"
            self._budget[key] -= _size(content)
            self._budget["outputs"] -= 0 if observation else 1
            if self._budget[key] < 0 or self._budget["outputs"] < 0:
                if not any(o.get("text") == self.NOTE for o in outs[-3:]):
                    outs.append(new_output("stream", name="stdout", text=self.NOTE))
                return None
        return super().output(outs, msg, display_id, cell_index)


class GradingClient(AsyncKernelClient):
    """A kernel client whose sockets refuse huge messages, and that is ready as soon as the kernel answers.

    ``ZMQ_MAXMSGSIZE``, set on the client's own context, makes ZeroMQ drop (and never buffer
    whole) any message larger than :data:`MAX_MESSAGE`. jupyter_client's ``wait_for_ready``
    also waits for 0.2 s of IOPub silence; nbclient matches every output to its request, so
    that wait buys nothing here.
    """

    def _context_default(self) -> zmq.asyncio.Context:
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        return context

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
    """How one notebook's execution went (cell indices are the notebook's)."""

    notebook: NotebookNode
    seconds: float = 0.0
    kernel_starts: int = 0
    timed_out: list[int] = field(default_factory=list)
    died: dict[int, str] = field(default_factory=dict)        # cell index -> why the kernel went
    replaced: list[int] = field(default_factory=list)         # kernel ignored the interrupt after this cell
    never_ran: list[int] = field(default_factory=list)        # test cells the kernels never reached


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


async def _responsive(client: GradingExecute, grace: float) -> bool:
    """After a timeout: does the kernel answer ``kernel_info`` within ``grace`` seconds, on the shell
    channel *and* on IOPub (a message ZeroMQ refused as too large leaves IOPub deaf for good)?"""
    msg_id = client.kc.kernel_info()
    deadline = time.monotonic() + grace
    heard = {"shell": False, "iopub": False}
    for name, channel in (("shell", client.kc.shell_channel), ("iopub", client.kc.iopub_channel)):
        while not heard[name] and (left := deadline - time.monotonic()) > 0:
            try:
                message = await channel.get_msg(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty
                break
            heard[name] = message["parent_header"].get("msg_id") == msg_id
    return heard["shell"] and heard["iopub"]


class NotebookRunner:
    """Runs notebooks for one grading run: each kernel made by ``spec`` (a provisioner config)."""

    def __init__(self, spec: dict, timeout: int, config: Any = None, unresponsive_grace: float = 5.0,
                 max_kernel_starts: int = 4, log: Path | None = None) -> None:
        self.spec = spec
        self.log = log
        self.timeout = timeout
        self.config = config
        self.grace = unresponsive_grace
        self.max_kernel_starts = max_kernel_starts

    def _client(self, nb: NotebookNode, env: dict[str, str]) -> GradingExecute:
        spec = {**self.spec, "kernel_env": {**self.spec.get("kernel_env", {}), **env}}
        km = AsyncKernelManager(kernel_name="nnm-graded", kernel_spec_manager=SpecManager(spec=spec))
        km.client_class = f"{GradingClient.__module__}.{GradingClient.__name__}"
        km.shutdown_wait_time = 1.0
        client = GradingExecute(km=km, config=self.config, timeout=self.timeout, interrupt_on_timeout=True,
                                allow_errors=True, shutdown_kernel="immediate", resources={"metadata": {"path": "/"}})
        client.nb = nb
        client.timeout = self.timeout
        return client

    async def run(self, nb: NotebookNode, env: dict[str, str]) -> Execution:
        """Execute ``nb`` (changed in place) in fresh sandboxed kernels whose environment adds ``env``;
        raises only :class:`KernelStartError`."""
        started = time.monotonic()
        result = Execution(notebook=nb)
        executed: set[int] = set()
        index = 0
        while index < len(nb.cells) and result.kernel_starts < self.max_kernel_starts:
            result.kernel_starts += 1
            client = await self._start(nb, env)
            try:
                if index > 0:
                    await self._replay(client, nb, index)
                index = await self._run_cells(client, nb, index, executed, result)
            except DeadKernelError:
                continue                    # died while replaying the set-up: try a new kernel
            finally:
                await self._shutdown(client)
        result.never_ran = [i for i, cell in enumerate(nb.cells) if is_test(cell) and i not in executed]
        result.seconds = time.monotonic() - started
        return result

    async def _start(self, nb: NotebookNode, env: dict[str, str], attempts: int = 3) -> GradingExecute:
        """A client with a running kernel; a start that fails (a loaded machine) is tried again
        before it counts as :class:`KernelStartError`."""
        for attempt in range(attempts):
            client = self._client(nb, env)
            try:
                await client.async_start_new_kernel()
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
                provisioner = getattr(client.km, "provisioner", None)
                if provisioner is not None:
                    await provisioner.poll()
                reason = provisioner.exit_reason() if hasattr(provisioner, "exit_reason") else "the kernel died"
                self._log_death(provisioner, reason)
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

    def _log_death(self, provisioner: Any, reason: str) -> None:
        """Keep the end of a dead kernel's own output in the run's kernels.log (for the instructor)."""
        if self.log is None or not hasattr(provisioner, "kernel_log"):
            return
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {reason}; the end of the kernel's output:\n{provisioner.kernel_log()}\n")

    async def _replay(self, client: GradingExecute, nb: NotebookNode, upto: int) -> None:
        """In a new kernel: run the set-up cells before ``upto`` (outputs dropped)."""
        for number, cell in enumerate(nb.cells[:upto]):
            if is_setup(cell):
                await client.async_execute_cell(copy.deepcopy(cell), number, store_history=False)

    @staticmethod
    async def _shutdown(client: GradingExecute) -> None:
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            if client.km is not None and client.km.has_kernel:
                await asyncio.wait_for(client.km.shutdown_kernel(now=True), timeout=15)
        except Exception:  # noqa: BLE001 - the sandbox's death takes what is left
            pass
        provisioner = getattr(client.km, "provisioner", None)
        if provisioner is not None:
            await provisioner.cleanup()
