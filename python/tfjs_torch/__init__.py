"""tfjs_torch: export a PyTorch module to a TensorFlow.js LayersModel with PyTorch's numerics.

    from tfjs_torch import export
    export(module, example_inputs, out_dir, data_format='channelsLast', check=True,
           intermediates=False, custom=None, dynamic_shapes=None)

Needs PyTorch >= 2.6 (torch.export). The model uses tfjs-layers' own layers where their numbers
are PyTorch's and tfjs-torch's layers (the npm package `tfjs-torch`) elsewhere; load it with
`tf.loadLayersModel` after importing tfjs-torch, and compare it with PyTorch with
`pt.checkExport(model, 'check.safetensors')`.
"""
from ._builder import Ref
from ._capture import MIN_TORCH
from ._context import Context
from ._errors import ExportError, FixedSizeWarning
from ._export import convert, export, write_check
from .ops import register

__all__ = ["export", "convert", "write_check", "ExportError", "FixedSizeWarning", "Context", "Ref", "register", "MIN_TORCH"]
__version__ = "0.1.0"
