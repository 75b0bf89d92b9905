# %% [markdown]
# # 08 GPU placement: devices, `.to()` and what it leaves behind
#
# After this lesson you can write code that runs unchanged on a CPU, an NVIDIA GPU or an Apple
# GPU; you know exactly what `module.to(device)` moves and what it silently leaves on the CPU;
# and you can load a checkpoint saved on a GPU on a machine without one, and know which tool to
# use when you have several GPUs.
#
# The seed posts used `.cuda()` everywhere and PyTorch 0.4–1.x error messages; this lesson
# teaches today's PyTorch and says where they differ. It runs on any machine: where a GPU would
# be needed to show a move, it uses the `meta` device, which every PyTorch install has.

# %%
import io
import time

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## Which devices does this machine have?
#
# PyTorch keeps every tensor on a *device*: the CPU's memory, an NVIDIA GPU (`cuda`) or an
# Apple GPU (`mps`). The next cell asks which ones this machine has. Its output depends on the
# machine, so its first line tells nbval not to compare it. (In a terminal, `nvidia-smi` lists
# NVIDIA GPUs with their driver and memory use.)

# %%
# NBVAL_IGNORE_OUTPUT
print("CUDA available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("GPUs:", torch.cuda.device_count(), "| current index:", torch.cuda.current_device(),
          "| name:", torch.cuda.get_device_name(0))
print("MPS (Apple GPU) available:", torch.backends.mps.is_available())
if hasattr(torch, "accelerator"):                  # PyTorch 2.6 and later
    print("accelerator:", torch.accelerator.current_accelerator())

# %% [markdown]
# `torch.accelerator` (new in 2.6) answers for every backend at once: it names the machine's
# accelerator, or `None` on a CPU-only machine. The `hasattr` guard keeps the code working on
# older PyTorch.
#
# ## Pick the device once
#
# Device-agnostic code chooses the device in one place and passes it everywhere. Again the
# printed value depends on the machine:

# %%
# NBVAL_IGNORE_OUTPUT
def pick_device() -> torch.device:
    if hasattr(torch, "accelerator") and torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")

device = pick_device()
print(device)

# %% [markdown]
# Every cell from here on uses `device` but prints only what is the same on every machine.
#
# ## `torch.device` is just a name
#
# A `torch.device` is a type plus an optional index. Creating one needs no hardware:

# %%
gpu1 = torch.device("cuda", 1)             # the second GPU; no GPU needed to name it
print(gpu1, gpu1.type, gpu1.index)
print(torch.device("cuda:1") == gpu1, torch.device("cpu").index)
x = torch.tensor([1, 2, 3])
print(x.device)

# %% [markdown]
# `"cuda"` without an index means the current GPU (`cuda:0` unless you changed it), and
# `x.device` tells where a tensor lives. New tensors go to the CPU unless you say otherwise.
#
# ## Creating and moving tensors
#
# There are two ways to get a tensor onto `device`: create it there, or copy it there with
# `.to()`. Results of an operation stay on the device of its operands.

# %%
a = torch.ones(2, 3, device=device)        # created on the device: no copy
b = torch.ones(2, 3).to(device)            # created on the CPU, then copied
c = a * 2 + b                              # computed where a and b are
print(a.device == b.device == c.device, c.device.type == device.type)
print(c.cpu())                             # .cpu() copies back, e.g. to print or to use NumPy

# %% [markdown]
# The seeds write `x.cuda()`, and `x.cuda(i)` for the i-th GPU: they equal `x.to("cuda")` and
# `x.to(f"cuda:{i}")`, but only work with CUDA. `.to(device)` works for every device, so
# device-agnostic code uses it.
#
# ## The `meta` device: a second device on every machine
#
# On a CPU-only machine, moving to `"cpu"` proves nothing. The `meta` device always exists: a
# meta tensor has a shape and a dtype but no data, and no computation happens. If something
# reaches `meta`, `.to()` moved it; if it is still on `cpu`, it was left behind.

