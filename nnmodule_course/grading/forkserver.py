"""A fork server for Jupyter kernels: torch imported once, a fresh forked process per notebook.

Run as a script (``python -I forkserver.py SOCKET [options]``), never imported by the grader:
it must stay free of the ``autograder`` package so that no course code is loaded before a
student's notebook runs. Only the standard library and the ``--preload`` modules are imported.

Protocol, one Unix-socket connection per kernel (see ``forkclient.py``)::

    client -> server   4-byte big-endian length + JSON {"argv", "cwd", "env"},
                       with the client's stdin/stdout/stderr passed as SCM_RIGHTS fds
    server -> client   JSON line {"pid": N}, later {"status": wait-status} when the kernel exits

The forked child becomes an ``IPKernelApp`` in its own session, with the address-space
limit, thread count and (when the server runs as root) an unprivileged uid applied. It dies
with the server (PR_SET_PDEATHSIG), and the server kills it when its client disappears,
so a kernel never outlives whoever asked for it.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys

_PR_SET_PDEATHSIG = 1


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("socket")
    parser.add_argument("--preload", nargs="*", default=[])
    parser.add_argument("--memory", type=int, default=0, help="RLIMIT_AS of each kernel, bytes (0: none)")
    parser.add_argument("--file-size", type=int, default=0, help="RLIMIT_FSIZE of each kernel, bytes (0: none)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per kernel (0: leave)")
    parser.add_argument("--uid", type=int, default=-1, help="run kernels as this uid (root only)")
    parser.add_argument("--gid", type=int, default=-1)
    return parser.parse_args(argv)


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    if len(data) < 4:
        raise ConnectionError("short request")
    size = struct.unpack(">I", data[:4])[0]
    body = data[4:]
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("truncated request")
        body += chunk
    return json.loads(body), list(fds)


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the server's cleanup still kills kernels
        pass


def _become_kernel(request: dict, fds: list[int], options: argparse.Namespace, server_pid: int) -> None:
    """In the forked child: set the process up, then run the kernel until it shuts down."""
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    os.setsid()
    _die_with_parent()
    if os.getppid() != server_pid:
        os._exit(70)
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    os.closerange(3, 1 << 16)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for limit, value in ((resource.RLIMIT_AS, options.memory), (resource.RLIMIT_FSIZE, options.file_size)):
        if value > 0:
            resource.setrlimit(limit, (value, value))
    torch = sys.modules.get("torch")
    if torch is not None and options.threads > 0:
        torch.set_num_threads(options.threads)
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(request["argv"])
    if options.uid >= 0 and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(options.gid if options.gid >= 0 else options.uid)
        os.setuid(options.uid)
    app.start()


class _Server:
    """Accept kernel requests, fork kernels, report their exit, reap them."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(options.socket)
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        self.kernels: dict[int, socket.socket] = {}   # pid -> client connection
        self.owners: dict[socket.socket, int] = {}    # client connection -> pid
        self.wakeup_r, wakeup_w = os.pipe()
        os.set_blocking(wakeup_w, False)
        os.set_blocking(self.wakeup_r, False)
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, "signal")
        self.selector.register(sys.stdin, selectors.EVENT_READ, "parent")
        self.running = True

    def _stop(self, *_: object) -> None:
        self.running = False

    def serve(self) -> None:
        print("ready", flush=True)
        while self.running:
            for key, _ in self.selector.select():
                if key.data == "accept":
                    self._accept()
                elif key.data == "signal":
                    self._signalled()
                elif key.data == "parent":
                    if not os.read(sys.stdin.fileno(), 4096):
                        self.running = False
                else:
                    self._client_closed(key.fileobj)
        self.shutdown()

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        try:
            request, fds = _recv_request(conn)
        except (OSError, ValueError, ConnectionError):
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _become_kernel(request, fds, self.options, os.getppid())
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:  # noqa: BLE001 - report and leave the forked interpreter
                import traceback

                traceback.print_exc()
                code = 71
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        self.kernels[pid] = conn
        self.owners[conn] = pid
        _send(conn, {"pid": pid})
        self.selector.register(conn, selectors.EVENT_READ, "client")

    def _signalled(self) -> None:
        try:
            while os.read(self.wakeup_r, 512):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = self.kernels.pop(pid, None)
            if conn is not None:
                self.owners.pop(conn, None)
                _send(conn, {"status": status})
                self.selector.unregister(conn)
                conn.close()

    def _client_closed(self, conn: socket.socket) -> None:
        """The client went away (killed, most likely): its kernel goes too."""
        try:
            if conn.recv(1):
                return
        except OSError:
            pass
        pid = self.owners.pop(conn, None)
        if pid is not None:
            self.kernels.pop(pid, None)
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self.selector.unregister(conn)
        conn.close()

    def shutdown(self) -> None:
        for pid in list(self.kernels):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in list(self.kernels):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        try:
            os.unlink(self.options.socket)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:
    options = _parse(sys.argv[1:] if argv is None else argv)
    for name in options.preload:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a kernel imports it itself, later
            print(f"forkserver: could not preload {name}: {err}", file=sys.stderr)
    _Server(options).serve()


if __name__ == "__main__":
    main()
