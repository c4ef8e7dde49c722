"""Value cases: what every store must round-trip, and what it must refuse.

The positive cases are py-key-value's ``SIMPLE_CASES`` and
``LARGE_DATA_CASES`` plus every JSON type nested; the negative ones are its
``NEGATIVE_SIMPLE_CASES`` plus what strict JSON also excludes.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = [
    "INVALID_TTLS",
    "LARGE_VALUES",
    "NEGATIVE_VALUES",
    "ODD_NAMES",
    "ROUND_TRIP_VALUES",
    "VALID_TTLS",
]

_UUID_TEXT = "12345678-1234-5678-1234-567812345678"


def _circular() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    value["self"] = value
    return value


ROUND_TRIP_VALUES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # id: (value put, value expected back)
    "null-value": ({"null_key": None}, {"null_key": None}),
    "null-list": ({"k": [None, None, None]}, {"k": [None, None, None]}),
    "null-nested": ({"k": {"nested": None}}, {"k": {"nested": None}}),
    "null-no-implicit-in-keys": ({"null": "str_value"}, {"null": "str_value"}),
    "null-no-implicit-in-values": ({"str_key": "null"}, {"str_key": "null"}),
    "boolean-true": ({"k": True}, {"k": True}),
    "boolean-false": ({"k": False}, {"k": False}),
    "boolean-list": ({"k": [True, False, True]}, {"k": [True, False, True]}),
    "boolean-nested": ({"k": {"n": True}}, {"k": {"n": True}}),
    "boolean-no-implicit-in-keys": ({"true": "str_value"}, {"true": "str_value"}),
    "boolean-no-implicit-in-values": ({"str_key": "true"}, {"str_key": "true"}),
    "integer-int": ({"k": 1}, {"k": 1}),
    "integer-negative": ({"k": -42}, {"k": -42}),
    "integer-large": ({"k": 10**18}, {"k": 10**18}),
    "integer-no-implicit-in-keys": ({"1": "str_value"}, {"1": "str_value"}),
    "integer-no-implicit-in-values": ({"str_key": "1"}, {"str_key": "1"}),
    "float-value": ({"k": 1.0}, {"k": 1.0}),
    "float-large": ({"k": 1.23456789012345e10}, {"k": 1.23456789012345e10}),
    "float-no-implicit-in-keys": ({"1.0": "str_value"}, {"1.0": "str_value"}),
    "float-no-implicit-in-values": ({"str_key": "1.0"}, {"str_key": "1.0"}),
    "string-string": ({"k": "string"}, {"k": "string"}),
    "string-1kb": ({"k": "a" * 1024}, {"k": "a" * 1024}),
    "string-unicode": ({"k": "Hello 世界 🌍 émojis"}, {"k": "Hello 世界 🌍 émojis"}),
    "string-special-chars": ({"k": "Line1\nLine2\tTabbed"}, {"k": "Line1\nLine2\tTabbed"}),
    "uuid-string-key": ({_UUID_TEXT: "v"}, {_UUID_TEXT: "v"}),
    "uuid-string-value": ({"k": _UUID_TEXT}, {"k": _UUID_TEXT}),
    # beyond py-key-value
    "empty-object": ({}, {}),
    "tuple-becomes-list": ({"k": (1, "a", None)}, {"k": [1, "a", None]}),
    "every-json-type": (
        {"s": "x", "i": -7, "f": -0.5, "t": True, "n": None, "l": [1, [2, [3]]], "o": {"p": {}}},
        {"s": "x", "i": -7, "f": -0.5, "t": True, "n": None, "l": [1, [2, [3]]], "o": {"p": {}}},
    ),
    "deep-nesting": (
        {"a": {"b": {"c": {"d": {"e": [{"f": "g"}]}}}}},
        {"a": {"b": {"c": {"d": {"e": [{"f": "g"}]}}}}},
    ),
    "odd-field-names": (
        {"": 1, "with space": 2, "a.b": 3, "$dollar": 4, "NUL\x00": 5, "😀": 6},
        {"": 1, "with space": 2, "a.b": 3, "$dollar": 4, "NUL\x00": 5, "😀": 6},
    ),
    "control-and-quotes": ({"k": "\x00\x01\"'\\/"}, {"k": "\x00\x01\"'\\/"}),
    "big-and-small-numbers": (
        {"big": 2**63 + 1, "neg": -(2**63), "tiny": 5e-324, "huge": 1.7e308},
        {"big": 2**63 + 1, "neg": -(2**63), "tiny": 5e-324, "huge": 1.7e308},
    ),
}

LARGE_VALUES: dict[str, dict[str, Any]] = {
    "string-10k": {"k": "a" * 10_000},
    "int": {"k": 10**18},
    "float": {"k": 1.23456789012345e10},
    "list-1000": {"k": list(range(1000))},
    "nested-list-dict-1000": {"k": [{"i": i, "s": str(i)} for i in range(1000)]},
}

NEGATIVE_VALUES: dict[str, object] = {
    "datetime-value": {"k": datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)},
    "date-value": {"k": datetime.date(2025, 1, 1)},
    "time-value": {"k": datetime.time(12, 0)},
    "uuid-value": {"k": uuid.UUID(_UUID_TEXT)},
    "set-value": {"k": {1, 2, 3}},
    "bytes-value": {"k": b"raw"},
    "decimal-value": {"k": Decimal("1.5")},
    "object-value": {"k": object()},
    "nan": {"k": float("nan")},
    "infinity": {"k": float("inf")},
    "negative-infinity": {"k": float("-inf")},
    "int-key": {1: "a"},
    "nested-int-key": {"k": {2: "b"}},
    "none-key": {None: "a"},
    "circular": _circular(),
    "not-a-mapping-list": [("k", "v")],
    "not-a-mapping-str": "a string",
}

VALID_TTLS: dict[str, object] = {
    "int": 100,
    "float": 100.5,
    "decimal": Decimal("100.25"),
    "fraction": Fraction(201, 2),
    "small-float": 0.1,
}

INVALID_TTLS: dict[str, object] = {
    "zero": 0,
    "zero-float": 0.0,
    "negative": -100,
    "negative-float": -0.5,
    "true": True,
    "false": False,
    "nan": float("nan"),
    "infinity": float("inf"),
    "negative-infinity": float("-inf"),
    "too-large": 1e300,
    "sys-maxsize": 2**63 - 1,
    "string": "100",
    "object": object(),
    "datetime": datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
    "dict": {},
}

ODD_NAMES: dict[str, str] = {
    "nul": "a\x00b",
    "slash": "a/b",
    "backslash": "a\\b",
    "dot-dot": "..",
    "dot": ".",
    "dot-dot-slash": "../../etc/passwd",
    "double-colon": "a::b",
    "colon-end": "a:",
    "percent": "100%25%3A",
    "space": " spaced out ",
    "newline": "line\nbreak",
    "glob": "*?[abc]{x}",
    "sql": "'; DROP TABLE kv; --",
    "long-1500": "k" * 1500,
    "cjk": "鍵値ストア",
    "arabic": "مفتاح",
    "emoji": "🔑🗝️",
    "combining": "é",
    "special-chars": "test_key!@#$%^&*()",
    "tilde-hash": "~#",
    "upper": "UPPER",
    "lower": "upper",
}
