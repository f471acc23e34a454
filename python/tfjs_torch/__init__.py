"""tfjs_torch: export a PyTorch module to a TensorFlow.js LayersModel with PyTorch's numerics.

    from tfjs_torch import export
    export(module, example_inputs, out_dir, data_format='channelsLast', check=True,
           intermediates=False, custom=None)

The model uses tfjs-layers' own layers where their numbers are PyTorch's and tfjs-torch's layers
(the npm package `tfjs-torch`) elsewhere; load it with `tf.loadLayersModel` after importing
tfjs-torch, and compare it with PyTorch with `pt.checkExport(model, 'check.safetensors')`.
"""
from ._builder import ExportError, Ref
from ._export import Context, convert, export
from ._handlers import SUPPORTED_FUNCTIONS, SUPPORTED_MODULES

__all__ = ["export", "convert", "ExportError", "Context", "Ref", "SUPPORTED_MODULES",
           "SUPPORTED_FUNCTIONS"]
__version__ = "0.1.0"
