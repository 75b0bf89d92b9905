"""The course's contract: nine lessons, in order, and the exercises each one grades.

Mirrors the exercise table of the course specification; ``tests/test_spec.py`` holds
every notebook against it so CI needs nothing outside the repository.
"""
from __future__ import annotations

LESSONS: dict[str, dict] = {
    "01_module_construction": {
        "title": "Module construction",
        "teaches": "subclassing nn.Module, __init__/forward/__call__, a hand-made Sequential, "
                   "control flow and constant state, nesting",
        "exercises": {"ex01_mlp": 3, "ex01_my_sequential": 3, "ex01_fixed_hidden_mlp": 3},
    },
    "02_containers": {
        "title": "Containers",
        "teaches": "Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict; why a plain "
                   "list or dict registers nothing",
        "exercises": {"ex02_stacked_linear": 3, "ex02_head_selector": 3, "ex02_chained_matmul": 3},
    },
    "03_parameters_and_buffers": {
        "title": "Parameters and buffers",
        "teaches": "Parameter vs buffer vs plain tensor, __setattr__ registration, named_parameters/"
                   "children/modules, state_dict contents, persistent=False",
        "exercises": {"ex03_count_parameters": 2, "ex03_parameter_table": 2, "ex03_running_mean": 3},
    },
    "04_initialization": {
        "title": "Initialization",
        "teaches": "torch.nn.init, apply, isinstance dispatch, custom in-place init under no_grad, "
                   "reset_parameters, lazy modules",
        "exercises": {"ex04_init_normal": 2, "ex04_weird_init": 2, "ex04_init_model": 3},
    },
    "05_parameter_sharing": {
        "title": "Parameter sharing",
        "teaches": "one module used twice, tied weights, gradient accumulation on shared parameters, "
                   "counting unique parameters",
        "exercises": {"ex05_shared_net": 2, "ex05_tied_autoencoder": 3},
    },
    "06_custom_layers": {
        "title": "Custom layers",
        "teaches": "layers with and without parameters, extra_repr, nn.Xxx vs nn.functional, the "
                   "dropout-in-eval pitfall",
        "exercises": {"ex06_centered": 2, "ex06_my_linear": 4, "ex06_dropout_mlp": 3},
    },
    "07_saving_and_loading": {
        "title": "Saving and loading",
        "teaches": "torch.save/load, state_dict vs whole model, weights_only, checkpoints with "
                   "optimizer state, strict and partial loading, map_location",
        "exercises": {"ex07_checkpoint": 4, "ex07_strip_prefix": 2, "ex07_load_matching": 3},
    },
    "08_gpu_placement": {
        "title": "GPU placement",
        "teaches": "devices, .to(device), device-agnostic code, the same-device rule, state that "
                   ".to() leaves behind, loading across devices, DataParallel vs DDP",
        "exercises": {"ex08_move_to": 3, "ex08_stray_state": 3, "ex08_placed_scaler": 3},
    },
    "09_optimizers_and_parameters": {
        "title": "Optimizers and parameters",
        "teaches": "freezing with requires_grad, per-layer learning rates with param groups, "
                   "learning-rate schedulers",
        "exercises": {"ex09_freeze": 2, "ex09_param_groups": 3, "ex09_lr_schedule": 2},
    },
}


def exercises(slug: str) -> dict[str, int]:
    """Exercise id -> points for one lesson, in notebook order."""
    return dict(LESSONS[slug]["exercises"])


def lesson_of(exercise_id: str) -> str:
    """The slug of the lesson that grades ``exercise_id`` (``"ex02_…"`` -> ``"02_containers"``)."""
    number = exercise_id[2:4]
    for slug in LESSONS:
        if slug.startswith(number):
            return slug
    raise KeyError(exercise_id)
