"""The process jupyter_client starts as "the kernel": it asks the fork server for one.

Run as ``python -I -S forkclient.py SOCKET [kernel arguments...]`` (standard library only, so
it starts in a few milliseconds). It hands its cwd, environment and stdio to the fork server,
then stands in for the forked kernel: signals it receives (interrupt, terminate) are passed
on, and it exits when the kernel exits, with the kernel's exit code. When it is killed, the
server notices the closed connection and kills the kernel.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys

_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def main(argv: list[str]) -> int:
    server, kernel_argv = argv[0], argv[1:]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(server)
    body = json.dumps({"argv": kernel_argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(conn, [struct.pack(">I", len(body)) + body], [0, 1, 2])
    replies = conn.makefile("rb")
    first = replies.readline()
    if not first:
        return 70
    pid = json.loads(first)["pid"]

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for name in _FORWARDED:
        signal.signal(getattr(signal, name), forward)
    line = replies.readline()
    if not line:
        return 70
    status = json.loads(line)["status"]
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