# %%
m = torch.ones(2, 3, device="meta")
print(m)
print(m.shape, m.dtype, m.device)

# %% [markdown]
# ## `Tensor.to` returns a new tensor
#
# The classic bug: calling `x.to(device)` and not keeping the result.

# %%
x = torch.ones(3)
x.to("meta")                               # the moved copy is thrown away
print("without assignment:", x.device)
x = x.to("meta")
print("with assignment:   ", x.device)
y = torch.ones(3)
print("already there, same object:", y.to("cpu") is y)

# %% [markdown]
# `Tensor.to` never changes the tensor it is called on. And when the tensor is already on the
# target device it returns the tensor itself, so on a CPU-only machine the forgotten assignment
# goes unnoticed; the bug surfaces on the first GPU run.
#
# ## `Module.to` moves the module in place
#
# Modules behave differently: `.to()` moves the module itself and returns it.

# %%
net = nn.Linear(4, 3)
moved = net.to("meta")                     # moves net and returns the same object
print(moved is net, net.weight.device, net.bias.device)

# %% [markdown]
# `net.to(device)` on its own line is enough for a module. `net = net.to(device)` does no harm
# and reads like the tensor version, which is why many people write it that way.
#
# ## The same-device rule
#
# An operation needs all of its tensors on one device; PyTorch never copies between devices
# behind your back. On a GPU machine, adding a CUDA tensor to a CPU tensor raises
#
# `RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!`
#
# and a layer words it as `Expected all tensors to be on the same device, but got mat1 is on cpu,
# different from other tensors on cuda:0 (when checking argument in method wrapper_CUDA_addmm)`.
# (The seed quotes the wording of early PyTorch 1.x releases, `Expected object of backend CUDA
# but got backend CPU for argument #2 'mat2'`.) The meta device enforces the same rule, in its
# own words:

# %%
a = torch.ones(3, device="meta")
b = torch.ones(3)                          # on the CPU
try:
    a + b
except RuntimeError as e:
    print(e)
print((a + b.to("meta")).device)           # the fix: bring the operands together
print((a * torch.tensor(2.0)).device)      # the one exception: a 0-dim CPU tensor may join

# %% [markdown]
# A zero-dimensional CPU tensor (a scalar) may take part in an operation on another device; every
# other tensor must be moved first. The usual way to break the rule is a model on the GPU fed a
# batch that is still on the CPU:

# %%
net = nn.Linear(4, 2).to("meta")
x = torch.randn(5, 4)                      # a batch as the DataLoader yields it: on the CPU
try:
    net(x)
except RuntimeError as e:
    print(e)
print(net(x.to("meta")).shape)             # move the batch to the model's device

# %% [markdown]
# On a machine with a CUDA GPU the next cell shows the real message; elsewhere it says there is
# no GPU.

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    try:
        torch.ones(3, device="cuda") + torch.ones(3)
    except RuntimeError as e:
        print(e)
else:
    print("No CUDA GPU here: on a machine with one, this cell prints the real error message.")

# %% [markdown]
# ## Device-agnostic code
#
# The whole recipe: move the model once, build the optimizer after the move, move every batch,
# and create any new tensor on the device of the data it belongs with.

# %%
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)     # after the move
x, y = torch.randn(16, 4), torch.randn(16, 1)               # a CPU batch, as a loader gives it
x, y = x.to(device), y.to(device)
loss = F.mse_loss(model(x), y)
loss.backward()
optimizer.step()
noise = torch.randn(x.shape, device=x.device)               # new tensors: on the data's device
mask = torch.zeros_like(x)                                  # *_like and x.new_* follow x
print(loss.device.type == noise.device.type == mask.device.type == device.type)

# %% [markdown]
# Two tools change where *new* tensors go without a `device=` argument: `with torch.device(...)`
# for a block, and `torch.set_default_device(...)` for the whole program.

# %%
with torch.device("meta"):                 # new tensors and layers go to meta in this block
    big = nn.Linear(1000, 1000)
