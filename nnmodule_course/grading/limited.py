"""Start a command under the grader's limits: ``python -I -S limited.py [options] -- command...``.

The wrapper of fresh (non-forked) kernels, standard library only: it sets RLIMIT_AS and
RLIMIT_FSIZE and,
when run as root with ``--uid``, hands the kernel a copy of its connection file and drops
to that uid before ``exec``-ing the command.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--file-size", type=int, default=0)
    parser.add_argument("--uid", type=int, default=-1)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    for limit, value in ((resource.RLIMIT_AS, options.memory), (resource.RLIMIT_FSIZE, options.file_size)):
        if value > 0:
            resource.setrlimit(limit, (value, value))
    if options.uid >= 0 and os.geteuid() == 0:
        if "-f" in command:
            at = command.index("-f") + 1
            copy = os.path.join(os.getcwd(), ".connection.json")
            shutil.copyfile(command[at], copy)
            os.chown(copy, options.uid, options.uid)
            command[at] = copy
        os.setgroups([])
        os.setgid(options.uid)
        os.setuid(options.uid)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
