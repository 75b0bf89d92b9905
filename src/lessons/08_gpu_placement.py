# %% [markdown]
# # 08 GPU placement: devices, `.to()` and what it leaves behind
#
# After this lesson you can write code that runs unchanged on a CPU, an NVIDIA GPU or an Apple
# GPU; you know exactly what `module.to(device)` moves and what it silently leaves on the CPU;
# you can spot the lines that make Python wait for a GPU and the copies that cost time; and you
# know which tool to use when you have several GPUs.
#
# It builds on [lesson 02](02_containers.ipynb) (containers register what they hold),
# [lesson 03](03_parameters_and_buffers.ipynb) (parameters, buffers and plain tensors) and
# [lesson 07](07_saving_and_loading.ipynb) (`map_location`). It runs on any machine: where a GPU
# would be needed to show a move, it uses the `meta` device, which every PyTorch install has.
# The exercises are in [Exercises 08](../my-work/08_gpu_placement/08_gpu_placement.ipynb).

# %%
import io
import time
import warnings
from unittest import mock

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

_ = torch.manual_seed(0)
plt.rcParams.update({"figure.dpi": 100, "font.size": 10})

# %% [markdown]
# ## Which devices does this machine have?
#
# PyTorch keeps every tensor on a *device*: the CPU's memory, an NVIDIA GPU (`cuda`) or an
# Apple GPU (`mps`). The next cell asks which ones this machine has; its output depends on the
# machine. (In a terminal, `nvidia-smi` lists NVIDIA GPUs with their driver and memory use.)

