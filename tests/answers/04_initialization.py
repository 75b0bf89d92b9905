# Answers that the test cells of exercises 04 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex04_init_normal alt
def init_normal_(module, std=0.01):
    """Tensor methods under no_grad instead of nn.init, and issubclass instead of isinstance."""
    if not issubclass(type(module), nn.Linear):
        return
    with torch.no_grad():
        module.weight.copy_(torch.randn_like(module.weight) * std)
        if module.bias is not None:
            module.bias.zero_()

# %% ex04_init_normal alt
def init_normal_(module, std=0.01):
    """Parameters found by name, but only inside an nn.Linear (recurse=False: its own ones)."""
    if isinstance(module, nn.Linear):
        for name, param in module.named_parameters(recurse=False):
            if name == "weight":
                param.data.normal_(0, std)
            else:
                param.data.fill_(0)

# %% ex04_init_normal wrong torch.no_grad
def init_normal_(module, std=0.01):
    """In-place tensor methods on parameters while autograd is recording."""
    if isinstance(module, nn.Linear):
        module.weight.normal_(0, std)
        if module.bias is not None:
            module.bias.zero_()

# %% ex04_init_normal wrong leave other modules untouched
def init_normal_(module, std=0.01):
    """A widely copied recipe's by-name loop: every parameter called 'weight', whatever module it belongs to."""
    for name, param in module.named_parameters():
        if "weight" in name:
            nn.init.normal_(param, mean=0, std=std)
        elif "bias" in name:
            nn.init.constant_(param, val=0)

# %% ex04_init_normal wrong bias=False
def init_normal_(module, std=0.01):
    """Forgets that a Linear built with bias=False has bias None."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=std)
        nn.init.zeros_(module.bias)

# %% ex04_init_normal wrong subclass
def init_normal_(module, std=0.01):
    """An exact type test skips subclasses of nn.Linear."""
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

# %% ex04_init_normal wrong class name
def init_normal_(module, std=0.01):
    """The class-name test of a widely copied recipe: also catches modules that merely have 'Linear' in their name."""
    classname = module.__class__.__name__
    if classname.find("Linear") != -1:
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

# %% ex04_init_normal wrong not the variance
def init_normal_(module, std=0.01):
    """Passes the variance where normal_ wants the standard deviation."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std ** 2)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

# %% ex04_init_normal wrong the std that was passed in
def init_normal_(module, std=0.01):
    """Ignores its std argument."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.01)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

# %% ex04_init_normal wrong replaced
def init_normal_(module, std=0.01):
    """Assigns brand-new Parameters: an optimizer built earlier keeps the old ones."""
    if isinstance(module, nn.Linear):
        module.weight = nn.Parameter(torch.randn_like(module.weight) * std)
        if module.bias is not None:
            module.bias = nn.Parameter(torch.zeros_like(module.bias))

# %% ex04_init_normal wrong bias of
def init_normal_(module, std=0.01):
    """Draws the weight but leaves the bias as it was."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=std)

# %% ex04_init_normal alt
def init_normal_(module, std=0.01):
    """Tensor methods on the parameters themselves, under no_grad."""
    if isinstance(module, nn.Linear):
        with torch.no_grad():
            module.weight.normal_(0, std)
            if module.bias is not None:
                module.bias.zero_()

# %% ex04_init_normal wrong takes 1 positional argument
def init_normal_(module, *, std=0.01):
    """A keyword-only std: init_normal_(layer, 0.5) raises TypeError, yet the contract passes std positionally too."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

# %% ex04_weird_init alt
def weird_init_(tensor):
    """A widely copied recipe's algorithm, under no_grad instead of through .data."""
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor *= (tensor.abs() >= 5).to(tensor.dtype)
    return tensor

# %% ex04_weird_init alt
def weird_init_(tensor):
    """Magnitude, sign and a keep-mask drawn separately, then copied in."""
    with torch.no_grad():
        magnitude = torch.empty_like(tensor).uniform_(5, 10)
        sign = torch.randint(0, 2, tensor.shape, device=tensor.device).to(tensor.dtype) * 2 - 1
        keep = torch.rand_like(tensor) < 0.5
        tensor.copy_(torch.where(keep, sign * magnitude, torch.zeros_like(tensor)))
    return tensor