print(big.weight.device, torch.ones(1).device)
torch.set_default_device("meta")           # the same for the whole program, until changed back
print(torch.ones(1).device)
torch.set_default_device("cpu")
print(torch.get_default_device())

# %% [markdown]
# An explicit `device=` always wins over both. Building a model under `with torch.device("meta")`
# allocates no memory at all: very large models are set up that way, then given real memory with
# `model.to_empty(device=...)` and initialized again. The docs warn that `set_default_device`
# makes every torch call a little slower; prefer passing `device`.
#
# ## The seed's first bug: a plain tensor attribute
#
# The seed's example keeps its weight in a plain tensor. It works on the CPU, so nothing looks
# wrong until the model is moved:

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.rand(3, 4)     # a plain tensor: not registered
    def forward(self, x):
        return F.linear(x, self.weight)

net = Net()
print(list(net.parameters()), list(net.state_dict().keys()))
net.to("meta")
print(net.weight.device)                   # left behind on the CPU

# %% [markdown]
# The module has no parameters (an optimizer would train nothing), nothing in its `state_dict`
# (a checkpoint would save nothing), and `.to()` left the weight on the CPU: on a GPU,
# `net.cuda()` then `net(x.cuda())` raises the same-device error. The fix is to wrap the tensor
# in `nn.Parameter`:

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(3, 4))     # registered by the assignment itself
    def forward(self, x):
        return F.linear(x, self.weight)

net = Net()
print(list(net._parameters.keys()), list(net.state_dict().keys()))
net.to("meta")
print(net.weight.device, net(torch.ones(10, 4, device="meta")).shape)

# %% [markdown]
# Assigning an `nn.Parameter` registers it through `Module.__setattr__`. The seed also calls
# `self.register_parameter('weight', self.weight)` after the assignment; that is redundant, as
# its author suspected. A tensor that must move and be saved but never trained is a *buffer*:
# `self.register_buffer("weight", torch.rand(3, 4))`, or since PyTorch 2.5
# `self.weight = nn.Buffer(torch.rand(3, 4))`.
#
# ## The seed's second bug: layers in a Python list

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = [nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2)]   # a plain list
    def forward(self, x):
        for linear in self.linears:
            x = F.relu(linear(x))
        return x

net = Net().to("meta")
print(len(list(net.parameters())), net.linears[0].weight.device)
try:
    net(torch.ones(10, 4, device="meta"))
except RuntimeError as e:
    print(e)

# %% [markdown]
# A Python list is invisible to the module: no parameters, and the layers stayed on the CPU while
# the input is on `meta`. `nn.ModuleList` registers every layer in it:

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2)])
    def forward(self, x):
        for linear in self.linears:
            x = F.relu(linear(x))
        return x

net = Net().to("meta")
print(len(list(net.parameters())), net.linears[0].weight.device)
print(net(torch.ones(10, 4, device="meta")).shape)

# %% [markdown]
# Six parameters (three weights, three biases), all moved. As the seed notes, a list that is only
# a temporary is fine when it ends up in a registered container: `nn.Sequential(*layers)`
# registers them too. `nn.ModuleDict` does the same for a dict of layers, and since
# `nn.ModuleList` holds only modules, parameters go in `nn.ParameterList` / `nn.ParameterDict`
# (lesson 02).
#
# ## What `.to()` moves, and what it leaves behind
#
# | attribute | where the module keeps it | `module.to(device)` |
# |---|---|---|
# | `nn.Parameter` | `_parameters` | moved (the same Parameter object) |
# | buffer | `_buffers` | moved (replaced by a new tensor) |
# | submodule, `nn.ModuleList`/`ModuleDict`, `nn.ParameterList`/`ParameterDict` | `_modules` | everything inside moved |
# | plain tensor | the instance's `__dict__` | **left behind** |
# | plain list, tuple or dict of tensors or modules | the instance's `__dict__` | **left behind** |
# | numbers, strings, `None` | the instance's `__dict__` | nothing to move |
#
# One module with one of each:

