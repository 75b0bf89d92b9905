"""Code the grader runs inside each student's kernel: capture pristine state, restore it before tests.

This module is never imported by the kernel: :func:`nnmodule_course.grading.integrity.preamble_cell`
injects its source as the first cell of the executed copy of a notebook, before any student
code runs, and calls :func:`_install`. Everything it needs is imported or captured inside
``_install`` so that nothing a student's cell rebinds later (a builtin, ``torch.allclose``,
``sys.modules[...]``) is used by the restore code.

What ``_install`` captures, and the guard (``_NnmGuard_<token>.restore``) puts back before
every test cell:

- functions, classes and submodules bound in every loaded module (``torch.*``, ``builtins``,
  the standard library, IPython/ipykernel), and the dicts of every mutable class found there
  (``torch.Tensor.__eq__``, ``nn.Module.__call__``, ...); added callables are removed;
- torch's global module hooks and its torch-function / dispatch mode stacks;
- tracing/profiling hooks, ``gc.callbacks``, signal handlers and interval timers;
- the import system (``sys.meta_path``, ``sys.path_hooks``, the importer cache), then a fresh
  import of the ``autograder`` package from the grader's read-only copy, so that patched or
  substituted check helpers (``sys.modules`` tricks included) are gone;
- the IPython shell and kernel hook points (input/AST transformers, event callbacks, message
  handlers, methods replaced on the instances);
- the names that the notebook's set-up cells bind (``nn``, ``F``, ``torch``).

The guard prints ``nnm-guard <nonce> <restored names>``; a one-shot ``post_run_cell`` callback
prints ``nnm-witness <nonce>`` when the test cell itself finished without error. The nonces are
keyed with a per-notebook secret, so the grader can tell a guard or test cell that really ran
from one that a tampered kernel skipped. Same-process Python can always be subverted by a
determined attacker (threads, ``gc.get_objects()``, ``ctypes``): see docs/grading.md.
"""


