"""What the code reader, the counter and the code writer know of each Keras layer kind, in one place.

Each kind's shape and parameter rules are its spec class in :mod:`cnn_core.keras_code.layer_stack`
(``output_shape``, ``params``, like Keras's ``compute_output_shape`` beside ``build``); this module holds the rest:
Keras 3's constructor signature (for binding arguments as Keras does), the arguments without a default, the
arguments generated code always writes out, and Keras's aliases. Adding a layer kind: its spec class, one
:class:`LayerInfo` entry in :data:`LAYERS`, and its tests (README, "Adding a layer kind").
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.keras_code import layer_stack as ls
from cnn_core.keras_code.layer_stack import LayerSpec

ACTIVATIONS = frozenset(
    {"relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "swish", "silu", "relu6", "softplus"}
)


@dataclass(frozen=True)
class LayerInfo:
    """One Keras layer kind: what binding, checking, counting and writing code need to know of it."""

    spec: type[LayerSpec]
    """The spec class: the layer's arguments with Keras's defaults, its output shape and parameter rules."""
    signature: tuple[str, ...]
    """Keras 3's constructor parameters in positional order (checked against ``inspect.signature`` in the tests)."""
    required: tuple[str, ...] = ()
    """Parameters without a default in Keras: leaving one out is Keras's TypeError."""
    written: tuple[str, ...] | None = None
    """Arguments generated code always writes out, positionally (default: ``required``)."""
    aliases: tuple[str, ...] = ()
    """Other names Keras exports for the class (``MaxPool2D``)."""
    in_editor_menu: bool = False
    """Offered by the parameter page's "add a layer" menu."""
    argument_types: tuple[tuple[str, str], ...] = ()
    """This kind's exceptions to :data:`ARGUMENT_TYPES` (``(("scale", "bool"),)`` for the normalization layers)."""

    def argument_type(self, argument: str) -> str | None:
        """How a known value of ``argument`` is checked: a key of :data:`ARGUMENT_TYPES`' values, or ``None``."""
        return dict(self.argument_types).get(argument, ARGUMENT_TYPES.get(argument))

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def positional(self) -> tuple[str, ...]:
        return self.required if self.written is None else self.written


