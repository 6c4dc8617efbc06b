"""The Keras adapters on Keras 3's torch backend, in a fresh process (the backend is chosen
once, at import)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = """
    import numpy as np, keras, torch
    import shapecontract.keras as sk
    from shapecontract import Array, Float, ShapeContractError
    assert keras.backend.backend() == "torch"

    x = sk.Input(Float[Array, "batch time feat"], time=20, feat=3)
    model = keras.Model(x, keras.layers.Dense(1)(sk.LSTM("batch time feat", 4, feat=3)(x)))
    model.compile(optimizer="adam", loss="mse")
    print("contract", sk.contract_of(model), sk.contract_of(model, output=True))
    print("bound", sk.preflight(model, torch.zeros(8, 20, 3), torch.zeros(8, 1)))
    model.fit(np.zeros((8, 20, 3), "float32"), np.zeros((8, 1), "float32"), verbose=0)
    for x_bad in (np.zeros((8, 1000, 3), "float32"), torch.zeros(8, 20, 7)):
        try:
            sk.preflight(model, x_bad, torch.zeros(8, 1))
        except ShapeContractError as error:
            print("caught", error.axis, error.expected, error.actual, error.hint)

    layered = keras.Sequential([sk.LSTM("batch time feat", 4, feat=6), keras.layers.Dense(1)])
    layered.compile(optimizer="adam", loss="mse")
    try:
        layered.fit(np.zeros((8, 20, 7), "float32"), np.zeros((8, 1), "float32"), verbose=0)
    except ValueError as error:
        print("layer", "expected axis 2 of input shape to have value 6" in str(error))

    import tensorflow as tf
    pairs = tf.data.Dataset.from_tensor_slices(
        (np.zeros((8, 20, 3), "float32"), np.zeros((8, 1), "float32")))
    batched = sk.batch(pairs, model, 4)
    model.fit(batched, verbose=0)
    print("dataset", batched.element_spec[0].shape.as_list())
"""


def test_adapters_work_on_the_torch_backend() -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)], capture_output=True, text=True,
        timeout=300, env={**os.environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'contract Float[Array, "batch 20 3"] Float[Array, "batch 1"]'
    assert lines[1] == "bound {'time': 20, 'feat': 3, 'out_feat': 1, 'batch': 8}"
    assert lines[2] == "caught time 20 1000 x[:, :20] (or fix the windowing)"
    assert lines[3] == "caught feat 3 7 None"
    assert lines[4:] == ["layer True", "dataset [None, 20, 3]"]