# %% ex04_weird_init wrong torch.no_grad
def weird_init_(tensor):
    """Fine on a plain tensor, but a Parameter refuses in-place changes while autograd records."""
    tensor.uniform_(-10, 10)
    tensor *= (tensor.abs() >= 5).float()
    return tensor

# %% ex04_weird_init wrong outside [-10, -5]
def weird_init_(tensor):
    """Zeros half of the elements at random, but keeps values from (-5, 5) among the rest."""
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor[torch.rand_like(tensor) < 0.5] = 0
    return tensor

# %% ex04_weird_init wrong in place
def weird_init_(tensor):
    """Builds and returns a new tensor; the argument keeps its old values."""
    values = torch.empty_like(tensor).uniform_(-10, 10)
    return values * (values.abs() >= 5)

# %% ex04_weird_init wrong returned None
def weird_init_(tensor):
    """Right values, but forgets to return the tensor."""
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor.masked_fill_(tensor.abs() < 5, 0)

# %% ex04_weird_init wrong negative
def weird_init_(tensor):
    """Only the positive interval."""
    with torch.no_grad():
        tensor.uniform_(5, 10)
        tensor.masked_fill_(torch.rand_like(tensor) < 0.5, 0)
    return tensor

# %% ex04_weird_init wrong probability 1/2
def weird_init_(tensor):
    """Forgets the zeros."""
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor.copy_(torch.where(tensor.abs() < 5, tensor.sign() * 5 + tensor, tensor))
    return tensor

# %% ex04_weird_init wrong tensor.data
def weird_init_(tensor):
    """The .data of tutorials written for PyTorch 0.4–1.x: right values, but the object returned is not the tensor passed in."""
    data = tensor.data
    data.uniform_(-10, 10)
    data *= (data.abs() >= 5).float()
    return data

# %% ex04_init_model alt
def init_model_(model):
    """apply with a nested function; constant_ for the BatchNorm parameters."""
    def init(m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight, gain=1.0)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0.0)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.weight is not None:
            nn.init.constant_(m.weight, 1.0)
            nn.init.constant_(m.bias, 0.0)
    return model.apply(init)

# %% ex04_init_model alt
import math


def init_model_(model):
    """Hand-written xavier bound, tensor methods under no_grad."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                receptive = m.weight[0][0].numel()
                fan_in, fan_out = m.weight.shape[1] * receptive, m.weight.shape[0] * receptive
                bound = math.sqrt(6 / (fan_in + fan_out))
                m.weight.uniform_(-bound, bound)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
                m.weight.fill_(1)
                m.bias.zero_()
    return model

# %% ex04_init_model wrong running statistics
def init_model_(model):
    """reset_parameters() on BatchNorm also throws away its running statistics."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_parameters()
    return model

# %% ex04_init_model wrong leave other modules untouched
def init_model_(model):
    """By parameter name: also hits LayerNorm, Embedding and anything else with a 'weight'."""
    for name, param in model.named_parameters():
        if name.endswith("weight") and param.dim() > 1:
            nn.init.xavier_uniform_(param)
        elif name.endswith("weight"):
            nn.init.ones_(param)
        else:
            nn.init.zeros_(param)
    return model

# %% ex04_init_model wrong return the model
def init_model_(model):
    """Right initialization, forgets to return the model."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

# %% ex04_init_model wrong xavier_uniform_ bound
def init_model_(model):
    """xavier_normal_ instead of xavier_uniform_."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model

# %% ex04_init_model wrong kept its default weights
def init_model_(model):
    """Forgets the convolutions."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model

# %% ex04_init_model wrong subclass
def init_model_(model):
    """Exact type tests skip subclasses of nn.Linear."""
    for m in model.modules():
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif type(m) in (nn.BatchNorm1d, nn.BatchNorm2d) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model

# %% ex04_init_model wrong affine=False
def init_model_(model):
    """Forgets that a BatchNorm built with affine=False has no weight or bias."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model

# %% ex04_init_model wrong isinstance
def init_model_(model):
    """The class-name dispatch of a widely copied recipe: 'Conv' also matches Conv1d and containers named ConvBlock."""
    for m in model.modules():
        classname = m.__class__.__name__
        if classname.find("Conv") != -1 or classname.find("Linear") != -1:
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif classname.find("BatchNorm") != -1 and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model

# %% ex04_init_model wrong bias of
def init_model_(model):
    """Initializes the weights but leaves the biases of Linear and Conv2d as they were."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model
