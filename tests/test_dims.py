"""dims() scopes: sizes across a pipeline, nesting, deferred names, threads and asyncio."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from shapecontract import (
    Array,
    Float,
    ShapeContractError,
    check,
    check_shape,
    current_scope,
    dims,
)


def arr(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


@check
def clean(raw: Float[Array, "machines steps sensors"]) -> Float[Array, "machines steps sensors"]:
    return raw


@check
def labels_for(x: Float[Array, "machines steps sensors"]) -> Float[Array, "machines 1"]:
    return np.zeros((x.shape[0], 1), dtype=np.float32)


def test_sizes_hold_for_every_call_in_the_block() -> None:
    clean(arr(2, 1000, 3))  # outside a block, any size goes
    with dims(steps=1440, sensors=3):
        clean(arr(2, 1440, 3))
        with pytest.raises(ShapeContractError) as info:
            clean(arr(2, 1000, 3))
    err = info.value
    assert (err.axis, err.expected, err.actual) == ("steps", 1440, 1000)
    assert err.origin is not None
    assert err.origin.startswith("dims(steps=1440, sensors=3) at test_dims.py:")
    assert current_scope() is None


def test_deferred_name_is_bound_by_the_first_call_and_then_holds() -> None:
    with dims("machines") as scope:
        x = clean(arr(5, 10, 3))
        assert scope["machines"] == 5
        labels_for(x)
        with pytest.raises(ShapeContractError) as info:
            clean(arr(6, 10, 3))
    err = info.value
    assert (err.axis, err.expected, err.actual) == ("machines", 5, 6)
    assert "clean() argument 'raw' axis 0" in str(err.origin)
    assert "dims('machines') at test_dims.py:" in str(err.origin)


def test_deferred_name_can_be_bound_by_a_return_value() -> None:
    @check
    def make(n: int) -> Float[Array, "batch 3"]:
        return arr(n, 3)

    with dims("batch") as scope:
        make(4)
        assert scope.sizes == {"batch": 4}
        with pytest.raises(ShapeContractError):
            make(5)


def test_check_shape_binds_deferred_names_and_uses_sizes() -> None:
    with dims("machines", sensors=3):
        assert check_shape(arr(7, 10, 3), "machines steps sensors") == {
            "machines": 7, "steps": 10, "sensors": 3}
        with pytest.raises(ShapeContractError):
            clean(arr(8, 10, 3))
    assert check_shape(arr(2, 4), Float[Array, "a b"], b=4) == {"a": 2, "b": 4}
    with pytest.raises(ShapeContractError) as info:
        check_shape(arr(2, 4), Float[Array, "a b"], b=5)
    assert info.value.origin == "b=5 passed to check_shape"


def test_nested_blocks_inherit_and_disagreement_raises_on_entry() -> None:
    with dims(sensors=3):
        with dims(steps=1440):
            with pytest.raises(ShapeContractError) as info:
                clean(arr(2, 1440, 4))
            assert info.value.expected == 3
        with dims(sensors=3):  # agreeing is fine
            pass
        with pytest.raises(ShapeContractError) as entry, dims(sensors=4):
            pass
    err = entry.value
    assert (err.kind, err.function, err.argument, err.expected, err.actual) == (
        "dims", "dims", "sensors", 3, 4)
    assert "nested dims() blocks must agree" in str(err)


def test_inner_block_binding_a_deferred_name_is_seen_outside() -> None:
    with dims("machines") as outer:
        with dims(steps=10):
            clean(arr(3, 10, 3))
        assert outer["machines"] == 3
        with pytest.raises(ShapeContractError):
            clean(arr(4, 10, 3))


def test_block_ends_its_bindings() -> None:
    with dims("machines"):
        clean(arr(3, 10, 3))
    clean(arr(4, 10, 3))


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(TypeError, match="non-negative int"):
        dims(steps="1440")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-negative int"):
        dims(steps=-1)
    with pytest.raises(TypeError, match="axis names as strings"):
        dims("not a name")


def test_eight_threads_with_different_sizes_never_see_each_other() -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            with dims(steps=n + 10, machines=n + 1):
                barrier.wait()
                for _ in range(200):
                    clean(arr(n + 1, n + 10, 3))
                    with pytest.raises(ShapeContractError):
                        clean(arr(n + 1, n + 11, 3))
        except BaseException as error:  # collected: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_eight_asyncio_tasks_with_different_sizes_never_see_each_other() -> None:
    async def task(n: int) -> int:
        with dims("machines", steps=n + 10):
            for _ in range(20):
                clean(arr(n + 1, n + 10, 3))
                await asyncio.sleep(0)  # let the other tasks run inside their own blocks
            scope = current_scope()
            assert scope is not None
            with pytest.raises(ShapeContractError):
                clean(arr(n + 2, n + 10, 3))
            return int(scope["machines"])

    async def main() -> list[int]:
        return list(await asyncio.gather(*(task(n) for n in range(8))))

    assert asyncio.run(main()) == [n + 1 for n in range(8)]
