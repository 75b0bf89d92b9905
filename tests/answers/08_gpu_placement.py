# Answers that the test cells of exercises 08 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex08_move_to alt
def move_to(obj, device):
    """Dispatch on the container kind; dicts rebuilt with type(obj) (a defaultdict becomes a dict)."""
    if torch.is_tensor(obj):
        return obj.to(device=device)
    if isinstance(obj, defaultdict):
        return {key: move_to(value, device) for key, value in obj.items()}
    if isinstance(obj, dict):
        return type(obj)([(key, move_to(value, device)) for key, value in obj.items()])
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return obj._replace(**{f: move_to(getattr(obj, f), device) for f in obj._fields})
    if isinstance(obj, tuple):
        return tuple(move_to(value, device) for value in obj)
    if isinstance(obj, list):
        return [move_to(value, device) for value in obj]
    return obj

# %% ex08_move_to wrong returns a new tensor
def move_to(obj, device):
    """The classic bug: x.to(device) without using the result."""
    if isinstance(obj, torch.Tensor):
        obj.to(device)
        return obj
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to wrong namedtuple
def move_to(obj, device):
    """Rebuilds every tuple with tuple(...): a namedtuple loses its type."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple):
        return tuple(move_to(value, device) for value in obj)
    if isinstance(obj, list):
        return [move_to(value, device) for value in obj]
    return obj

# %% ex08_move_to wrong an nn.Module must be returned as is
def move_to(obj, device):
    """Moves anything that has a .to method, models included."""
    if hasattr(obj, "to"):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to wrong was an OrderedDict
def move_to(obj, device):
    """A dict comprehension turns an OrderedDict into a dict."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: move_to(value, device) for key, value in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to wrong type(obj)(*items)
def move_to(obj, device):
    """Builds every tuple from one generator: fine for tuple, a TypeError for a namedtuple."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to wrong at any depth
def move_to(obj, device):
    """Moves the tensors of a flat dict, list or tuple, but does not recurse."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(v.to(device) if isinstance(v, torch.Tensor) else v for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(v.to(device) if isinstance(v, torch.Tensor) else v for v in obj)
    return obj

# %% ex08_move_to alt
def move_to(obj, device):
    """Rebuilds every dict with type(obj)(pairs): right for dict and OrderedDict (a defaultdict, which
    wants its factory first, is not part of the contract)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to wrong a string is not a container
def move_to(obj, device):
    """Treats every Sequence as a container, strings included: endless recursion."""
    from collections.abc import Mapping, Sequence
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, Mapping):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, Sequence):
        return type(obj)(move_to(value, device) for value in obj)
    return obj

# %% ex08_move_to alt
from collections.abc import Mapping, Sequence


def move_to(obj, device):
    """isinstance on the abstract Mapping and Sequence, strings excluded; dicts copied, then filled."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, (str, bytes)):
        return obj
    if isinstance(obj, Mapping):
        out = obj.copy()
        for key in obj:
            out[key] = move_to(obj[key], device)
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_make"):
        return obj._make(move_to(item, device) for item in obj)
    if isinstance(obj, Sequence):
        return type(obj)([move_to(item, device) for item in obj])
    return obj

# %% ex08_move_to alt
import torch.utils._pytree as pytree


def move_to(obj, device):
    """PyTorch's own tree helper: containers are rebuilt with their types, leaves mapped one by one."""
    return pytree.tree_map(lambda leaf: leaf.to(device) if isinstance(leaf, torch.Tensor) else leaf, obj)

# %% ex08_move_to wrong keep each container's type
def move_to(obj, device):
    """Rebuilds every plain tuple as a list."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, move_to(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return [move_to(value, device) for value in obj]
    return obj

# %% ex08_stray_state alt
def stray_state(module, prefix=""):
    """Recursive over named_children, looking at each module's own __dict__."""
    names = []
    for name, value in module.__dict__.items():
        if name.startswith("_"):
            continue
        if isinstance(value, dict):
            value = list(value.values())
        if type(value) is torch.Tensor or (
                isinstance(value, (list, tuple))
                and any(isinstance(v, (torch.Tensor, nn.Module)) for v in value)):
            names.append(prefix + name)
    for child_name, child in module.named_children():
        names += stray_state(child, prefix + child_name + ".")
    return sorted(names)

# %% ex08_stray_state wrong look inside every submodule
def stray_state(module):
    """Only looks at the module's own attributes, not at its submodules."""
    found = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
            found.append(name)
        elif isinstance(value, (list, tuple, dict)):
            values = value.values() if isinstance(value, dict) else value
            if any(isinstance(v, (torch.Tensor, nn.Module)) for v in values):
                found.append(name)
    return sorted(found)

# %% ex08_stray_state wrong report only plain tensors
def stray_state(module):
    """Uses dir()/getattr, which also sees parameters and buffers."""
    found = []
    for prefix, sub in module.named_modules():
        for name in dir(sub):
            if name.startswith("_"):
                continue
            value = getattr(sub, name, None)
            if isinstance(value, torch.Tensor) or (
                    isinstance(value, (list, tuple)) and any(isinstance(v, (torch.Tensor, nn.Module)) for v in value)):
                found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)