LAYERS: dict[str, LayerInfo] = {
    info.kind: info
    for info in (
        LayerInfo(ls.Rescaling, signature=("scale", "offset"), required=("scale",), in_editor_menu=True, argument_types=(("scale", "number"),)),
        LayerInfo(ls.Conv1D, signature=("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("Convolution1D",), argument_types=(("padding", "padding_causal"),)),
        LayerInfo(ls.Conv2D, signature=("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("Convolution2D",), in_editor_menu=True),
        LayerInfo(ls.SeparableConv2D, signature=("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("SeparableConvolution2D",)),
        LayerInfo(ls.DepthwiseConv2D, signature=("kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "bias_constraint"), required=("kernel_size",)),
        LayerInfo(ls.MaxPooling1D, signature=("pool_size", "strides", "padding", "data_format", "name"), aliases=("MaxPool1D",)),
        LayerInfo(ls.AveragePooling1D, signature=("pool_size", "strides", "padding", "data_format", "name"), required=("pool_size",), aliases=("AvgPool1D",)),
        LayerInfo(ls.MaxPooling2D, signature=("pool_size", "strides", "padding", "data_format", "name"), written=("pool_size",), aliases=("MaxPool2D",), in_editor_menu=True),
        LayerInfo(ls.AveragePooling2D, signature=("pool_size", "strides", "padding", "data_format", "name"), required=("pool_size",), aliases=("AvgPool2D",), in_editor_menu=True),
        LayerInfo(ls.GlobalAveragePooling1D, signature=("data_format", "keepdims"), aliases=("GlobalAvgPool1D",)),
        LayerInfo(ls.GlobalMaxPooling1D, signature=("data_format", "keepdims"), aliases=("GlobalMaxPool1D",)),
        LayerInfo(ls.GlobalAveragePooling2D, signature=("data_format", "keepdims"), aliases=("GlobalAvgPool2D",), in_editor_menu=True),
        LayerInfo(ls.GlobalMaxPooling2D, signature=("data_format", "keepdims"), aliases=("GlobalMaxPool2D",)),
        LayerInfo(ls.Flatten, signature=("data_format",), in_editor_menu=True),
        LayerInfo(ls.Dense, signature=("units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank", "lora_alpha", "quantization_config"), required=("units",), in_editor_menu=True),
        LayerInfo(ls.Dropout, signature=("rate", "noise_shape", "seed"), required=("rate",), in_editor_menu=True),
        LayerInfo(ls.SpatialDropout2D, signature=("rate", "data_format", "seed", "name", "dtype"), required=("rate",)),
        LayerInfo(ls.GaussianNoise, signature=("stddev", "seed"), required=("stddev",)),
        LayerInfo(ls.GaussianDropout, signature=("rate", "seed"), required=("rate",)),
        LayerInfo(ls.BatchNormalization, signature=("axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum", "synchronized"), in_editor_menu=True, argument_types=(("scale", "bool"),)),
        LayerInfo(ls.LayerNormalization, signature=("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"), argument_types=(("scale", "bool"),)),
        LayerInfo(ls.Conv2DTranspose, signature=("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("Convolution2DTranspose",)),
        LayerInfo(ls.Conv1DTranspose, signature=("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("Convolution1DTranspose",), argument_types=(("padding", "padding"),)),
        LayerInfo(ls.Conv3D, signature=("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"), required=("filters", "kernel_size"), aliases=("Convolution3D",)),
        LayerInfo(ls.MaxPooling3D, signature=("pool_size", "strides", "padding", "data_format", "name"), aliases=("MaxPool3D",)),
        LayerInfo(ls.AveragePooling3D, signature=("pool_size", "strides", "padding", "data_format", "name"), required=("pool_size",), aliases=("AvgPool3D",)),
        LayerInfo(ls.GlobalAveragePooling3D, signature=("data_format", "keepdims"), aliases=("GlobalAvgPool3D",)),
        LayerInfo(ls.GlobalMaxPooling3D, signature=("data_format", "keepdims"), aliases=("GlobalMaxPool3D",)),
        LayerInfo(ls.Cropping1D, signature=("cropping",)),
        LayerInfo(ls.Cropping2D, signature=("cropping", "data_format")),
        LayerInfo(ls.UpSampling1D, signature=("size",), argument_types=(("size", "int"),)),
        LayerInfo(ls.ZeroPadding1D, signature=("padding", "data_format"), argument_types=(("padding", "any"),)),
        LayerInfo(ls.PReLU, signature=("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes")),
        LayerInfo(ls.Embedding, signature=("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint", "mask_zero", "weights", "lora_rank", "lora_alpha", "quantization_config"), required=("input_dim", "output_dim"), argument_types=(("input_dim", "int"), ("output_dim", "int"))),
        LayerInfo(ls.SimpleRNN, signature=("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "seed"), required=("units",), argument_types=(("return_sequences", "bool"),)),
        LayerInfo(ls.LSTM, signature=("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "use_cudnn"), required=("units",), argument_types=(("return_sequences", "bool"),)),
        LayerInfo(ls.GRU, signature=("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "reset_after", "use_cudnn"), required=("units",), argument_types=(("return_sequences", "bool"), ("reset_after", "bool"))),
        LayerInfo(ls.Permute, signature=("dims",), required=("dims",)),
        LayerInfo(ls.RepeatVector, signature=("n",), required=("n",), argument_types=(("n", "int"),)),
        LayerInfo(ls.Normalization, signature=("axis", "mean", "variance", "invert"), argument_types=(("axis", "any"), ("mean", "any"), ("variance", "any"))),
        LayerInfo(ls.Resizing, signature=("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias", "data_format"), required=("height", "width")),
        LayerInfo(ls.CenterCrop, signature=("height", "width", "data_format"), required=("height", "width")),
        LayerInfo(ls.RandomCrop, signature=("height", "width", "seed", "data_format", "name"), required=("height", "width")),
        LayerInfo(ls.RandomFlip, signature=("mode", "seed", "data_format")),
        LayerInfo(ls.RandomRotation, signature=("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), required=("factor",)),
        LayerInfo(ls.RandomZoom, signature=("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), required=("height_factor",)),
        LayerInfo(ls.RandomTranslation, signature=("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), required=("height_factor", "width_factor")),
        LayerInfo(ls.RandomContrast, signature=("factor", "value_range", "seed"), required=("factor",)),
        LayerInfo(ls.RandomBrightness, signature=("factor", "value_range", "seed"), required=("factor",)),
        LayerInfo(ls.ZeroPadding2D, signature=("padding", "data_format"), argument_types=(("padding", "any"),)),
        LayerInfo(ls.UpSampling2D, signature=("size", "data_format", "interpolation")),
        LayerInfo(ls.Activation, signature=("activation",), required=("activation",)),
        LayerInfo(ls.ReLU, signature=("max_value", "negative_slope", "threshold")),
        LayerInfo(ls.LeakyReLU, signature=("negative_slope",)),
        LayerInfo(ls.ELU, signature=("alpha",)),
        LayerInfo(ls.Softmax, signature=("axis",)),
        LayerInfo(ls.Reshape, signature=("target_shape",), required=("target_shape",)),
        LayerInfo(ls.Identity, signature=()),
        LayerInfo(ls.ActivityRegularization, signature=("l1", "l2")),
        LayerInfo(ls.Add, signature=()),
        LayerInfo(ls.Subtract, signature=()),
        LayerInfo(ls.Multiply, signature=()),
        LayerInfo(ls.Average, signature=()),
        LayerInfo(ls.Maximum, signature=()),
        LayerInfo(ls.Minimum, signature=()),
        LayerInfo(ls.Concatenate, signature=("axis",)),
    )
}  # fmt: skip
"""Every layer kind the code reader knows, in one entry each."""

KERAS_SIGNATURES: dict[str, tuple[str, ...]] = {kind: info.signature for kind, info in LAYERS.items()}
REQUIRED_ARGUMENTS: dict[str, tuple[str, ...]] = {kind: info.required for kind, info in LAYERS.items() if info.required}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    kind: info.positional for kind, info in LAYERS.items() if info.positional
}
LAYER_ALIASES: dict[str, str] = {alias: info.kind for info in LAYERS.values() for alias in info.aliases}
ALL_LAYER_TYPES: dict[str, type[LayerSpec]] = {kind: info.spec for kind, info in LAYERS.items()}
LAYER_TYPES: dict[str, type[LayerSpec]] = {kind: info.spec for kind, info in LAYERS.items() if info.in_editor_menu}
"""The kinds the parameter page's "add a layer" menu offers."""

ARGUMENT_TYPES: dict[str, str] = {
    "activation": "activation", "padding": "padding",
    "use_bias": "bool", "center": "bool", "keepdims": "bool",
    "rate": "number", "offset": "number", "stddev": "number", "negative_slope": "number", "alpha": "number",
    "threshold": "number", "l1": "number", "l2": "number",
    "filters": "int", "units": "int", "height": "int", "width": "int", "depth_multiplier": "int", "axis": "int",
}  # fmt: skip
"""How Keras checks an argument of any layer, by its name: "bool", "number", "int", "activation" (a name
``keras.activations.get`` knows), "padding" ("valid" or "same"), "padding_causal" (or "causal"), "any" (not
checked); arguments not named here are checked only for being literals. A kind's exceptions are in its entry."""

BASE_LAYER_ARGUMENTS = frozenset(
    {"name", "dtype", "trainable", "autocast", "activity_regularizer", "input_shape", "input_dim"}
)
"""Keyword arguments every Keras 3 layer takes (``keras.layers.Layer.__init__``)."""

MERGE_FUNCTIONS = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average",
    "maximum": "Maximum", "minimum": "Minimum", "concatenate": "Concatenate",
}  # fmt: skip
KNOWN_UNSUPPORTED_LAYERS = frozenset(
    {
        "Bidirectional", "TimeDistributed", "Conv3DTranspose", "MultiHeadAttention", "Attention", "Lambda",
        "TextVectorization", "ConvLSTM2D", "Discretization", "CategoryEncoding", "StringLookup", "IntegerLookup",
        "Hashing",
    }
)  # fmt: skip
EXTRA_ACTIVATIONS = frozenset(
    {
        "leaky_relu", "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "exponential", "mish", "log_softmax",
        "celu", "glu", "squareplus", "sparse_plus", "log_sigmoid", "hard_tanh", "tanh_shrink", "soft_shrink",
        "hard_shrink", "sparsemax",
    }
)  # fmt: skip
KERAS_ACTIVATIONS = ACTIVATIONS | EXTRA_ACTIVATIONS
"""Activation names ``keras.activations.get`` accepts (checked in the tests)."""


def supported_layers() -> str:
    return ", ".join(sorted(set(KERAS_SIGNATURES) | set(LAYER_ALIASES)))
