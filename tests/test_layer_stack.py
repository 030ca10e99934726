import keras
import pytest

from cnn_core.keras_code.book_models import cats_vs_dogs_convnet, mnist_convnet, vgg16_conv_base
from cnn_core.keras_code.keras_build import build_keras_model, keras_vgg16_base, summarize
from cnn_core.keras_code.layer_stack import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    StackError,
    analyze_stack,
    freeze_all_but_last,
)

STACKS = {
    "mnist-convnet": (mnist_convnet(True).input_shape, mnist_convnet(True).layers),
    "mnist-no-pooling": (mnist_convnet(False).input_shape, mnist_convnet(False).layers),
    "cats-vs-dogs": (cats_vs_dogs_convnet().input_shape, cats_vs_dogs_convnet().layers),
    "cats-vs-dogs-dropout-150": (cats_vs_dogs_convnet(150, True).input_shape, cats_vs_dogs_convnet(150, True).layers),
    "mixed": (
        (32, 30, 3),
        (
            Conv2D(8, (3, 5), strides=2, padding="same", use_bias=False),
            BatchNormalization(),
            AveragePooling2D(3, strides=1, padding="same"),
            Conv2D(4, 3, dilation_rate=2, activation="relu"),
            MaxPooling2D(2, padding="same"),
            GlobalAveragePooling2D(),
            Dense(7, use_bias=False),
            Dropout(0.3),
            Dense(2, activation="softmax"),
        ),
    ),
}


@pytest.mark.parametrize("key", list(STACKS))
def test_every_layer_matches_keras(key):
    input_shape, layers = STACKS[key]
    report = analyze_stack(input_shape, layers)
    model = build_keras_model(input_shape, layers)
    keras_summary = summarize(model)
    assert [r.output_shape for r in report.rows] == [info.output_shape for info in keras_summary.layers]
    assert [r.params for r in report.rows] == [info.params for info in keras_summary.layers]
    assert [r.name for r in report.rows] == [info.name for info in keras_summary.layers]
    assert report.total_params == model.count_params()
    assert sum(r.trainable_weight_tensors for r in report.rows) == len(model.trainable_weights)
    assert report.trainable_params == sum(int(w.numpy().size) for w in model.trainable_weights)


def test_book_totals_and_formulas():
    with_pool = analyze_stack((28, 28, 1), mnist_convnet(True).layers)
    without = analyze_stack((28, 28, 1), mnist_convnet(False).layers)
    assert with_pool.total_params == 104_202
    assert without.total_params == 712_202
    assert with_pool.rows[0].formula == "(3*3*1+1)*32 = 320"
    assert with_pool.rows[-2].shape_note == "3*3*128 = 1,152"
    assert with_pool.rows[-1].formula == "(1,152+1)*10 = 11,530"
    assert analyze_stack((180, 180, 3), cats_vs_dogs_convnet().layers).total_params == 991_041


@pytest.mark.parametrize("unfrozen,expected", [(None, 26), (0, 0), (4, 6)], ids=["unfrozen", "frozen", "last-4"])
def test_vgg16_trainable_tensors_match_keras(unfrozen, expected):
    base = vgg16_conv_base(180)
    flags = freeze_all_but_last(len(base.layers), unfrozen)
    report = analyze_stack(base.input_shape, base.layers, flags)
    assert report.total_params == 14_714_688
    assert report.output_shape == (5, 5, 512)
    ours = sum(r.trainable_weight_tensors for r in report.rows)
    assert ours == expected
    keras_summary = summarize(keras_vgg16_base(180), unfrozen)
    assert keras_summary.trainable_weight_tensors == expected
    assert [r.name for r in report.rows] == [info.name for info in keras_summary.layers]
    assert [r.output_shape for r in report.rows] == [info.output_shape for info in keras_summary.layers]


@pytest.mark.parametrize(
    "layers,index,code",
    [
        ((Flatten(), Conv2D(8, 3)), 1, "bad_rank"),
        ((Conv2D(8, 3), Conv2D(8, 3), MaxPooling2D(2), Conv2D(8, 5)), 3, "kernel_too_large"),
        ((MaxPooling2D(16),), 0, "kernel_too_large"),
        ((Dropout(1.5),), 0, "bad_rate"),
        ((Conv2D(8, 3, strides=2, dilation_rate=2),), 0, "stride_and_dilation"),
        ((Dense(0),), 0, "not_positive"),
    ],
    ids=["conv-after-flatten", "kernel-too-large", "pool-too-large", "bad-dropout", "stride-dilation", "zero-units"],
)
def test_invalid_stacks_name_the_layer(layers, index, code):
    with pytest.raises(StackError) as err:
        analyze_stack((10, 10, 1), layers)
    assert err.value.index == index
    assert err.value.code == code


def test_keras_agrees_that_invalid_stack_is_invalid():
    with pytest.raises(ValueError):
        build_keras_model((10, 10, 1), (Conv2D(8, 3), Conv2D(8, 3), MaxPooling2D(2), Conv2D(8, 5)))


def test_frozen_layers_keep_params_but_not_trainable():
    base = vgg16_conv_base(64)
    report = analyze_stack(base.input_shape, base.layers, freeze_all_but_last(len(base.layers), 0))
    assert report.trainable_params == 0 and report.total_params == 14_714_688
    assert keras.applications.VGG16 is not None