# %% tags=["nbval-ignore-output"]
print("CUDA available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("GPUs:", torch.cuda.device_count(), "| name:", torch.cuda.get_device_name(0))
print("MPS (Apple GPU) available:", torch.backends.mps.is_available())
if hasattr(torch, "accelerator"):                       # PyTorch 2.6 and later
    print("PyTorch was built for:", torch.accelerator.current_accelerator())
    print("an accelerator is usable now:", torch.accelerator.is_available())

# %% [markdown]
# `torch.accelerator` (new in 2.6) answers for every backend at once, but read its two answers
# carefully. `current_accelerator()` names what this PyTorch was *built* for: the default Linux
# wheel from PyPI is built for CUDA, so it answers `cuda` even on a laptop without an NVIDIA
# GPU. Only `is_available()` checks that a device is usable now (newer releases also accept
# `current_accelerator(check_available=True)`, which returns `None` unless it is).
#
# ## Pick the device once
#
# Device-agnostic code chooses the device in one place and passes it everywhere:

# %%
def pick_device() -> torch.device:
    """The machine's accelerator when one is usable now, else the CPU."""
    if hasattr(torch, "accelerator"):                   # PyTorch 2.6 and later
        if torch.accelerator.is_available():            # built for it *and* a device is there
            return torch.accelerator.current_accelerator()
        return torch.device("cpu")
    if torch.cuda.is_available():                       # older PyTorch
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")

# %% [markdown]
# A shortcut seen in the wild, `torch.accelerator.current_accelerator() or torch.device("cpu")`,
# breaks exactly on the machine you cannot see from here. The next cell fakes that machine (a
# CUDA build, no GPU) by patching two functions, a trick for this demonstration only:

# %%
with mock.patch("torch._C._accelerator_getAccelerator", return_value=torch.device("cuda")), \
        mock.patch("torch.cuda.is_available", return_value=False):
    print("shortcut:      ", torch.accelerator.current_accelerator() or torch.device("cpu"))
    print("check_available:", torch.accelerator.current_accelerator(check_available=True))
    print("pick_device(): ", pick_device())

# %% [markdown]
# The shortcut picks `cuda` on a machine without a GPU, and the first `.to(device)` fails.
# `current_accelerator(check_available=True)` answers `None`, and `pick_device()` checks
# availability and falls back to the CPU. Here is what it picks on the machine running this
# notebook:

# %% tags=["nbval-ignore-output"]
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
print(torch.tensor([1, 2, 3]).device)

# %% [markdown]
# `"cuda"` without an index means the current GPU (`cuda:0` unless you changed it), and
# `x.device` tells where a tensor lives. New tensors go to the CPU unless you say otherwise.
#
# ## Creating and moving tensors
#
# There are two ways to get a tensor onto `device`: create it there, or copy it there with
# `.to()`. The result of an operation stays on the device of its operands.

# %%
a = torch.ones(2, 3, device=device)        # created on the device: no copy
b = torch.ones(2, 3).to(device)            # created on the CPU, then copied
c = a * 2 + b                              # computed where a and b are
print(a.device == b.device == c.device, c.device.type == device.type)
print(c.cpu())                             # .cpu() copies back, e.g. to print or to use NumPy

# %% [markdown]
# Tutorials written for PyTorch 0.4–1.x write `x.cuda()`, and `x.cuda(i)` for the i-th GPU: the
# same as `x.to("cuda")` and `x.to(f"cuda:{i}")`, but only for CUDA. `.to(device)` works for
# every device, so device-agnostic code uses it.
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
# ## `Tensor.to` returns a new tensor; `Module.to` moves in place
#
# The classic bug is calling `x.to(device)` without keeping the result. The next cell does it,
# then compares with a module.

# %%
x = torch.ones(3)
x.to("meta")                               # the moved copy is thrown away
print("tensor without assignment:", x.device)
x = x.to("meta")
print("tensor with assignment:   ", x.device)
y = torch.ones(3)
print("already there, same object:", y.to("cpu") is y)
layer = nn.Linear(4, 3)
print("module:", layer.to("meta") is layer, layer.weight.device)

# %% [markdown]
# `Tensor.to` never changes the tensor it is called on, and when the tensor is already on the
# target it returns the tensor itself: on a CPU-only machine the forgotten assignment goes
# unnoticed until the first GPU run. `Module.to` moves the module itself and returns it, so
# `layer.to(device)` on its own line is enough (`layer = layer.to(device)` does no harm).
#
# ## The same-device rule
#
# An operation needs all of its tensors on one device; PyTorch never copies between devices
# behind your back. On a GPU machine, mixing a CUDA and a CPU tensor raises
# `RuntimeError: Expected all tensors to be on the same device, ...`. (Tutorials for early 1.x
# releases quote an older wording, `Expected object of backend CUDA but got backend CPU for
# argument #2 'mat2'`.) The meta device enforces the same rule, in its own words:

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
# A zero-dimensional CPU tensor (a scalar) may take part in an operation on another device;
# every other tensor must be moved first. The usual way to break the rule is a model on the GPU
# fed a batch that is still on the CPU:

# %%
layer = nn.Linear(4, 2).to("meta")
batch = torch.randn(5, 4)                  # a batch as a DataLoader yields it: on the CPU
try:
    layer(batch)
except RuntimeError as e:
    print(e)
print(layer(batch.to("meta")).shape)       # move the batch to the model's device

# %% [markdown]
# On a machine with a CUDA GPU the next cell shows the real message; elsewhere it says there is
# no GPU.

# %% tags=["nbval-ignore-output"]
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
inputs, targets = torch.randn(16, 4), torch.randn(16, 1)    # a CPU batch, as a loader gives it
inputs, targets = inputs.to(device), targets.to(device)
loss = F.mse_loss(model(inputs), targets)
loss.backward()
optimizer.step()
noise = torch.randn(inputs.shape, device=inputs.device)     # new tensors: on the data's device
mask = torch.zeros_like(inputs)                             # *_like and x.new_* follow x
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
# ## What `.to()` moves, and what it leaves behind
#
# `Module.to` moves what the module *registered*. Lesson 03 showed that a plain tensor attribute
# is not registered ([lesson 03](03_parameters_and_buffers.ipynb), "A weight kept as a plain
# tensor"), and lesson 02 that a plain list of layers is not either
# ([Why a plain list registers nothing](02_containers.ipynb#Why-a-plain-list-registers-nothing)).
# For placement that gives this table:
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
# One module with one of each, moved to `meta`:

# %%
class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))
        self.register_buffer("b", torch.zeros(2))
        self.t = torch.zeros(2)                             # plain tensor
        self.pair = (torch.zeros(2), nn.Linear(2, 2))       # plain tuple
        self.stats = {"mean": torch.zeros(2)}               # plain dict
        self.size = 2

mixed = Mixed().to("meta")
print("moved:      ", mixed.w.device, mixed.b.device)
print("left behind:", mixed.t.device, mixed.pair[0].device, mixed.pair[1].weight.device,
      mixed.stats["mean"].device)

