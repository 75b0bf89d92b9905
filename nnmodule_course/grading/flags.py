"""Flag student code that reaches beyond its exercise (reported to the instructor, never graded).

The verdict does not depend on any of this: the judge decides from observations, in the
grader's process, and the sandbox contains what a kernel can do. Flags tell the instructor
what a submission *tried*, where it can be seen in the code: patching torch or the checks,
inspecting frames, starting processes or threads, sending signals, opening sockets, reaching
for absolute paths outside its sandbox. A flag is a reason to read the submission, not a verdict.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: Roots whose attributes an answer has no business assigning to.
PROTECTED = {"torch", "nn", "F", "autograder", "builtins", "sys", "importlib", "IPython", "ipykernel", "np", "numpy"}

#: Names and attributes that are rarely needed to write an exercise and often needed to cheat.
SUSPICIOUS = {
    "sys.modules": "changes or reads sys.modules",
    "sys.settrace": "installs a trace function", "sys.setprofile": "installs a profile function",
    "sys._getframe": "inspects call frames", "sys.addaudithook": "installs an audit hook",
    "f_back": "inspects call frames", "f_locals": "inspects call frames", "f_globals": "inspects call frames",
    "inspect.stack": "inspects call frames", "inspect.currentframe": "inspects call frames",
    "gc.get_objects": "searches live objects", "gc.get_referrers": "searches live objects",
    "gc.callbacks": "installs a garbage-collector callback",
    "__subclasses__": "searches every class", "__builtins__": "touches builtins",
    "__torch_function__": "overrides torch functions for its tensors",
    "__torch_dispatch__": "overrides torch dispatch for its tensors",
    "TorchFunctionMode": "installs a torch function mode", "TorchDispatchMode": "installs a torch dispatch mode",
    "register_module_forward_hook": "installs a global module hook",
    "register_module_forward_pre_hook": "installs a global module hook",
    "get_ipython": "talks to the IPython shell", "ctypes": "uses ctypes", "_thread": "starts threads",
    "threading": "starts threads", "signal": "uses signals", "os._exit": "stops the kernel",
    "os.kill": "sends signals", "os.killpg": "sends signals", "subprocess": "starts processes",
    "os.system": "starts processes", "os.popen": "starts processes", "os.fork": "starts processes",
    "os.setsid": "detaches processes", "multiprocessing": "starts processes", "pty": "starts processes",
    "socket": "opens network connections", "urllib": "opens network connections",
    "http.client": "opens network connections", "importlib.reload": "reloads modules",
    "torch.library": "registers its own torch operator kernels",
    "display": "sends display outputs (observations are display outputs)",
}

#: String constants that name places outside a kernel's sandbox (or its scratch space).
PATHS = ("/work", "/root", "/home", "/srv", "/etc", "/proc", "/dev/shm", "/tmp", "/var", "/usr", "..")


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        return ".".join([f"{inner}()"] + list(reversed(parts))) if inner else None
    return None


def _aliases(cells: list[NotebookNode]) -> dict[str, str]:
    """Local name -> module, for every ``import`` in the notebook (``import torch as t``: t -> torch)."""
    found = {name: name for name in PROTECTED}
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _protected(dotted: str, aliases: dict[str, str]) -> str | None:
    root, _, rest = dotted.partition(".")
    module = aliases.get(root)
    if module is None or not any(module == p or module.startswith(p + ".") for p in PROTECTED | {"torch"}):
        return None
    return f"{module}.{rest}" if rest else module


def flag_cell(source: str, aliases: dict[str, str]) -> list[str]:
    """What one student cell does that deserves a look (empty for ordinary code)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            dotted = _dotted(base) if isinstance(base, ast.Attribute) or isinstance(target, ast.Subscript) else None
            name = _protected(dotted, aliases) if dotted else None
            if name:
                found.append(f"assigns to {name}{'[...]' if isinstance(target, ast.Subscript) else ''}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args:
            dotted = _dotted(node.args[0])
            name = _protected(dotted, aliases) if dotted else None
            if name:
                found.append(f"calls {node.func.id}() on {name}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PATHS):
            found.append(f"names the path {node.value[:60]!r}")
        text = _dotted(node) if isinstance(node, (ast.Attribute, ast.Name)) else None
        if text:
            resolved = _protected(text, aliases) or text
            for pattern, reason in SUSPICIOUS.items():
                if resolved == pattern or resolved.endswith("." + pattern) or resolved.startswith(pattern + ".") \
                        or (pattern.startswith("_") and pattern in resolved):
                    found.append(f"{reason} ({text})")
    return sorted(set(found))


def flag_notebook(cells: list[NotebookNode]) -> list[str]:
    """Flags for every code cell a student could edit (not locked), labelled by grade id or position."""
    editable = [c for c in cells if c.cell_type == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("locked")]
    aliases = _aliases(editable)
    flags = []
    for number, cell in enumerate(cells):
        if cell.cell_type != "code" or cell.get("metadata", {}).get("nbgrader", {}).get("locked"):
            continue
        label = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {number + 1}"
        flags += [f"{label}: {reason}" for reason in flag_cell(cell.source, aliases)]
    return flags