# %% ex08_stray_state wrong plain Python list
def stray_state(module):
    """Finds plain tensors but forgets plain containers."""
    found = []
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if not name.startswith("_") and isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)

# %% ex08_stray_state wrong holds no tensor or module
def stray_state(module):
    """Reports every plain container, even a list of ints."""
    found = []
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if name.startswith("_"):
                continue
            if (isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)) or isinstance(
                    value, (list, tuple, dict)):
                found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)

# %% ex08_stray_state wrong qualified name
def stray_state(module):
    """Finds everything but forgets the submodule prefix."""
    found = []
    for sub in module.modules():
        for name, value in vars(sub).items():
            if name.startswith("_"):
                continue
            values = value.values() if isinstance(value, dict) else value
            if (isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)) or (
                    isinstance(value, (list, tuple, dict))
                    and any(isinstance(v, (torch.Tensor, nn.Module)) for v in values)):
                found.append(name)
    return sorted(found)

# %% ex08_stray_state wrong sorted
def stray_state(module):
    """Right names, in the order named_modules() finds them."""
    found = []
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if name.startswith("_"):
                continue
            values = value.values() if isinstance(value, dict) else value
            if (isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)) or (
                    isinstance(value, (list, tuple, dict))
                    and any(isinstance(v, (torch.Tensor, nn.Module)) for v in values)):
                found.append(f"{prefix}.{name}" if prefix else name)
    return found

# %% ex08_stray_state wrong PyTorch's own bookkeeping
def stray_state(module):
    """Does not skip names that start with "_": nn.LSTM's _flat_weights gets reported."""
    found = []
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if name in ("_parameters", "_buffers", "_modules"):
                continue
            values = value.values() if isinstance(value, dict) else value
            if (isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)) or (
                    isinstance(value, (list, tuple, dict))
                    and any(isinstance(v, (torch.Tensor, nn.Module)) for v in values)):
                found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)

# %% ex08_placed_scaler alt
class PlacedScaler(nn.Module):
    def __init__(self, features, depth):
        super().__init__()
        self.scale = nn.Buffer(torch.ones(features))
        self.layers = nn.Sequential(*[nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for i in range(len(self.layers)):
            x = torch.mul(self.layers[i](x), self.scale)
        return x

# %% ex08_placed_scaler wrong nn.ModuleList
class PlacedScaler(nn.Module):
    """The broken version from the notebook: a plain tensor and a plain list."""

    def __init__(self, features, depth):
        super().__init__()
        self.scale = torch.ones(features)
        self.layers = [nn.Linear(features, features) for _ in range(depth)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler wrong plain tensor
class PlacedScaler(nn.Module):
    """Layers fixed, but scale is still a plain tensor."""

    def __init__(self, features, depth):
        super().__init__()
        self.scale = torch.ones(features)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler wrong is an nn.Parameter
class PlacedScaler(nn.Module):
    """A frozen Parameter moves and is saved, but the optimizer still gets it."""

    def __init__(self, features, depth):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(features), requires_grad=False)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler wrong missing from state_dict
class PlacedScaler(nn.Module):
    """A non-persistent buffer moves with .to() but is not saved."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features), persistent=False)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler wrong not on the input's device
class PlacedScaler(nn.Module):
    """Registers the buffer but builds a fresh CPU tensor of ones in forward."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * torch.ones(x.shape[-1])
        return x

# %% ex08_placed_scaler wrong only once, at the end
class PlacedScaler(nn.Module):
    """Scales the final output only: equal while scale is all ones, wrong once it changes."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x * self.scale

# %% ex08_placed_scaler wrong ignores scale
class PlacedScaler(nn.Module):
    """Never uses the buffer."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

# %% ex08_placed_scaler wrong repeats one layer
class PlacedScaler(nn.Module):
    """One nn.Linear repeated depth times: the layers share their weights."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features)] * depth)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler wrong PlacedScaler(features, depth)
class PlacedScaler(nn.Module):
    """The arguments in the other order: right when called by keyword, wrong when called positionally."""

    def __init__(self, depth, features):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x) * self.scale
        return x

# %% ex08_placed_scaler alt
class PlacedScaler(nn.Module):
    """A ModuleDict would not be indexable by position; a ModuleList filled with append, and the
    buffer registered from a tensor made by torch.ones_like on a zeros buffer."""

    def __init__(self, features, depth):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(depth):
            self.layers.append(nn.Linear(features, features))
        self.register_buffer("scale", torch.ones_like(torch.zeros(features)))

    def forward(self, x):
        out = x
        for i, layer in enumerate(self.layers):
            out = self.scale * layer(out)
        return out

# %% ex08_placed_scaler wrong wrong values
class PlacedScaler(nn.Module):
    """Adds a ReLU between the layers that the spec does not ask for."""

    def __init__(self, features, depth):
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x)) * self.scale
        return x
