"""A cache of a pure function's answers bounded in bytes, for keys that carry what people typed:
`functools.lru_cache` bounds only the count, so a few thousand 2 MB answers held gigabytes."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict


def key_bytes(value) -> int:
    """A rough size of a key made of strings, numbers and tuples of them."""
    if isinstance(value, tuple):
        return 8 + sum(key_bytes(v) for v in value)
    if isinstance(value, (str, bytes)):
        return 50 + len(value)
    return 50


class BytesBoundedCache:
    """Least recently used answers dropped first, once their keys add up to `budget` bytes; a
    key over `largest` bytes is computed and not kept."""

    def __init__(self, function, budget: int, largest: int):
        self.function, self.budget, self.largest = function, budget, largest
        self.entries: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        functools.update_wrapper(self, function)

    def __call__(self, *key):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        answer = self.function(*key)
        cost = key_bytes(key)
        if cost <= self.largest:
            with self.lock:
                if key not in self.entries:
                    self.entries[key] = (answer, cost)
                    self.size += cost
                while self.size > self.budget:
                    _old, (_answer, old_cost) = self.entries.popitem(last=False)
                    self.size -= old_cost
        return answer

    def cache_clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


def bytes_bounded(budget: int, largest: int):
    return lambda function: BytesBoundedCache(function, budget, largest)
