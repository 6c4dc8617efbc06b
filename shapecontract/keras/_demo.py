"""The Keras side of ``shapecontract demo``: each mistake given to ``model.fit`` as a user
would, and the same data given to :func:`preflight` first.

Models are tiny (4 LSTM units, 8 samples) so that the seconds shown are the time Keras took
to say something, not the time it took to train.
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from .._demo import Comparison
from ._preflight import preflight

MACHINES, STEPS, SENSORS = 100, 1440, 3
rng = np.random.default_rng(0)


def _model(steps: int | None, features: int, *, sequences: bool = False) -> Any:
    """The seed's forecaster: Input((steps, features)) -> LSTM -> Dense(1), compiled."""
    import keras

    model = keras.Sequential([keras.Input((steps, features)),
                              keras.layers.LSTM(4, return_sequences=sequences),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _labels(n: int, *shape: int) -> Any:
    return rng.random((n, *shape), dtype=np.float32)


def _fit(state: tuple[Any, Any, Any]) -> str:
    model, x, y = state
    history = model.fit(x, y, epochs=1, verbose=0).history
    return (f"trained one epoch on x {tuple(np.shape(x))}, y {tuple(np.shape(y))}: "
            f"loss {history['loss'][-1]:.3f}")


def _preflight(state: tuple[Any, Any, Any]) -> None:
    model, x, y = state
    preflight(model, x, y)


def _flat() -> tuple[Any, Any, Any]:
    x = rng.random((MACHINES * STEPS, SENSORS), dtype=np.float32)
    return _model(STEPS, SENSORS), x, _labels(MACHINES, 1)


def _flat_per_minute() -> tuple[Any, Any, Any]:
    # Labels exported the same way, one per machine-minute: the counts now agree.
    x = rng.random((MACHINES * STEPS, SENSORS), dtype=np.float32)
    return _model(STEPS, SENSORS), x, _labels(MACHINES * STEPS, 1)


def _ragged() -> tuple[Any, Any, Any]:
    x = [rng.random((int(rng.integers(1200, STEPS)), SENSORS), dtype=np.float32)
         for _ in range(8)]
    return _model(STEPS, SENSORS), x, _labels(8, 1)


def _ragged_dataset(state: tuple[Any, Any, Any]) -> str:
    import tensorflow as tf

    model, x, y = state
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0)
    return "trained"


def _generated_batches(state: tuple[Any, Any, Any]) -> str:
    # The way around from_tensor_slices: a generator of (None, 3) elements, then .batch.
    import tensorflow as tf

    model, x, y = state

    def recordings() -> Any:
        yield from zip(x, y)

    dataset = tf.data.Dataset.from_generator(recordings, output_signature=(
        tf.TensorSpec((None, SENSORS), tf.float32), tf.TensorSpec((1,), tf.float32)))
    try:
        model.fit(dataset.batch(8), verbose=0)
    except Exception as exc:
        # The traceback holds fit's iterator over the generator; one left for the interpreter's
        # exit to collect can hang TensorFlow's shutdown. Collect it now.
        error = exc.with_traceback(None)
        del exc, dataset
        gc.collect()
        raise error from None
    return "trained"


def _seven_features() -> tuple[Any, Any, Any]:
    # The seed's one-hot with num_classes=4 for 3 sites: 3 sensors + 4 = 7 features, not 6.
    return _model(STEPS, 6), rng.random((8, STEPS, 7), dtype=np.float32), _labels(8, 1)


def _short_windows() -> tuple[Any, Any, Any]:
    return _model(STEPS, SENSORS), rng.random((8, 1000, SENSORS), dtype=np.float32), \
        _labels(8, 1)


def _swapped() -> tuple[Any, Any, Any]:
    return _model(STEPS, SENSORS), rng.random((8, SENSORS, STEPS), dtype=np.float32), \
        _labels(8, 1)


def _step_labels() -> tuple[Any, Any, Any]:
    return _model(20, SENSORS), rng.random((8, 20, SENSORS), dtype=np.float32), \
        _labels(8, 20, 1)


def _sequence_output() -> tuple[Any, Any, Any]:
    return _model(20, SENSORS, sequences=True), \
        rng.random((8, 20, SENSORS), dtype=np.float32), _labels(8, 1)


def _int_padded() -> tuple[Any, Any, Any]:
    import keras

    sequences = [rng.random((int(rng.integers(12, 20)), SENSORS)) for _ in range(8)]
    # pad_sequences' default dtype is int32: every reading in [0, 1) becomes 0.
    return _model(20, SENSORS), keras.utils.pad_sequences(sequences, maxlen=20), _labels(8, 1)


def _fit_int_padded(state: tuple[Any, Any, Any]) -> str:
    said = _fit(state)
    x = state[1]
    return f"{said}; x is {x.dtype}, and {np.count_nonzero(x)} of its {x.size} readings are " \
           f"not 0"


COMPARISONS = (
    Comparison("Keras", "1. Flattened sensor array, into model.fit",
               "x exported as (100*1440, 3) for a model built with Input((1440, 3))",
               _flat, _fit, _preflight),
    Comparison("Keras", "1b. Flattened sensor array, labels flattened too",
               "x (100*1440, 3) and y (100*1440, 1), one label per minute, for a model "
               "built with Input((1440, 3))", _flat_per_minute, _fit, _preflight),
    Comparison("Keras", "2. Sequences of different lengths, into tf.data",
               "a list of sequences of 1200-1439 steps handed to "
               "Dataset.from_tensor_slices", _ragged, _ragged_dataset, _preflight),
    Comparison("Keras", "2b. Sequences of different lengths, from a generator, batched",
               "the same sequences yielded by Dataset.from_generator as (None, 3) elements, "
               "then dataset.batch(8); shapecontract checks them before they go in",
               _ragged, _generated_batches, _preflight),
    Comparison("Keras", "3. Seven features into a model built for six",
               "one-hot with num_classes=4 for 3 sites: 3 sensors + 4 columns",
               _seven_features, _fit, _preflight),
    Comparison("Keras", "4. Windows of 1000 steps into a model built for 1440",
               "the windowing function cut 1000-minute windows", _short_windows, _fit,
               _preflight),
    Comparison("Keras", "5. Time and feature axes swapped",
               "x is (8, 3, 1440): sensors first, as the export had them", _swapped, _fit,
               _preflight),
    Comparison("Keras", "11. Labels with a time axis for a one-value model",
               "y is (8, 20, 1), but the model outputs one value per sequence, (8, 1)",
               _step_labels, _fit, _preflight),
    Comparison("Keras", "12. return_sequences=True with one label per sequence",
               "the model outputs (8, 20, 1), y is (8, 1), loss is MSE",
               _sequence_output, _fit, _preflight),
    Comparison("Keras", "13. pad_sequences with its default dtype",
               "float readings padded with keras.utils.pad_sequences(seqs, maxlen=20)",
               _int_padded, _fit_int_padded, _preflight),
)
