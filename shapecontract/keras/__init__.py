"""Keras and tf.data adapters: one contract for the model's input, its layers and its data.

Importing this module imports neither keras nor tensorflow; each function imports what it
needs when called, so the same code runs on every Keras 3 backend.
"""

from ._dataset import batch, check_dataset
from ._layers import GRU, LSTM, Input, InputSpec, SimpleRNN
from ._model import ModelError, contract_of
from ._preflight import preflight

__all__ = ["GRU", "LSTM", "Input", "InputSpec", "ModelError", "SimpleRNN", "batch",
           "check_dataset", "contract_of", "preflight"]
