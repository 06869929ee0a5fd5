"""Chapter 3's live explorers (`rectifiers.widgets.dying`): they draw without a frontend and train into a temporary
store, never into results/."""

from __future__ import annotations

import pytest

from rectifiers.data import load_dataset
from rectifiers.experiments import dying
from rectifiers.widgets import dying as dying_widgets


@pytest.fixture(scope="module")
def sweep():
    return dying.load_stored_results("results/dying")["training"]


def test_explorers_draw_without_a_frontend(sweep):
    box = dying_widgets.born_dead_explorer(n_networks=50, max_depth=5)
    assert box.output.outputs and "text/html" in box.output.outputs[0]["data"]
    run = sweep[0]
    box = dying_widgets.training_explorer(None, initial=run)  # drawn from the run: nothing trains
    assert box.output.outputs and run.label in str(box.output.outputs[0]["data"])


def test_a_new_setting_trains_into_the_explorers_temporary_store():
    data = load_dataset("mnist", n_train=64, n_test=64, seed=0)
    box = dying_widgets.training_explorer(data, epochs=1, mlp_depth=2, mlp_width=8)  # trains α = 0 at once
    assert len(list((box.store.runs_dir).glob("*.json"))) == 1 and "ReLU" in str(box.output.outputs[0]["data"])
    box.alpha.value = 0.1
    box.updates.wait()
    assert box.busy.value == "" and len(list((box.store.runs_dir).glob("*.json"))) == 2
    assert "Leaky ReLU" in str(box.output.outputs[0]["data"])


def test_bad_settings_name_the_parameter():
    with pytest.raises(ValueError, match="n_networks"):
        dying_widgets.born_dead_explorer(n_networks=1)
    with pytest.raises(ValueError, match="epochs"):
        dying_widgets.training_explorer(None, epochs=0)
