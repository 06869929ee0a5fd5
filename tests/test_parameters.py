"""Notebook parameter checks: unknown names and wrong types fail with messages that name them."""

import math
from typing import Literal

import pytest

from rectifiers.parameters import ParameterError, check_parameters, matches


def test_accepts_declared_values_and_ignores_modules_and_private_names():
    import math

    values = check_parameters({"depth": int, "alphas": list[float]}, {"depth": 3, "alphas": [0.1, 1], "math": math, "_x": 1})
    assert values == {"depth": 3, "alphas": [0.1, 1]}


def test_unknown_parameter_is_named_with_the_allowed_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'deph'.*depth, alpha"):
        check_parameters({"depth": int, "alpha": float}, {"depth": 3, "alpha": 0.1, "deph": 4})


def test_wrong_type_names_parameter_and_type():
    with pytest.raises(ParameterError, match=r"'alphas' must be list\[float\]; got str '\[0.1\]'.*-y"):
        check_parameters({"alphas": list[float]}, {"alphas": "[0.1]"})
    with pytest.raises(ParameterError, match="'depth' must be int; got float 2.5"):
        check_parameters({"depth": int}, {"depth": 2.5})


@pytest.mark.parametrize(
    "value, hint, ok",
    [
        (1, float, True), (True, int, False), (1.0, int, False), ("relu", Literal["relu", "tanh"], True),
        ("elu", Literal["relu", "tanh"], False), (None, int | None, True), ([1, 2], list[int], True),
        ([1, "a"], list[int], False), ({"a": 1.0}, dict[str, float], True), ("x", str, True),
    ],
)
def test_matches(value, hint, ok):
    assert matches(value, hint) is ok


# --- ranges: every chapter parameter checked in the first cells, under its own name -------------------------------

import nbformat  # noqa: E402

from rectifiers import chapter_parameters  # noqa: E402
from rectifiers.parameters import KerasBackend, OneOf, Range, installed_backends  # noqa: E402
from tests.conftest import NOTEBOOKS  # noqa: E402

CHAPTERS = sorted(chapter_parameters.RULES)


def defaults(notebook: str) -> tuple[dict, dict]:
    """A chapter's declared parameters: (annotations, default values), from its `parameters` cell."""
    cell = next(c for c in nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", 4).cells
                if "parameters" in c.metadata.get("tags", []))
    namespace = {}
    exec(cell.source, namespace)
    annotations = namespace.pop("__annotations__")
    return annotations, {k: v for k, v in namespace.items() if k in annotations}


def check(notebook: str, **changes) -> dict:
    annotations, values = defaults(notebook)
    return check_parameters(annotations, {**values, **changes}, rules=chapter_parameters.RULES[notebook])


@pytest.mark.parametrize("notebook", CHAPTERS)
def test_every_parameter_has_a_rule_and_the_defaults_pass(notebook):
    annotations, _ = defaults(notebook)
    assert set(annotations) == set(chapter_parameters.RULES[notebook])
    check(notebook)
    source = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", 4).cells[2].source
    assert f"chapter_parameters.RULES[{notebook!r}]" in source  # the check cell right after the parameters


@pytest.mark.parametrize("notebook", ["01_activation_functions", "02_saturation_gradients", "04_cnn_comparison"])
def test_a_slope_above_1_fails_in_the_check_cell(notebook):
    with pytest.raises(ParameterError, match=r"parameter 'alpha' must be between 0 and 1 .*got 1.5"):
        check(notebook, alpha=1.5)


@pytest.mark.parametrize("notebook, name, value, words", [
    ("01_activation_functions", "timing_repeats", 0, "between 1 and"),
    ("01_activation_functions", "timing_size", 1000, "multiple of 1,024"),
    ("01_activation_functions", "zero_images", 0, "between 1 and 10000"),
    ("01_activation_functions", "seed", -1, ">= 0"),
    ("01_activation_functions", "x_range", [4.0, -4.0], "strictly increasing"),
    ("02_saturation_gradients", "train_batch", 5000, "(n_train)"),
    ("02_saturation_gradients", "activations", ["relu", "relux"], "'leaky_relu'"),
    ("02_saturation_gradients", "n_probe", 0, "between 1 and 10000"),
    ("03_dying_relu", "recompute_settings", {"n_trian": 5}, "unknown key(s) 'n_trian'"),
    ("03_dying_relu", "explorer_images", 10, "between 50 and"),
    ("04_cnn_comparison", "until_epoch", 2000, "(the largest of epochs)"),
    ("04_cnn_comparison", "n_test", -1, "between 0 and 10000"),
    ("04_cnn_comparison", "replication_seed", 7, "(from seeds)"),
    ("04_cnn_comparison", "seeds", [0, 0], "without repeats"),
    ("04_cnn_comparison", "dataset", "cifar10", "'fashion_mnist'"),
])
def test_out_of_range_values_are_named_with_their_range(notebook, name, value, words):
    with pytest.raises(ParameterError) as error:
        check(notebook, **{name: value})
    message = str(error.value)
    # Named as the notebook names it (not "repeats", "n_test", "seed" of the code below), with its range.
    assert message.startswith(f"parameter {name!r} ") and words in message


