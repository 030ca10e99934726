"""Read a legacy-format PyTorch ``.pth`` state dict into NumPy arrays, without torch and without trusting it.

The legacy format (``torch.save`` before 1.6, ``_use_new_zipfile_serialization=False``) is five
pickles in a row - magic number, protocol version, system info, the object, the storage keys -
followed by each storage's raw bytes (an 8-byte element count, then the data). The object pickle
is read by an unpickler that resolves only the globals a plain state dict needs
(``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the storage types) to
harmless stand-ins; any other global is refused, so loading cannot run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The file asks for a global outside the allow-list (or is not a legacy state dict)."""


@dataclass(frozen=True)
class _StorageRef:
    dtype_name: str
    key: str
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_ignored) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return name
        raise UnsafeCheckpointError(f"Refusing to load global {module}.{name} from a checkpoint")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and pid[1] in STORAGE_DTYPES):
            raise UnsafeCheckpointError(f"Unexpected persistent id {pid!r}")
        return _StorageRef(pid[1], str(pid[2]), int(pid[4]))


def _safe_load(fh: io.BufferedReader):
    return _RestrictedUnpickler(fh).load()


def read_legacy_state_dict(path: Path | str) -> dict[str, np.ndarray]:
    """``{name: array}`` from a legacy ``.pth`` state dict (tensors copied out, C-contiguous)."""
    with Path(path).open("rb") as fh:
        if _safe_load(fh) != LEGACY_MAGIC:
            raise UnsafeCheckpointError(f"{path} is not a legacy-format PyTorch file")
        _safe_load(fh)  # protocol version
        sys_info = _safe_load(fh)
        if not sys_info.get("little_endian", True):
            raise UnsafeCheckpointError("big-endian checkpoints are not supported")
        state = _safe_load(fh)
        keys = _safe_load(fh)
        if not isinstance(state, dict) or not isinstance(keys, list):
            raise UnsafeCheckpointError(f"{path} does not hold a state dict")
        storages: dict[str, np.ndarray] = {}
        refs = {t.storage.key: t.storage for t in state.values() if isinstance(t, _TensorRef)}
        for key in keys:
            (count,) = struct.unpack("<q", fh.read(8))
            ref = refs.get(str(key))
            dtype = np.dtype(STORAGE_DTYPES[ref.dtype_name] if ref else np.float32)
            storages[str(key)] = np.frombuffer(fh.read(count * dtype.itemsize), dtype=dtype, count=count)
    out = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            continue
        data = storages[ref.storage.key]
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[ref.offset :], shape=ref.size, strides=tuple(s * itemsize for s in ref.stride)
        )
        out[name] = np.array(view)
    return out