# %% [markdown]
# The mechanism: `.to()` walks the module's `_parameters`, `_buffers` and `_modules`, and every
# submodule's, and nothing else. Those three dicts are themselves entries of the instance's
# `__dict__` (what `vars()` returns), next to every plain attribute:

# %%
print(list(mixed._parameters), list(mixed._buffers), list(mixed._modules))
print([name for name in vars(mixed) if not name.startswith("_")])
print({"_parameters", "_buffers", "_modules"} <= set(vars(mixed)))

# %% [markdown]
# `training` is the module's mode flag, a plain bool; `t`, `pair` and `stats` are the plain
# attributes that `.to()` never visits. Attributes whose names start with `_` are PyTorch's
# own. `nn.LSTM`, for example, keeps a plain list `_flat_weights` of its parameters for the
# fast cuDNN kernels:

# %%
lstm = nn.LSTM(3, 4).to("meta")
print(type(lstm._flat_weights).__name__, {t.device.type for t in lstm._flat_weights})

# %% [markdown]
# The list holds meta tensors: LSTM refreshes it itself after every `.to()`, so a plain list
# whose name starts with `_` is PyTorch's business, not a bug.
#
# A widely copied recipe for GPU code assigns `self.weight = nn.Parameter(...)` and then calls
# `self.register_parameter("weight", self.weight)`. The assignment has always registered the
# Parameter (through `Module.__setattr__`), so the second line was never needed
# ([lesson 03](03_parameters_and_buffers.ipynb) shows it in "`register_parameter` after an
# assignment is redundant").
#
# ## Parameters keep their identity; buffers are replaced
#
# `.to()` swaps the data *under* each Parameter, so the Parameter object survives; a buffer is
# replaced by a new tensor. Converting the dtype shows it on any machine (moving from the CPU to
# a GPU behaves the same way):

# %%
layer = nn.Linear(2, 2)
layer.register_buffer("scale", torch.ones(2))
w, s = layer.weight, layer.scale           # Python aliases taken before the move
layer.to(torch.float64)
print("parameter alias:", w is layer.weight, w.dtype)
print("buffer alias:   ", s is layer.scale, s.dtype, "but layer.scale is", layer.scale.dtype)

# %% [markdown]
# The parameter alias still works, so an optimizer built before `.to()` holds the right objects
# (build it after the move anyway). The buffer alias points at the stale copy: read a buffer as
# `self.scale`, never keep it in another attribute or a list. (The meta device is an exception:
# moving to `meta` creates new Parameter objects, since meta data cannot be swapped in under a
# CPU Parameter.)
#
# ## GPUs run ahead of Python; some lines make Python wait
#
# On a GPU, PyTorch *queues* each operation and returns at once; the GPU works through the
# queue while Python goes on. Python has to wait only when it needs a value: every line that
# turns a tensor into a Python number, bool or string synchronizes. The next cell builds a spy
# that prints each such read-back as it happens (a `TorchFunctionMode` sees every torch call):

# %%
READS = {"item", "__bool__", "__float__", "__int__", "__format__", "__repr__", "tolist", "numpy"}