@pytest.mark.parametrize("change", [
    dict(depth=0), dict(activations=["relu", "softsign"]), dict(activations=[]), dict(alpha=math.inf),
    dict(alpha=math.nan), dict(n_probe=0), dict(n_train=0), dict(train_batch=5000), dict(seeds=[]),
    dict(chain_starts=[]), dict(learning_rate=-1.0), dict(saturation_learning_rate=0.0), dict(train_epochs=0),
    dict(saturation_epochs=0),
])
def test_chapter_2_s_settings_have_one_set_of_rules(change):
    # Chapter 2's values are checked by its rules alone (no second check in the chapter's code).
    (name,) = change
    with pytest.raises(ParameterError, match=f"^parameter {name!r} "):
        check("02_saturation_gradients", **change)


def test_a_backend_that_is_not_installed_says_which_are():
    missing = next((b for b in ("jax", "torch") if b not in installed_backends()), None)
    if missing is None:
        pytest.skip("every Keras backend is installed here")
    with pytest.raises(ParameterError, match=rf"'backend' names a backend whose package is not installed here: "
                                             rf"installed are 'tensorflow'.*install '{missing}'"):
        check("04_cnn_comparison", backend=missing)
    with pytest.raises(ParameterError, match="must be one of Keras' backends"):
        check("04_cnn_comparison", backend="mxnet")


def test_rules_read_other_parameters_and_lists_item_by_item():
    rules = {"n": Range(1, None), "batch": Range(1, "n"), "xs": Range(0, 1, min_items=2), "pick": OneOf("xs")}
    hints = {"n": int, "batch": int, "xs": list[float], "pick": float}
    ok = {"n": 10, "batch": 10, "xs": [0.0, 0.5], "pick": 0.5}
    assert check_parameters(hints, ok, rules=rules) == ok
    with pytest.raises(ParameterError, match=r"'xs' must be a list of numbers between 0 and 1, at least 2"):
        check_parameters(hints, {**ok, "xs": [0.5]}, rules=rules)
    with pytest.raises(TypeError, match="no rule for parameter"):
        check_parameters(hints, ok, rules={"n": Range(1)})
    assert KerasBackend().problem("tensorflow", {}) is None


def test_the_rules_datasets_match_the_package():
    from rectifiers.data import DATASETS

    assert chapter_parameters.DATASETS == DATASETS


STORE_PARAMETERS = [("02_saturation_gradients", "runs_dir", "recompute", True),
                    ("03_dying_relu", "runs_dir", "recompute", True),
                    ("03_dying_relu", "results_dir", "recompute", True),
                    ("04_cnn_comparison", "results_dir", "mode", "train"),
                    ("05_where_leaky_relu_wins", "runs_dir", "mode", "train"),
                    ("05_1_gan_discriminators", "results_dir", "mode", "train"),
                    ("06_harder_data_and_family", "results_dir", "mode", "train"),
                    ("07_decision_guide", "results_dir", None, None),
                    ("08_modern_networks", "results_dir", "mode", "train")]


@pytest.mark.parametrize("notebook, name, switch, writes", STORE_PARAMETERS)
def test_a_store_parameter_that_is_not_a_folder_is_refused_before_any_work(notebook, name, switch, writes,
                                                                             tmp_path):
    with pytest.raises(ParameterError, match=rf"parameter {name!r} must be an existing folder .*/nonexistent "
                                             "does not exist"):
        check(notebook, **{name: "/nonexistent"})
    (tmp_path / "file").write_text("")
    with pytest.raises(ParameterError, match=rf"parameter {name!r} .* is not a folder"):
        check(notebook, **{name: str(tmp_path / "file")})
    check(notebook, **{name: str(tmp_path)})
    if switch is not None:  # a folder nobody may write into (even root): fine to read, refused to train into
        check(notebook, **{name: "/sys"})
        with pytest.raises(ParameterError, match=rf"parameter {name!r} must be a folder this chapter can write "
                                                 rf"into when {switch} is {writes!r}: /sys is not writable"):
            check(notebook, **{name: "/sys", switch: writes})
