"""Modules imported on first use.

pandas takes about 0.35 s to import, a sixth of an ``archive add`` of a million sentences. The
readers' modules name it as ``pd`` from here, so that importing them does not import it: the
reading of the first file (``stream.read_ahead``) starts in a forked child, which never needs
pandas, while this process imports it.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module ``name``, imported at the first attribute read."""

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later reads do not come here
        return getattr(module, attribute)


pandas: Any = LazyModule("pandas")
