"""The warm kernel server: torch imported once, each kernel a fork that moves into its own sandbox.

Run as a script (``python -I warm.py SOCKET --preload torch ...``), never imported by the
grader: nothing of the grader (the gradebook, the course, other students' work) is ever in its
memory, because every kernel is a copy of it. Standard library only, plus the preloads.

Why this exists: a fresh ``python -m ipykernel`` pays ``import torch`` (1.5–2 s) per notebook;
a fork of a process that already imported it starts in milliseconds. The fork then *joins* the
namespaces of a bubblewrap sandbox made for that notebook (``sandbox.py``), so the kernel is
as isolated as a process bubblewrap started itself: new user, mount, PID, IPC, UTS, cgroup and
network namespaces; the sandbox's root (pivoted) as its root; no capabilities; no new
privileges; limits on memory, processes, CPU time and file size.

Protocol, one Unix-socket connection per kernel (the grader's provisioner is the client)::

    client -> server   one JSON line {"sandbox": PID, "connection": {...}, "env": {...}, "limits": {...}}
    server -> client   {"pid": N} (the kernel, as the grader's PID namespace numbers it), or {"error": "..."}
                       later {"status": wait-status} when the kernel exits

The server forks a *keeper* per request; the keeper joins the sandbox, forks the kernel (the
first process of the sandbox's PID namespace that is not its placeholder), reports, and waits
for it. The server itself never waits on anyone and keeps no per-kernel state.
"""
from __future__ import annotations

import argparse
import ctypes
import fcntl
import importlib
import json
import os
import resource
import signal
import socket
import sys

NAMESPACES = {"user": 0x10000000, "mnt": 0x00020000, "ipc": 0x08000000, "uts": 0x04000000,
              "net": 0x40000000, "cgroup": 0x02000000, "pid": 0x20000000}
