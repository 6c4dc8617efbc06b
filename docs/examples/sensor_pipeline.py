"""A small preprocessing pipeline for sensor readings, with shape contracts.

The API reference renders it with the ``shapecontract.docs`` extension: each function's
contracts become a shape table.
"""

from __future__ import annotations

import numpy as np

from shapecontract import Array, Float, Int, check


@check
def window(readings: Float[Array, "rows sensors"], *, steps: int
           ) -> Float[Array, "machines steps sensors"]:
    """Cut a table of readings, one row per machine-minute, into one sequence per machine."""
    return readings.reshape(-1, steps, readings.shape[1])


@check
def one_hot_sites(site: Int[Array, "machines 1"], num_classes: int
                  ) -> Float[Array, "machines sites"]:
    """One-hot encode the facility each machine stands in."""
    return np.eye(num_classes, dtype=np.float32)[site[:, 0]]


@check
def add_site_features(sensors: Float[Array, "machines steps sensors"],
                      sites: Float[Array, "machines sites"]
                      ) -> Float[Array, "machines steps sensors+sites"]:
    """Repeat each machine's one-hot site along time and append it to its sensors."""
    repeated = np.repeat(sites[:, None, :], sensors.shape[1], axis=1)
    return np.concatenate([sensors, repeated], axis=2)