# %%
class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))
        self.register_buffer("b", torch.zeros(2))
        self.t = torch.zeros(2)
        self.pair = (torch.zeros(2), nn.Linear(2, 2))
        self.stats = {"mean": torch.zeros(2)}
        self.size = 2

net = Mixed().to("meta")
print("moved:       ", net.w.device, net.b.device)
print("left behind: ", net.t.device, net.pair[0].device, net.pair[1].weight.device,
      net.stats["mean"].device)

# %% [markdown]
# The mechanism: `.to()` walks the module's `_parameters`, `_buffers` and `_modules`, and every
# submodule's, and nothing else. Everything else sits in the instance's `__dict__`:

# %%
print(list(net._parameters), list(net._buffers), list(net._modules))
print({name: type(value).__name__ for name, value in vars(net).items() if not name.startswith("_")})

# %% [markdown]
# Attributes whose names start with `_` are PyTorch's own bookkeeping. `nn.LSTM`, for example,
# keeps a plain list `_flat_weights` of its parameters for the fast cuDNN kernels, and refreshes it
# itself after every `.to()`:

# %%
lstm = nn.LSTM(3, 4).to("meta")
print(type(lstm._flat_weights).__name__, {t.device.type for t in lstm._flat_weights})

# %% [markdown]
# ## Parameters keep their identity; buffers are replaced
#
# `.to()` swaps the data *under* each Parameter, so the Parameter object survives; a buffer is
# replaced by a new tensor. Converting the dtype shows it on any machine (moving from the CPU to
# a GPU behaves the same way):

# %%
net = nn.Linear(2, 2)
net.register_buffer("scale", torch.ones(2))
w, s = net.weight, net.scale              # Python aliases taken before the move
net.to(torch.float64)
print("parameter alias:", w is net.weight, w.dtype)
print("buffer alias:   ", s is net.scale, s.dtype, "but net.scale is", net.scale.dtype)

# %% [markdown]
# The parameter alias still works, so an optimizer built before `.to()` holds the right objects
# (build it after the move anyway). The buffer alias now points at the stale copy: always read a
# buffer as `self.scale`, never keep it in another attribute or a list. Replacing a parameter
# after building the optimizer (`net.weight = nn.Parameter(...)`) breaks the link the same way.
# The meta device is an exception: a meta tensor cannot be swapped in under an existing CPU
# Parameter, so moving to `meta` creates new Parameter objects.
#
# ## Loading a checkpoint on another device
#
# `torch.save` records the device of every tensor, and `torch.load` puts each one back there. So
# a checkpoint saved from a GPU fails on a CPU-only machine with `RuntimeError: Attempting to
# deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running
# on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your
# storages to the CPU.` `map_location` says where the tensors should go instead:

# %%
buffer = io.BytesIO()                      # a file in memory
torch.save(nn.Linear(4, 2).state_dict(), buffer)
for where in ["cpu", "meta", {"cpu": "meta"}]:
    buffer.seek(0)
    state = torch.load(buffer, map_location=where, weights_only=True)
    print(f"map_location={where!r}:", {k: v.device.type for k, v in state.items()})

# %% [markdown]
# `map_location` takes a device, a string, or a dict from saved to wanted locations, such as
# `{"cuda:1": "cuda:0"}` for a checkpoint from a machine with more GPUs. The usual loading code
# maps straight to the model's device:

# %%
model = nn.Linear(4, 2).to(device)
buffer.seek(0)
model.load_state_dict(torch.load(buffer, map_location=device, weights_only=True))
print(model.weight.device.type == device.type)

# %% [markdown]
# `load_state_dict` copies values into the model's own tensors, which stay where the model is. For
# training state, move the model first, then build the optimizer and load its state:
# `optimizer.load_state_dict` casts that state to the device of the parameters (lesson 07). On a
# CUDA machine the next cell saves from the GPU and loads it back both ways:

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    gpu_file = io.BytesIO()
    torch.save(nn.Linear(4, 2).cuda().state_dict(), gpu_file)
    for where in [None, "cpu"]:
        gpu_file.seek(0)
        state = torch.load(gpu_file, map_location=where, weights_only=True)
        print(f"map_location={where!r}:", {k: str(v.device) for k, v in state.items()})