class ReadBackSpy(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in READS:
            print(f"    -> reads the value back: {func.__name__}")
        return func(*args, **(kwargs or {}))

# %% [markdown]
# Now a few lines that a training loop typically contains, run under the spy:

# %%
loss = F.mse_loss(torch.ones(3), torch.zeros(3))
running = torch.zeros(())
with ReadBackSpy():
    print("running += loss.detach()")
    running += loss.detach()
    print("value = loss.item()")
    value = loss.item()
    print("if loss > 0.5: ...")
    if loss > 0.5:
        pass
    print("text = f'{loss:.3f}'")
    text = f"{loss:.3f}"
    print("print(loss)")
    print(loss)

# %% [markdown]
# Adding into a tensor stays on the device and queues; `.item()`, an `if` on a tensor, formatting
# and printing all read the value back. On a GPU each of them waits until everything queued
# before it has finished, so one `loss.item()` per step keeps the GPU from running ahead. Keep
# running sums as tensors and read them once per epoch or every few hundred steps. On a CUDA
# machine, `torch.cuda.set_sync_debug_mode("warn")` makes PyTorch warn at synchronizing calls
# (an experimental switch that does not cover every one):

# %% tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    torch.cuda.set_sync_debug_mode("warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.ones(3, device="cuda").sum().item()
    torch.cuda.set_sync_debug_mode("default")
    print([str(w.message).splitlines()[0] for w in caught])
else:
    print("No CUDA GPU here: on a machine with one, this cell shows the warning of .item().")

# %% [markdown]
# ## Copies cost a fixed price plus a price per byte
#
# Every copy, CPU to CPU or CPU to GPU, has a fixed cost per call and a cost per byte. The next
# cell defines a timer for one copy of a given size; on a GPU it waits for the copy to finish
# before it stops the clock.

# %%
def copy_us(n_bytes, dst_device, pinned=False, repeats=15):
    """Median microseconds of one copy of n_bytes from CPU memory to dst_device."""
    src = torch.ones(n_bytes // 4)
    src = src.pin_memory() if pinned else src
    dst = torch.empty(n_bytes // 4, device=dst_device)
    times = []
    for _ in range(repeats + 1):                       # the first copy is a warm-up
        start = time.perf_counter()
        dst.copy_(src, non_blocking=pinned)
        if dst.device.type == "cuda":
            torch.cuda.synchronize()                    # wait for the GPU before reading the clock
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[repeats // 2] * 1e6

# %% [markdown]
# The next cell measures CPU-to-CPU copies from 1 KB to 16 MB and, on a machine with a CUDA GPU,
# the same copies to the GPU from ordinary and from *pinned* memory (next section). It runs the
# CPU copies on one thread: PyTorch splits large copies over several threads, which makes the
# timings jumpy when other programs share the processor. Timings change from run to run and
# machine to machine.

# %% tags=["nbval-ignore-output"]
threads = torch.get_num_threads()
torch.set_num_threads(1)                   # one CPU thread: steadier timings on a busy machine
sizes = [2 ** k for k in range(10, 25, 2)]
curves = {"CPU → CPU": [copy_us(n, "cpu") for n in sizes]}
if torch.cuda.is_available():
    curves["CPU → GPU, ordinary memory"] = [copy_us(n, "cuda") for n in sizes]
    curves["CPU → GPU, pinned memory"] = [copy_us(n, "cuda", pinned=True) for n in sizes]
torch.set_num_threads(threads)

# %% [markdown]
# The next cell draws the measured times.

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(7, 3.4))
for label, times in curves.items():
    ax.plot(sizes, times, "o-", label=label)
ax.set(xscale="log", yscale="log", xlabel="bytes copied", ylabel="microseconds per copy",
       title="Time of one copy against its size (measured on this machine)")
ax.set_xticks(sizes, labels=["1 KB", "4 KB", "16 KB", "64 KB", "256 KB", "1 MB", "4 MB", "16 MB"])
ax.legend()
plt.show()

# %% [markdown]
# At the small end the line is flat: the fixed cost of a call dominates, and a 4 KB copy takes
# about as long as a 1 KB one. At the large end the time grows in proportion to the bytes. So
# move a batch as a few large tensors, once per step, not element by element, and keep the
# model and its data on one device for the whole step.
#
# ## Pinned memory and `non_blocking=True`
#
# A GPU reads CPU memory directly only when that memory is *pinned* (page-locked); from
# ordinary memory the CUDA driver first copies the data into a pinned staging buffer. The PyTorch docs say copies from
# pinned memory are faster, and only they can run in the background: `x.to(device,
# non_blocking=True)` then returns at once and the GPU receives the data while Python prepares
# the next step. Pinning needs an accelerator, so on a CPU-only machine the next cell prints the
# error:

# %% tags=["nbval-ignore-output"]
try:
    pinned_batch = torch.ones(256, 1024).pin_memory()       # page-locked CPU memory
    print("pinned:", pinned_batch.is_pinned())
    on_device = pinned_batch.to(device, non_blocking=True)  # returns before the copy is done
    print("moved to", on_device.device)
except RuntimeError as e:
    print(e)

# %% [markdown]
# In practice let the data loader pin the batches, and move them without blocking:
#
# ```python
# loader = DataLoader(dataset, batch_size=64, shuffle=True, pin_memory=True)
# for inputs, targets in loader:
#     inputs = inputs.to(device, non_blocking=True)
#     targets = targets.to(device, non_blocking=True)
# ```
#
# Operations queued after the copy on the same stream wait for it, so this is safe. The other
# direction is not: a `non_blocking` copy *to* the CPU may be read before it has arrived, unless
# you call `torch.cuda.synchronize()` first.
#
# ## TF32: faster float32 matrix products on recent NVIDIA GPUs
#
# NVIDIA GPUs since the Ampere generation (A100, RTX 30 series) can run float32 matrix products
# on tensor cores in *TensorFloat-32*: the inputs keep float32's range but only 10 bits of
# mantissa (about 3 decimal digits), and the sums are kept in float32. That is much faster and
# a little less precise. PyTorch leaves it off for matrix products and on for cuDNN
# convolutions; the switches are plain settings, readable on any machine:

# %%
print("float32 matmul precision:  ", torch.get_float32_matmul_precision())
print("TF32 for CUDA matmuls:     ", torch.backends.cuda.matmul.allow_tf32)
print("TF32 for cuDNN convolutions:", torch.backends.cudnn.allow_tf32)
torch.set_float32_matmul_precision("high")           # allow TF32 for float32 matmuls on CUDA
print("after 'high':", torch.get_float32_matmul_precision(), torch.backends.cuda.matmul.allow_tf32)
torch.set_float32_matmul_precision("highest")        # back to the default: full float32
print("back to 'highest':", torch.get_float32_matmul_precision(),
      torch.backends.cuda.matmul.allow_tf32)

# %% [markdown]
# `torch.set_float32_matmul_precision("high")` is the documented switch and sets
# `torch.backends.cuda.matmul.allow_tf32` for you; its documentation says it currently affects
# CUDA only, and it changes no tensor's dtype, only how the product is computed. Turn it on for training when a few digits do not matter;
# leave it off when you compare results bit for bit. (Recent releases add a finer setting,
# `torch.backends.cuda.matmul.fp32_precision`; use one style, since PyTorch refuses to read the
# old flag once the new one has been set.)
#
# ## Loading a checkpoint on another device
#
# `torch.save` records the device of every tensor, and `torch.load` puts each one back there, so
# a checkpoint saved from a GPU does not load on a CPU-only machine without `map_location`
# ([lesson 07](07_saving_and_loading.ipynb) shows the error). `map_location` says where the
# tensors go instead:

# %%
buffer = io.BytesIO()                      # a file in memory
torch.save(nn.Linear(4, 2).state_dict(), buffer)
for where in ["cpu", "meta", {"cpu": "meta"}]:
    buffer.seek(0)
    state = torch.load(buffer, map_location=where, weights_only=True)
    print(f"map_location={where!r}:", {k: v.device.type for k, v in state.items()})

# %% [markdown]
# Move the model first, then load: `model.load_state_dict` copies into the model's own tensors
# wherever they are, and `optimizer.load_state_dict` casts the optimizer's state to the
# parameters' devices (except Adam's `step`, as lesson 07 shows). On a CUDA machine the next
# cell saves from the GPU and loads it back both ways:

# %% tags=["nbval-ignore-output"]
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
# Tutorials written for PyTorch 0.4–1.x spread a batch over several GPUs with `nn.DataParallel`:
#
# ```python
# model = nn.DataParallel(model, device_ids=[0, 1])      # a module wrapping model
# output = model(inputs)
# ```
#
# At every forward call DataParallel copies the module to each GPU, splits the batch along
# dimension 0 (30 samples on 3 GPUs: 10 each), runs the copies in threads and gathers the
# outputs on `device_ids[0]`; backward sums the gradients into the original module's
# parameters. The copies are thrown away after the call, so anything `forward` changes on a copy
# is lost. The wrapper also renames every key of the `state_dict`:

# %%
dp = nn.DataParallel(nn.Linear(4, 2))      # without a GPU it only wraps the layer
print(list(dp.state_dict()))
print(list(dp.module.state_dict()))

# %% [markdown]
# Save `dp.module.state_dict()` to keep the plain names (exercise 2 of lesson 07 strips the
# prefix from a file that has it).
#
# DataParallel still exists, but the PyTorch documentation recommends `DistributedDataParallel`
# (DDP) instead, even on a single machine. DataParallel is one Python process whose threads
# compete for the GIL; it copies the model to every GPU at every step and gathers everything on
# GPU 0, which runs out of memory first. DDP starts one process per GPU, each with its own copy
# of the model and its own share of the data; during `backward` it averages the gradients across
# processes (an all-reduce, overlapped with the computation), so every copy takes the same step.
# It also scales to several machines. The heart of a script started with
# `torchrun --nproc_per_node=4 train.py` (not run here: it needs several GPUs):
#
# ```python
# dist.init_process_group("nccl")                    # one process per GPU, started by torchrun
# rank = int(os.environ["LOCAL_RANK"])
# device = torch.device("cuda", rank)
# torch.cuda.set_device(device)
# model = DDP(Net().to(device), device_ids=[rank])
# sampler = DistributedSampler(dataset)              # each process gets its own shard
# loader = DataLoader(dataset, batch_size=32, sampler=sampler, pin_memory=True)
# for epoch in range(10):
#     sampler.set_epoch(epoch)                       # a different shuffle every epoch
#     for x, y in loader:
#         x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
#         optimizer.zero_grad()
#         F.cross_entropy(model(x), y).backward()    # gradients are all-reduced here
#         optimizer.step()
#     if dist.get_rank() == 0:                       # one process writes the checkpoint
#         torch.save(model.module.state_dict(), "model.pt")
# dist.destroy_process_group()
# ```
#
# DDP wraps the model like DataParallel, so it adds the same `module.` prefix; saving
# `model.module.state_dict()` avoids it. For models too large for one GPU, PyTorch's
# `FullyShardedDataParallel` splits the parameters themselves across GPUs.
#
# ## Pitfalls
#
# - **`x.to(device)` without assignment.** `Tensor.to` returns a new tensor; the old one stays
#   put, and on a CPU-only machine the bug is invisible. A batch is often a dict, list, tuple or
#   namedtuple of tensors: every tensor in it must be moved, and the container types kept.
# - **A plain tensor attribute or a plain list, tuple or dict of layers.** Neither is
#   registered, so `.to()`, `parameters()` and `state_dict()` all miss it. Use `nn.Parameter` or
#   a buffer, and `nn.ModuleList` / `nn.ModuleDict`. Names starting with `_` are PyTorch's.
# - **New tensors created in `forward` without a device.** `torch.ones(n)` lands on the CPU;
#   use a buffer, `device=x.device`, or `torch.ones_like(x)`.
# - **Aliases to buffers.** `.to()` replaces buffers, so a second reference to one goes stale.
# - **`current_accelerator()` as a test for a GPU.** It names what PyTorch was built for; check
#   `torch.accelerator.is_available()`.
# - **A `.item()` or `print` every step** makes the CPU wait for the GPU every step.
#
# ## Try it
#
# These questions are not graded; change a cell and run it again to check your answer.
#
# 1. Add `self.blocks = [nn.Linear(2, 2)]` and `self._cache = torch.zeros(2)` to `Mixed`. Where
#    does each end up after `.to("meta")`, and which of them should a tool that hunts for
#    left-behind state report?
# 2. In the spy cell, add `total = running + 1` and `values = loss.tolist()`. Which of them read
#    back? Predict before you run.
# 3. Time `copy_us` for 1,000 copies of 4 KB against one copy of 4 MB. Which is faster, and by
#    how much? What does that suggest for a batch made of many small tensors?
# 4. Build `nn.Linear(3, 3)` under `with torch.device("meta"):`, then call
#    `.to_empty(device="cpu")`. What do the weights hold, and why must you initialize them again?
# 5. Replace the buffer `scale` of the aliasing cell by `nn.Buffer(torch.ones(2))` assigned as an
#    attribute (PyTorch 2.5+). Does the alias behave differently?
#
# ## Summary
#
# - A `torch.device` names where a tensor lives. Pick one `device` at the top with
#   `torch.accelerator.is_available()` (not `current_accelerator()` alone) and pass it
#   everywhere: `device=` when creating, `.to(device)` when moving.
# - `Tensor.to` returns a new tensor; `Module.to` moves the module in place and returns it. All
#   tensors of one operation must share a device, except 0-dim CPU scalars.
# - `.to()` moves parameters (keeping the Parameter objects), buffers (new tensors) and
#   submodules; it leaves plain tensors and plain lists, tuples and dicts behind.
# - A GPU runs ahead of Python until a value is read back (`.item()`, `print`, `if` on a tensor);
#   copies cost a fixed price plus a price per byte, and pinned memory with `non_blocking=True`
#   lets host-to-GPU copies overlap; TF32 trades float32 matmul precision for speed on Ampere+.
# - `map_location` loads a checkpoint onto another device; for several GPUs use
#   DistributedDataParallel.
#
# Now practise: [Exercises 08](../my-work/08_gpu_placement/08_gpu_placement.ipynb).
