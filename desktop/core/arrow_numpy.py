"""Arrow columns as numpy arrays, chunk by chunk.

``ChunkedArray.to_numpy`` converts through pyarrow's pandas machinery: on a column of a few
chunks it took ten times as long as joining the chunks' own ``Array.to_numpy`` (in an
``archive add`` of a million fixes, 0.1-0.3 s against 0.01 s), and it imports pandas.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def numpy_of(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values as one numpy array, as ``to_numpy(zero_copy_only=False)`` gives them (nulls
    of an integer column as NaN, text as objects)."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 0:
            return values.to_numpy()
        if values.num_chunks > 1:
            return np.concatenate([chunk.to_numpy(zero_copy_only=False)
                                   for chunk in values.chunks])  # fmt: skip
        values = values.chunk(0)
    return values.to_numpy(zero_copy_only=False)