else:
    print("No CUDA GPU here: on a machine with one, this cell loads a GPU checkpoint.")

# %% [markdown]
# ## Several GPUs: DataParallel then, DistributedDataParallel now
#
# The seeds spread a batch over several GPUs with `nn.DataParallel`, as a wrapper module or as a
# one-off function:
#
# ```python
# new_net = nn.DataParallel(net, device_ids=[0, 1])                  # a module wrapping net
# output = new_net(input)
# output = nn.parallel.data_parallel(net, input, device_ids=[0, 1])  # the same, for one call
# ```
#
# (Their third way, `DataParallelModel` and `DataParallelCriterion`, comes from a third-party
# `parallel.py` file, not from PyTorch.) At every forward call DataParallel copies the module to
# each GPU, splits the batch along dimension 0 (30 samples on 3 GPUs: 10 each), runs the copies
# in threads and gathers the outputs on `device_ids[0]`; backward sums the gradients into the
# original module's parameters. The copies are shallow and thrown away after the call, so
# anything `forward` changes on a copy is lost: treat the module's attributes as read-only inside
# `forward`. The wrapper also renames every key of the `state_dict`:

# %%
net = nn.Linear(4, 2)
dp = nn.DataParallel(net)                  # without a GPU it only wraps net
print(dp.module is net)
print(list(dp.state_dict().keys()))
print(list(dp.module.state_dict().keys()))

# %% [markdown]
# Save `dp.module.state_dict()` to keep the plain names. A checkpoint that already has the
# `module.` prefix loads into a plain model once the prefix is stripped (lesson 07 writes its own
# `strip_prefix`):

# %%
state = dp.state_dict()
torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")   # in place
print(list(state.keys()))
nn.Linear(4, 2).load_state_dict(state)

# %% [markdown]
# DataParallel still exists, but the PyTorch documentation recommends `DistributedDataParallel`
# (DDP) instead, even on a single machine. DataParallel is one Python process whose threads fight
# over the GIL; it copies the model to every GPU at every step and gathers everything on GPU 0,
# which runs out of memory first. DDP starts one process per GPU, each with its own copy of the
# model and its own share of the data; during `backward` it averages the gradients across
# processes (an all-reduce, overlapped with the computation), so every copy takes the same step.
# It also scales to several machines. A minimal script, started with
# `torchrun --nproc_per_node=4 train.py` (not run here: it needs several GPUs):
#
# ```python
# import os
# import torch
# import torch.distributed as dist
# from torch.nn.parallel import DistributedDataParallel as DDP
# from torch.utils.data import DataLoader, DistributedSampler
#
# def main():
#     dist.init_process_group("nccl")                # one process per GPU, started by torchrun
#     rank = int(os.environ["LOCAL_RANK"])
#     device = torch.device("cuda", rank)
#     torch.cuda.set_device(device)
#     model = DDP(Net().to(device), device_ids=[rank])
#     optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
#     sampler = DistributedSampler(dataset)          # each process gets its own shard
#     loader = DataLoader(dataset, batch_size=32, sampler=sampler)
#     for epoch in range(10):
#         sampler.set_epoch(epoch)                   # a different shuffle every epoch
#         for x, y in loader:
#             x, y = x.to(device), y.to(device)
#             optimizer.zero_grad()
#             F.cross_entropy(model(x), y).backward()    # gradients are all-reduced here
#             optimizer.step()
#         if dist.get_rank() == 0:                   # one process writes the checkpoint
#             torch.save(model.module.state_dict(), "model.pt")
#     dist.destroy_process_group()
#
# if __name__ == "__main__":
#     main()
# ```
#
# DDP wraps the model just like DataParallel, so it adds the same `module.` prefix; saving
# `model.module.state_dict()` avoids it. For models too large for one GPU, PyTorch's
# `FullyShardedDataParallel` splits the parameters themselves across GPUs.
#
# ## How much faster is a GPU?
#
# Timing GPU code needs care: CUDA calls return before the GPU has finished, so the clock must
# wait for it with `torch.cuda.synchronize()`, and the first call pays one-time start-up costs.