NS_GET_USERNS = 0xB701
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
PR_SET_PDEATHSIG = 1
CAP_VERSION_3 = 0x20080522
SYS_CAPGET, SYS_CAPSET = 125, 126         # x86_64
SYS_CAPGET_ARM, SYS_CAPSET_ARM = 90, 91   # aarch64

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxJoinError(RuntimeError):
    """The keeper could not move into the sandbox: the kernel is never started outside it."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxJoinError(f"{what}: {os.strerror(err)}")


def join(pid: int) -> None:
    """Move this (single-threaded) process into the namespaces of sandbox process ``pid``.

    bubblewrap may stack two user namespaces (the outer one owns the mounts, the inner one maps
    the sandbox's uid): join the owner of the mount namespace first, then the others, then the
    process's own user namespace. Joining a PID namespace applies to children: fork afterwards.
    """
    mine = {kind: os.stat(f"/proc/self/ns/{kind}").st_ino for kind in NAMESPACES
            if os.path.exists(f"/proc/self/ns/{kind}")}     # read now: /proc changes with the mount namespace
    try:
        fds = {kind: os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY) for kind in NAMESPACES
               if os.path.exists(f"/proc/{pid}/ns/{kind}")}
    except OSError as err:
        raise SandboxJoinError(f"the sandbox is gone ({err})") from None
    if "mnt" not in fds or "user" not in fds:
        for fd in fds.values():
            os.close(fd)
        raise SandboxJoinError("the sandbox is gone (bubblewrap could not finish setting it up)")
    try:
        owner = fcntl.ioctl(fds["mnt"], NS_GET_USERNS)
        try:
            owner_ino = os.fstat(owner).st_ino
            if owner_ino != mine["user"]:
                _check(_libc.setns(owner, NAMESPACES["user"]), "joining the sandbox's user namespace")
        finally:
            os.close(owner)
        for kind in ("mnt", "ipc", "uts", "net", "cgroup", "pid"):
            if kind in fds and os.fstat(fds[kind]).st_ino != mine.get(kind):
                _check(_libc.setns(fds[kind], NAMESPACES[kind]), f"joining the sandbox's {kind} namespace")
        if os.fstat(fds["user"]).st_ino not in (owner_ino, mine["user"]):
            _check(_libc.setns(fds["user"], NAMESPACES["user"]), "joining the sandbox's inner user namespace")
    finally:
        for fd in fds.values():
            os.close(fd)


def drop_privileges() -> None:
    """No capabilities (effective, permitted, inheritable, ambient, bounding) and no new privileges."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 or ctypes.get_errno() != 22:   # EINVAL: no such cap
        cap += 1
        if cap > 128:
            break
    arm = os.uname().machine in ("aarch64", "arm64")
    header = (ctypes.c_uint32 * 2)(CAP_VERSION_3, 0)
    _check(_libc.syscall(SYS_CAPSET_ARM if arm else SYS_CAPSET, header, (ctypes.c_uint32 * 6)()),
           "dropping capabilities")
    held = (ctypes.c_uint32 * 6)()
    _check(_libc.syscall(SYS_CAPGET_ARM if arm else SYS_CAPGET, header, held), "reading capabilities")
    if any(held):
        raise SandboxJoinError("capabilities are still held after dropping them")


def _limit(limits: dict) -> None:
    for name, value in limits.items():
        number = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if number is not None and value and value > 0:
            resource.setrlimit(number, (value, value))


def _become_kernel(request: dict) -> None:
    """In the sandbox: set the process up, then run ipykernel until it shuts down."""
    os.setsid()
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    os.chdir(request["cwd"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request.get("log", os.devnull), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for target, fd in ((0, devnull), (1, log), (2, log)):
        os.dup2(fd, target)
    os.closerange(3, 1 << 16)
    os.environ.clear()
    os.environ.update(request["env"])
    _limit(request.get("limits", {}))
    drop_privileges()
    torch = sys.modules.get("torch")
    threads = int(request.get("threads") or 0)
    if torch is not None and threads > 0:
        torch.set_num_threads(threads)
    path = request["connection_file"]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(request["connection"], handle)
    argv = ["-f", path, "--HistoryManager.enabled=False"]
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    app.start()


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def _keep(conn: socket.socket, request: dict) -> None:
    """The keeper: join the sandbox, fork the kernel into it, report its pid and, later, its exit."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        if request.get("sandbox") is not None:      # None only with the instructor's explicit --no-sandbox
            join(int(request["sandbox"]))
    except (SandboxJoinError, OSError, KeyError, ValueError) as err:
        _send(conn, {"error": str(err)})
        return
    kernel = os.fork()
    if kernel == 0:
        code = 0
        try:
            conn.close()
            _become_kernel(request)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # noqa: BLE001 - leave the forked interpreter, never run on
            code = 71
        finally:
            os._exit(code)
    try:
        drop_privileges()
    except SandboxJoinError:
        pass
    _send(conn, {"pid": kernel})
    _, status = os.waitpid(kernel, 0)
    _send(conn, {"status": status})


def _read_request(conn: socket.socket) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("no request")
        data += chunk
        if len(data) > 1 << 20:
            raise ConnectionError("request too large")
    return json.loads(data)


def serve(path: str) -> None:
    """Accept requests until the grader closes our stdin (or kills us)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)          # keepers are reaped by the kernel for us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ready", flush=True)
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    return
                continue
            conn, _ = listener.accept()
            try:
                request = _read_request(conn)
            except (OSError, ValueError, ConnectionError):
                conn.close()
                continue
            if os.fork() == 0:
                code = 0
                try:
                    listener.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _keep(conn, request)
                except BaseException:  # noqa: BLE001 - reported in the server's log
                    import traceback

                    traceback.print_exc()
                    code = 70
                finally:
                    os._exit(code)
            conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("socket")
    parser.add_argument("--preload", nargs="*", default=[])
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    for name in options.preload:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a kernel imports it itself, later
            print(f"warm: could not preload {name}: {err}", file=sys.stderr)
    serve(options.socket)


if __name__ == "__main__":
    main()
