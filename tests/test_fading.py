"""Chapter 5's explanation of RAI's collapse at 50×16: the signal fades at initialisation, no layer dies."""

import numpy as np
import pytest

from rectifiers.experiments import fading


@pytest.fixture(scope="module")
def images():
    return fading.sample_images(64)


def test_rai_keeps_units_alive_but_fades_faster_than_he(images):
    table = fading.initial_fading(images, widths=(16,), depth=30, networks=60).set_index("init")
    assert table.loc["rai", "dead"] == 0.0  # the positive entry keeps every layer alive
    assert table.loc["rai", "gain"] < table.loc["he", "gain"] - 0.05  # ... but the differences shrink faster
    assert table.loc["rai_symmetric", "gain"] < table.loc["rai", "gain"]  # its scale alone shrinks them faster still
    assert table.loc["rai", "spread"] < table.loc["he", "spread"]


def test_layer_spreads_match_a_direct_forward_pass(images):
    spreads = fading.layer_spreads(images, "he", width=4, depth=3, networks=2, seed=5)
    rng = np.random.default_rng(5)
    h = np.broadcast_to(images.astype(np.float64), (2, *images.shape))
    for layer in range(3):
        fan = h.shape[-1]
        w = rng.standard_normal((2, fan + 1, 4)) * np.sqrt(2.0 / fan)
        h = np.maximum(np.einsum("nbi,nio->nbo", h, w[:, :-1]), 0.0)
        np.testing.assert_allclose(spreads[layer], h.std(axis=1).max(axis=1))


def test_the_sentence_states_the_measured_numbers(images):
    table = fading.initial_fading(images, widths=(16,), depth=20, networks=20)
    sentence = fading.fading_sentence(table, 16)
    rai = table[table.init == "rai"].iloc[0]
    assert f"{rai.gain:.2f}" in sentence and "20 layers of 16 units" in sentence and "0.6007" in sentence


def test_bad_settings_name_the_parameter(images):
    with pytest.raises(ValueError, match="init"):
        fading.layer_spreads(images, "xavier", width=4, depth=3, networks=2)
    with pytest.raises(ValueError, match="depth"):
        fading.initial_fading(images, depth=5)