# %%
def matmul_ms(n: int, dev: torch.device, repeats: int = 5) -> float:
    """Average milliseconds of one (n x n) @ (n x n) product on dev, after a warm-up."""
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    a @ b                                  # warm-up: kernels load, caches fill
    if dev.type == "cuda":
        torch.cuda.synchronize()           # wait for the GPU before starting the clock
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if dev.type == "cuda":
        torch.cuda.synchronize()           # ... and before stopping it
    return (time.perf_counter() - start) / repeats * 1000

# %% [markdown]
# On a machine with a CUDA GPU the next cell plots CPU and GPU times against the matrix size;
# timings differ from run to run, so nbval does not compare its output.

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    import matplotlib.pyplot as plt
    sizes = [128, 256, 512, 1024, 2048]
    fig, ax = plt.subplots(figsize=(6, 3))
    for dev, label in [("cpu", "CPU"), ("cuda", torch.cuda.get_device_name(0))]:
        ax.plot(sizes, [matmul_ms(n, torch.device(dev)) for n in sizes], "o-", label=label)
    ax.set_xscale("log", base=2)
    ax.set(xticks=sizes, xticklabels=sizes, yscale="log", xlabel="n (an n × n matrix product)",
           ylabel="ms per product")
    ax.legend()
    plt.show()
else:
    print("No CUDA GPU here: on a machine with one, this cell plots CPU against GPU matmul times.")

# %% [markdown]
# For small matrices the GPU gains little: launching a kernel has a fixed cost. The gap opens as
# the work grows. Copies between the CPU and the GPU cost time too, so keep the model and the data
# on the GPU for the whole training step, and copy back only what you print or save.
#
# ## Pitfalls
#
# - **`x.to(device)` without assignment.** `Tensor.to` returns a new tensor; the old one stays put.
#   On a CPU-only machine the bug is invisible. (Exercise 1 moves whole batches: dicts, lists,
#   tuples and namedtuples, keeping their types.)
# - **A plain tensor attribute or a plain list of layers.** Neither is registered, so `.to()`,
#   `parameters()` and `state_dict()` all miss it. Use `nn.Parameter` or a buffer, and
#   `nn.ModuleList` / `nn.ModuleDict`. (Exercise 2 finds such stray state; exercise 3 repairs a
#   module that has it.)
# - **New tensors created in `forward` without a device.** `torch.ones(n)` lands on the CPU; use
#   a buffer, `device=x.device`, or `torch.ones_like(x)`.
# - **Aliases to buffers.** `.to()` replaces buffers, so a second reference to one goes stale.
# - **Loading a GPU checkpoint on a CPU-only machine** without `map_location`.
# - **`module.` prefixes** from DataParallel and DDP in saved state dicts.
#
# ## Summary
#
# - A `torch.device` names where a tensor lives; pick one `device` at the top
#   (`torch.accelerator`, `torch.cuda.is_available()`, `torch.backends.mps.is_available()`) and
#   pass it everywhere: `device=` when creating, `.to(device)` when moving.
# - `Tensor.to` returns a new tensor; `Module.to` moves the module in place and returns it.
# - Every tensor in one operation must be on the same device ("Expected all tensors to be on the
#   same device"), except 0-dim CPU scalars.
# - `.to()` moves parameters (keeping the Parameter objects), buffers (new tensors) and
#   submodules; it leaves plain tensors and plain lists, tuples and dicts behind.
# - `torch.load(..., map_location=...)` loads a checkpoint onto another device.
# - For several GPUs use DistributedDataParallel; DataParallel is the older, slower way.
#
# [Exercises 08](../exercises/08_gpu_placement/08_gpu_placement.ipynb)
