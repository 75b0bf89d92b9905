# Answers that the test cells of exercises 07 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex07_checkpoint alt
import os


def save_checkpoint(path, model, optimizer, epoch):
    """Separate keys per part, the epoch stored as an int, a pathlib-friendly path."""
    state = {"epoch": int(epoch), "model_state": model.state_dict(), "optim_state": optimizer.state_dict()}
    torch.save(state, os.fspath(path))


def load_checkpoint(path, model, optimizer):
    """Maps everything to the CPU; load_state_dict copies to the model's device, and the optimizer
    casts its state to the parameters' device."""
    state = torch.load(path, map_location="cpu")
    result = model.load_state_dict(state["model_state"], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    optimizer.load_state_dict(state["optim_state"])
    return int(state["epoch"])

# %% ex07_checkpoint alt
def save_checkpoint(path, model, optimizer, epoch):
    """A flat dict on the save side; the classic callable map_location (keep storages on the CPU)."""
    checkpoint = dict(epoch=epoch)
    checkpoint.update({"model/" + k: v for k, v in model.state_dict().items()})
    checkpoint["optimizer"] = optimizer.state_dict()
    torch.save(checkpoint, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, weights_only=True, map_location=lambda storage, location: storage)
    model.load_state_dict({k[len("model/"):]: v for k, v in checkpoint.items() if k.startswith("model/")})
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong map_location
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    """Forgets map_location: a GPU checkpoint cannot be read on a machine without that GPU."""
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong optimizer's state
def save_checkpoint(path, model, optimizer, epoch):
    """Saves only the model: momentum buffers are lost and resumed training drifts."""
    torch.save({"model": model.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong weights_only=True
def save_checkpoint(path, model, optimizer, epoch):
    """A widely copied recipe: pickles the whole model and optimizer objects."""
    torch.save({"model": model, "optimizer": optimizer, "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(checkpoint["model"].state_dict())
    optimizer.load_state_dict(checkpoint["optimizer"].state_dict())
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong return the saved epoch itself
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    """Returns the epoch to resume from instead of the epoch that was saved."""
    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"] + 1

# %% ex07_checkpoint wrong model's state was not restored
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    """Passes the whole checkpoint to load_state_dict with strict=False: no key matches, nothing loads."""
    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint, strict=False)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong Parameter objects
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    """assign=True swaps in the checkpoint's tensors: the optimizer keeps updating the old ones."""
    checkpoint = torch.load(path, map_location=next(model.parameters()).device)
    model.load_state_dict(checkpoint["model"], assign=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]

# %% ex07_checkpoint wrong buffers
def save_checkpoint(path, model, optimizer, epoch):
    """Saves named_parameters() only: BatchNorm's running statistics are lost (a hidden test has them)."""
    params = {name: p.detach() for name, p in model.named_parameters()}
    torch.save({"model": params, "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model"], strict=False)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]

# %% ex07_strip_prefix alt
def strip_prefix(state_dict, prefix="module."):
    out = OrderedDict()
    for key in state_dict:
        out[key.removeprefix(prefix)] = state_dict[key].clone()
    return out

# %% ex07_strip_prefix wrong not str.replace
def strip_prefix(state_dict, prefix="module."):
    """str.replace also removes the prefix in the middle of a key."""
    return OrderedDict((key.replace(prefix, ""), value) for key, value in state_dict.items())

# %% ex07_strip_prefix wrong modified the state_dict passed in
def strip_prefix(state_dict, prefix="module."):
    """torch's consume_prefix_in_state_dict_if_present works in place: the caller's dict changes."""
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(state_dict, prefix)
    return OrderedDict(state_dict)

# %% ex07_strip_prefix wrong str.lstrip removes characters
def strip_prefix(state_dict, prefix="module."):
    """lstrip takes a set of characters: "module.linear.weight" becomes "inear.weight"."""
    return OrderedDict((key.lstrip(prefix), value) for key, value in state_dict.items())

# %% ex07_strip_prefix wrong keys that do not start with the prefix must stay unchanged
def strip_prefix(state_dict, prefix="module."):
    """Cuts len(prefix) characters from every key, prefixed or not."""
    return OrderedDict((key[len(prefix):], value) for key, value in state_dict.items())

# %% ex07_strip_prefix wrong collections.OrderedDict
def strip_prefix(state_dict, prefix="module."):
    """A plain dict, not the OrderedDict the contract asks for."""
    return {key.removeprefix(prefix): value for key, value in state_dict.items()}

# %% ex07_load_matching alt
def load_matching(model, state_dict):
    """A hand-written copy loop over parameters and buffers, under no_grad."""
    targets = dict(model.named_parameters())
    targets.update(model.named_buffers())
    kept = model.state_dict().keys()
    skipped = []
    with torch.no_grad():
        for key, value in state_dict.items():
            target = targets.get(key) if key in kept else None
            if target is None or target.shape != value.shape:
                skipped.append(key)
            else:
                target.copy_(value)
    skipped.sort()
    return skipped

# %% ex07_load_matching wrong shape
def load_matching(model, state_dict):
    """strict=False forgives missing and unexpected keys, but not a size mismatch."""
    result = model.load_state_dict(state_dict, strict=False)
    return sorted(result.unexpected_keys)

# %% ex07_load_matching wrong buffers count too
def load_matching(model, state_dict):
    """Matches against named_parameters() only: BatchNorm's running statistics are skipped."""
    params = dict(model.named_parameters())
    matching = {k: v for k, v in state_dict.items() if k in params and params[k].shape == v.shape}
    model.load_state_dict(matching, strict=False)
    return sorted(k for k in state_dict if k not in matching)

# %% ex07_load_matching wrong replaced the Parameter
def load_matching(model, state_dict):
    """assign=True keeps the state_dict's tensors: an optimizer built before still holds the old ones."""
    own = model.state_dict()
    matching = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(matching, strict=False, assign=True)
    return sorted(k for k in state_dict if k not in matching)

# %% ex07_load_matching wrong later changes
def load_matching(model, state_dict):
    """Points each tensor's .data at the state_dict's tensor: the model then shares its memory."""
    own = model.state_dict(keep_vars=True)
    skipped = []
    for key, value in state_dict.items():
        if key in own and own[key].shape == value.shape:
            own[key].data = value
        else:
            skipped.append(key)
    return sorted(skipped)

# %% ex07_load_matching wrong sorted
def load_matching(model, state_dict):
    """Returns the skipped keys in the state_dict's order."""
    own = model.state_dict()
    matching = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(matching, strict=False)
    return [k for k in state_dict if k not in matching]

# %% ex07_load_matching wrong model keys that the state_dict lacks
def load_matching(model, state_dict):
    """Returns what the model missed instead of what the state_dict could not give."""
    own = model.state_dict()
    matching = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    result = model.load_state_dict(matching, strict=False)
    return sorted(result.missing_keys)

# %% ex07_load_matching wrong lists a skipped key twice
def load_matching(model, state_dict):
    """Unknown keys, then every key that did not load: the unknown ones are in both lists."""
    own = model.state_dict()
    unknown = [k for k in state_dict if k not in own]
    matching = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(matching, strict=False)
    return sorted(unknown + [k for k in state_dict if k not in matching])

# %% ex07_load_matching alt
def load_matching(model, state_dict):
    """Filters by shape first, then lets load_state_dict report the unknown keys."""
    own = model.state_dict()
    mismatched = [k for k, v in state_dict.items() if k in own and own[k].shape != v.shape]
    fitting = OrderedDict((k, v) for k, v in state_dict.items() if k not in mismatched)
    result = model.load_state_dict(fitting, strict=False)
    return sorted(mismatched + list(result.unexpected_keys))

# %% ex07_strip_prefix wrong keep the input's order
def strip_prefix(state_dict, prefix="module."):
    """torch's own helper, on a copy: the renamed keys move to the end."""
    copy = OrderedDict(state_dict)
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(copy, prefix)
    return copy

# %% ex07_load_matching alt
def load_matching(model, state_dict):
    """The model's own state_dict updated with what fits, then a strict load."""
    own = model.state_dict()
    fits = {k: v for k, v in state_dict.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict({**own, **fits})
    return sorted(set(state_dict) - set(fits))

# "# %% <exercise> wrong-on-cuda <substring>" is right on the CPU and wrong on a GPU: it passes on a
# CPU-only machine; where cuda is available the test cell fails naming cuda and <substring>.

# %% ex07_load_matching wrong-on-cuda is now on cpu
def load_matching(model, state_dict):
    """Assigns copies through .data: right on the CPU, but .data = t moves the model's tensor to t's device."""
    own = dict(model.named_parameters())
    own.update(model.named_buffers())
    skipped = []
    for key, value in state_dict.items():
        if key in own and own[key].shape == value.shape:
            own[key].data = value.clone()
        else:
            skipped.append(key)
    return sorted(skipped)
