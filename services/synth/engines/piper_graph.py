"""Edits to piper's VITS graph, made in memory when the voice loads: an input that
scales each phoneme's duration, and a decoder that onnxruntime runs faster.

Both leave what the model says unchanged where they are not asked to change it (a
duration factor of 1; the decoder's samples to within float rounding), which
``tests/synth/test_piper_speaker.py`` checks against the graph as shipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

#: The input added to the model: a duration factor for every phoneme id, (1, 1, n_ids).
DURATION_SCALES = "duration_scales"
#: The name prefix of the HiFi-GAN decoder's nodes in piper's exported graphs.
DECODER_PREFIX = "/dec/"
#: The axis the decoder gains: its (batch, channels, samples) tensors become
#: (batch, channels, 1, samples).
_HEIGHT_AXIS = 2
_AXES = "decoder_height_axis"


def add_duration_scales_input(model: onnx.ModelProto) -> None:
    """Give the VITS model an input that scales each phoneme id's duration.

    The model's durations are ``ceil(exp(logw) * mask * length_scale)``, one per id
    (piper's ``add_alignment_output`` finds the same Ceil); the input multiplies the
    product before the ceiling, so a factor of 1 leaves an id as the model says it.
    """
    import onnx

    ceil = next(node for node in model.graph.node if node.op_type == "Ceil")
    scaled = f"{ceil.input[0]}_scaled"
    model.graph.input.append(
        onnx.helper.make_tensor_value_info(
            DURATION_SCALES, onnx.TensorProto.FLOAT, ["batch_size", 1, "phonemes"]
        )
    )
    position = list(model.graph.node).index(ceil)  # the nodes stay in topological order
    model.graph.node.insert(
        position, onnx.helper.make_node("Mul", [ceil.input[0], DURATION_SCALES], [scaled])
    )
    ceil.input[0] = scaled


def decoder_as_2d(model: onnx.ModelProto) -> int:
    """Run the HiFi-GAN decoder's one-dimensional convolutions as two-dimensional ones
    of height 1; returns how many convolutions were changed (0: the graph is not the
    decoder this expects, and is left as it was).

    onnxruntime's CPU provider has blocked-layout ("NCHWc") kernels for 2-D
    convolutions only; 1-D ones go through im2col and a matrix product. Measured
    2026-12-02 on the 2-core Xeon: a phrase's speech 207 -> 181 ms (-12 %), the samples
    within 3e-7 of the shipped graph's. The decoder takes one tensor from the rest of
    the graph, (1, channels, frames), and ends on a Tanh; it gains the height axis at
    its input and loses it after the Tanh, and its other operations (LeakyRelu, Add,
    Div) work on any shape.
    """
    import onnx

    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    decoder = [node for node in graph.node if node.name.startswith(DECODER_PREFIX)]
    made = {name for node in decoder for name in node.output}
    sources = {
        name
        for node in decoder
        for name in node.input
        if name and name not in made and name not in weights
    }
    convolutions = [node for node in decoder if node.op_type in ("Conv", "ConvTranspose")]
    if (
        len(sources) != 1
        or not decoder
        or decoder[-1].op_type != "Tanh"
        or not all(_is_1d(node, weights) for node in convolutions)
        or any(node.op_type not in _SHAPE_FREE for node in decoder)
    ):
        return 0
    (source,) = sources
    raised = f"{source}_2d"
    for node in decoder:
        node.input[:] = [raised if name == source else name for name in node.input]
    for node in convolutions:
        _raise_convolution(node, weights[node.input[1]])
    tanh = decoder[-1]
    output = tanh.output[0]
    tanh.output[0] = f"{output}_2d"
    # Shapes recorded for the decoder's tensors would now be wrong.
    kept_info = [info for info in graph.value_info if info.name not in made]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    graph.initializer.append(
        onnx.numpy_helper.from_array(np.array([_HEIGHT_AXIS], dtype=np.int64), _AXES)
    )
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        nodes.append(node)
        if source in node.output:
            nodes.append(
                onnx.helper.make_node(
                    "Unsqueeze", [source, _AXES], [raised], name=f"{DECODER_PREFIX}raise"
                )
            )
        if node is tanh:
            nodes.append(
                onnx.helper.make_node(
                    "Squeeze", [tanh.output[0], _AXES], [output], name=f"{DECODER_PREFIX}lower"
                )
            )
    if raised not in {name for node in nodes for name in node.output}:
        # The decoder's input is a graph input, not made by a node: raise it first.
        nodes.insert(
            0,
            onnx.helper.make_node(
                "Unsqueeze", [source, _AXES], [raised], name=f"{DECODER_PREFIX}raise"
            ),
        )
    del graph.node[:]
    graph.node.extend(nodes)
    return len(convolutions)


#: The operations the decoder may hold, besides its convolutions, for it to be raised:
#: element-wise ones, which do not care about the tensor's rank.
_SHAPE_FREE = frozenset({"Conv", "ConvTranspose", "LeakyRelu", "Add", "Div", "Mul", "Tanh"})
#: Convolution attributes with one value per spatial axis, and the value the new
#: height axis takes.
_PER_AXIS = {"kernel_shape": 1, "dilations": 1, "strides": 1, "output_padding": 0}


def _is_1d(node: onnx.NodeProto, weights: dict[str, onnx.TensorProto]) -> bool:
    """Whether a convolution's weight is a constant of a 1-D one: (out, in, kernel)."""
    weight = node.input[1] if len(node.input) > 1 else ""
    return weight in weights and len(weights[weight].dims) == 3


def _raise_convolution(node: onnx.NodeProto, weight: onnx.TensorProto) -> None:
    """A 1-D Conv or ConvTranspose (weight (out, in, k) or (in, out, k)) as 2-D of height 1."""
    import onnx

    kernel = onnx.numpy_helper.to_array(weight)
    weight.CopyFrom(
        onnx.numpy_helper.from_array(np.ascontiguousarray(kernel[:, :, None, :]), weight.name)
    )
    attributes = {item.name: onnx.helper.get_attribute_value(item) for item in node.attribute}
    raised: dict[str, object] = {}
    for name, value in attributes.items():
        if name in _PER_AXIS:
            raised[name] = [_PER_AXIS[name], *value]
        elif name == "pads":  # (begin, end) -> (top, begin, bottom, end)
            raised[name] = [0, value[0], 0, value[1]]
        else:
            raised[name] = value
    del node.attribute[:]
    node.attribute.extend(onnx.helper.make_attribute(name, value) for name, value in raised.items())