def _install(token, secret, root, bindings, checks, package="autograder"):  # noqa: C901 - one self-contained unit
    import functools
    import gc
    import hashlib
    import hmac
    import importlib.util
    import json
    import linecache
    import os
    import signal
    import sys
    import sysconfig
    import threading
    import types
    from operator import is_

    _type, _id, _len, _list, _dict, _set, _all, _map, _getattr, _setattr, _delattr = (
        type, id, len, list, dict, set, all, map, getattr, setattr, delattr)
    _callable, _hasattr, _sorted, _str, _repr, _issubclass = callable, hasattr, sorted, str, repr, issubclass
    _module_type, _function_type, _partial, _any = types.ModuleType, types.FunctionType, functools.partial, any
    _dict_values, _list_copy = dict.values, list.copy
    _modules, _meta_path, _path_hooks, _path = sys.modules, sys.meta_path, sys.path_hooks, sys.path
    _importer_cache, _settrace, _setprofile = sys.path_importer_cache, sys.settrace, sys.setprofile
    _spec_from_file, _module_from_spec = importlib.util.spec_from_file_location, importlib.util.module_from_spec
    _import_module = importlib.import_module
    _mac, _sha256, _dumps, _join = hmac.new, hashlib.sha256, json.dumps, os.path.join
    _signal, _getsignal, _setitimer = signal.signal, signal.getsignal, signal.setitimer
    immutable_flag = 1 << 8
    skip_sys = {"last_type", "last_value", "last_traceback", "last_exc", "ps1", "ps2", "ps3"}
    volatile = {("builtins", "input"), ("builtins", "raw_input"), ("getpass", "getpass"), ("sys", "excepthook")}
    sys_objects = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")

    shell = get_ipython()  # noqa: F821 - the kernel's shell, before any student code
    kernel = _getattr(shell, "kernel", None)
    user_ns = shell.user_ns
    cwd = os.getcwd()
    root = _join(cwd, root)     # the kernel's private copy of the course package
    bindings = [(name, module, attr) for name, module, attr in bindings]
    fresh = {}          # the autograder modules of the last import: name -> (module, callables, classes)

    def own(name):
        return name == package or name.startswith(package + ".") or name.startswith("_nnm_guard_")

    def same(live, snap):
        """True when dict ``live`` holds the very objects of ``snap`` under its keys."""
        return _all(_map(is_, _map(live.get, snap), _dict_values(snap)))

    def reimport(changed, names):
        """Forget the autograder package and load it (and ``names``) again from the pristine copy."""
        for name, (module, snap, class_snaps_) in fresh.items():
            if _modules.get(name) is not module or not same(module.__dict__, snap) or not _all(
                    _len(cls.__dict__) == _len(csnap) and same(cls.__dict__, csnap) for cls, csnap in class_snaps_):
                changed.append(name)
        for name in _list(_modules):
            if name == package or name.startswith(package + "."):
                del _modules[name]
        spec = _spec_from_file(package, _join(root, package, "__init__.py"),
                               submodule_search_locations=[_join(root, package)])
        module = _module_from_spec(spec)
        _modules[package] = module
        spec.loader.exec_module(module)
        for name in names:
            _import_module(name)
        fresh.clear()
        for name, loaded in _list(_modules.items()):
            if name == package or name.startswith(package + "."):
                members = {k: v for k, v in loaded.__dict__.items() if _callable(v)}
                own_classes = [(v, _dict(v.__dict__)) for v in members.values()
                               if _issubclass(_type(v), _type) and _getattr(v, "__module__", None) == name]
                fresh[name] = (loaded, members, own_classes)

    def code_like(value):
        """Functions, methods and descriptors: what a patch replaces (plain data is left alone)."""
        return _callable(value) or _hasattr(_type(value), "__get__")

    _realpath = os.path.realpath
    trusted_roots = tuple(_join(_realpath(p), "") for p in {
        os.path.dirname(os.__file__), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})

    def library_made(value, depth=0):
        """True for a function that torch or another installed library made (and that wraps or closes
        over nothing a notebook made), such as dynamo's ``disable`` wrappers: such a change is no patch."""
        if depth > 4:
            return False
        kind = _type(value)
        if kind is staticmethod or kind is classmethod:
            return library_made(value.__func__, depth + 1)
        if kind is property:
            return _all(library_made(f, depth + 1) for f in (value.fget, value.fset, value.fdel) if f is not None)
        if kind is _partial:
            parts = [*value.args, *value.keywords.values()]
            return library_made(value.func, depth + 1) and not _any(_type(a) is _function_type and not library_made(
                a, depth + 1) for a in parts)
        if kind is not _function_type:
            return False
        if not _realpath(value.__code__.co_filename).startswith(trusted_roots):
            return False
        inner = [value.__dict__.get("__wrapped__")]
        for cell in value.__closure__ or ():
            try:
                inner.append(cell.cell_contents)
            except ValueError:
                pass
        for item in inner:
            if _type(item) is _function_type or _type(item) in (staticmethod, classmethod, property):
                if not library_made(item, depth + 1):
                    return False
            elif _issubclass(_type(item), _type) and _getattr(item, "__module__", "") == "__main__":
                return False
        return True

    # the course's checks import what they need at module level: load them before the snapshot
    path = [root] + [entry for entry in _path if entry not in ("", ".", cwd, root)]
    _path[:] = path
    reimport([], checks)

    # functions, classes and submodules bound in every loaded module (not __main__, not ours)
    modules = []
    classes = {}
    for name, module in _list(_modules.items()):
        if not _issubclass(_type(module), _module_type) or own(name):
            continue
        namespace = _getattr(module, "__dict__", None)
        if _type(namespace) is not _dict or namespace is user_ns:
            continue
        snap = {key: value for key, value in namespace.items()
                if (_callable(value) or _issubclass(_type(value), _module_type)) and (name, key) not in volatile}
        if name == "sys":
            snap = {key: value for key, value in snap.items() if key not in skip_sys}
            snap.update({key: namespace[key] for key in sys_objects if key in namespace})
        modules.append((name, module, namespace, snap))
        for value in snap.values():
            if _issubclass(_type(value), _type) and not value.__flags__ & immutable_flag:
                classes.setdefault(_id(value), value)
    class_snaps = [[cls, {k: v for k, v in cls.__dict__.items() if code_like(v)}, _len(cls.__dict__)]
                   for cls in classes.values()]

    # torch's global module hooks and its mode stacks
    hook_dicts = []
    mode_stacks = []
    torch = _modules.get("torch")
    if torch is not None:
        module_mod = _modules.get("torch.nn.modules.module")
        for key, value in _list(_getattr(module_mod, "__dict__", {}).items()):
            if key.startswith("_global_") and _issubclass(_type(value), _dict):
                hook_dicts.append(("torch.nn.modules.module." + key, value, _dict(value)))
        for length, pop in (("_len_torch_function_stack", "_pop_torch_function_stack"),
                            ("_len_torch_dispatch_stack", "_pop_torch_dispatch_stack")):
            if _hasattr(torch._C, length) and _hasattr(torch._C, pop):
                length_fn = _getattr(torch._C, length)
                mode_stacks.append((length, length_fn, _getattr(torch._C, pop), length_fn()))

    # asynchronous ways to run code in the middle of a test cell
    gc_callbacks = _list_copy(gc.callbacks)
    handlers = {}
    for number in _map(int, signal.Signals):
        try:
            handlers[number] = _getsignal(number)
        except (ValueError, OSError):
            pass
    timers = [_getattr(signal, name) for name in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF")
              if _hasattr(signal, name)]
    meta_path, path_hooks = _list_copy(_meta_path), _list_copy(_path_hooks)

    # IPython and ipykernel hook points
    events = shell.events
    register, unregister = events.register, events.unregister
    owners = [("shell", shell), ("kernel", kernel), ("shell.events", events),
              ("shell.displayhook", _getattr(shell, "displayhook", None)),
              ("shell.display_pub", _getattr(shell, "display_pub", None)),
              ("shell.compile", _getattr(shell, "compile", None)),
              ("shell.input_transformer_manager", _getattr(shell, "input_transformer_manager", None))]
    instance_snaps = [(label, obj, {k: v for k, v in obj.__dict__.items() if _callable(v)})
                      for label, obj in owners if _type(_getattr(obj, "__dict__", None)) is _dict]
    hook_lists = []
    for label, obj, attrs in (
            ("shell", shell, ("input_transformers_post", "ast_transformers")),
            ("shell.input_transformer_manager", _getattr(shell, "input_transformer_manager", None),
             ("cleanup_transforms", "line_transforms", "token_transformers")),
            ("kernel", kernel, ("shell_handlers", "control_handlers"))):
        for attr in attrs:
            value = _getattr(obj, attr, None)
            if _issubclass(_type(value), (_list, _dict)):
                hook_lists.append((label + "." + attr, obj, attr, value, value.copy()))
    for event, registered in _getattr(events, "callbacks", {}).items():
        hook_lists.append(("shell.events." + event, None, None, registered, _list_copy(registered)))

    def nonce(kind, grade_id):
        return _mac(secret.encode(), (kind + ":" + grade_id).encode(), _sha256).hexdigest()[:24]

    def restore_runtime(changed):
        if sys.gettrace() is not None or threading._trace_hook is not None:
            changed.append("sys.settrace")
        if sys.getprofile() is not None or threading._profile_hook is not None:
            changed.append("sys.setprofile")
        _settrace(None)
        _setprofile(None)
        threading._trace_hook = threading._profile_hook = None
        if _len(gc.callbacks) != _len(gc_callbacks) or not _all(_map(is_, gc.callbacks, gc_callbacks)):
            changed.append("gc.callbacks")
            gc.callbacks[:] = gc_callbacks
        for number, handler in handlers.items():
            try:
                if _getsignal(number) is not handler:
                    _signal(number, handler)
                    changed.append("signal.signal(" + _str(number) + ")")
            except (ValueError, OSError, TypeError):
                pass
        for timer in timers:
            if _setitimer(timer, 0)[0]:
                changed.append("signal.setitimer")
        for name, length, pop, depth in mode_stacks:
            while length() > depth:
                pop()
                changed.append("torch._C." + name)
        for name, live, snap in (("sys.meta_path", _meta_path, meta_path), ("sys.path_hooks", _path_hooks, path_hooks),
                                 ("sys.path", _path, path)):
            if _len(live) != _len(snap) or not _all(_map(is_, live, snap)):
                changed.append(name)
                live[:] = snap
        _importer_cache.clear()

    def restore_containers(changed):
        for name, obj, attr, live, snap in hook_lists:
            if obj is not None and _getattr(obj, attr, None) is not live:
                obj.__dict__[attr] = live
                changed.append(name)
            if _issubclass(_type(live), _dict):
                if _len(live) != _len(snap) or not same(live, snap):
                    changed.append(name)
                    live.clear()
                    live.update(snap)
            elif _len(live) != _len(snap) or not _all(_map(is_, live, snap)):
                changed.append(name)
                live[:] = snap
        for name, live, snap in hook_dicts:
            if _len(live) != _len(snap) or not same(live, snap):
                changed.append(name)
                live.clear()
                live.update(snap)

    def restore_modules(changed):
        for name, module, namespace, snap in modules:
            if _modules.get(name) is not module:
                changed.append("sys.modules[" + _repr(name) + "]")
                _modules[name] = module
            if not same(namespace, snap):
                for key, value in _list(snap.items()):
                    now = namespace.get(key, changed)
                    if now is value:
                        continue
                    if library_made(now):
                        snap[key] = now            # torch re-decorated its own function: keep it
                    else:
                        changed.append(name + "." + key)
                        namespace[key] = value

    def restore_classes(changed):
        for entry in class_snaps:
            cls, snap, size = entry
            current = cls.__dict__
            if _len(current) == size and same(current, snap):
                continue
            label = _str(_getattr(cls, "__module__", "?")) + "." + _str(_getattr(cls, "__qualname__", "?"))
            for key, value in _list(snap.items()):
                now = current.get(key, changed)
                if now is value:
                    continue
                if now is not changed and library_made(now):
                    snap[key] = now
                    continue
                try:
                    _setattr(cls, key, value)
                    changed.append(label + "." + key)
                except (TypeError, AttributeError):
                    pass
            for key in _list(current):
                if key not in snap and code_like(current[key]):
                    if library_made(current[key]):
                        snap[key] = current[key]
                        continue
                    try:
                        _delattr(cls, key)
                        changed.append(label + "." + key)
                    except (TypeError, AttributeError):
                        pass
            entry[2] = _len(current)

    def restore_instances(changed):
        for label, obj, snap in instance_snaps:
            current = obj.__dict__
            for key, value in snap.items():
                if current.get(key, changed) is not value:
                    current[key] = value
                    changed.append(label + "." + key)
            for key in _list(current):
                if key not in snap and _callable(current[key]) and _hasattr(_type(obj), key):
                    del current[key]
                    changed.append(label + "." + key)

    def rebind():
        for name, module_name, attr in bindings:
            module = _modules.get(module_name)
            value = module.__dict__.get(attr) if module is not None and attr else module
            if value is not None:
                user_ns[name] = value

    def witness_for(grade_id, digest):
        calls = []

        def witness(result):
            try:
                calls.append(1)
                if _len(calls) == 1:
                    return              # the guard cell's own post_run_cell
                unregister("post_run_cell", witness)
                raw = _getattr(_getattr(result, "info", None), "raw_cell", None) or ""
                if result.success and _sha256(raw.encode()).hexdigest() == digest:
                    sys.stdout.write("nnm-witness " + nonce("witness", grade_id) + "\n")
                    sys.stdout.flush()
            except BaseException:  # noqa: BLE001 - a hook must never write to stderr
                pass

        return witness

    class Guard:
        """Entry point of the guard cells (found through ``object.__subclasses__()``)."""

        @staticmethod
        def restore(grade_id, digest, names=()):
            changed = []
            restore_runtime(changed)
            restore_containers(changed)
            restore_modules(changed)
            restore_classes(changed)
            restore_instances(changed)
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: BLE001
                pass
            reimport(changed, names)
            rebind()
            register("post_run_cell", witness_for(grade_id, digest))
            sys.stdout.write("nnm-guard " + nonce("guard", grade_id) + " " + _dumps(_sorted(_set(changed))) + "\n")
            sys.stdout.flush()

    Guard.__name__ = Guard.__qualname__ = "_NnmGuard_" + token
    holder = _module_type("_nnm_guard_" + token)
    holder.Guard = Guard
    _modules[holder.__name__] = holder

    # stderr written straight to fd 2 (C extensions, os.write) arrives asynchronously and could
    # land in the next cell's outputs, where nbgrader would zero a test cell: send it nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)

    # keep the secret out of the places a student's cell could read it back from
    history = _getattr(shell, "history_manager", None)
    for seq in (user_ns.get("In"), user_ns.get("_ih"), _getattr(history, "input_hist_raw", None),
                _getattr(history, "input_hist_parsed", None)):
        if _issubclass(_type(seq), _list):
            for i, text in enumerate(seq):
                if secret in _str(text):
                    seq[i] = ""
    for key in _list(user_ns):
        if key.startswith("_i") and secret in _str(user_ns[key]):
            user_ns[key] = ""
    for key in _list(linecache.cache):
        entry = linecache.cache.get(key)
        if entry and _len(entry) > 2 and secret in "".join(entry[2]):
            del linecache.cache[key]
