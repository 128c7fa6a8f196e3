"""Everything lexflow raises derives from `LexflowError`, so one `except` catches all of lexflow's errors."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import lexflow
from lexflow.errors import LexflowError


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in a lexflow module (private ones too: they are raised all the same)."""
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(lexflow.__path__, "lexflow."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == module.__name__
        ]
    return found


def test_every_exception_lexflow_defines_derives_from_the_one_base() -> None:
    classes = _exception_classes()
    assert len(classes) > 30  # the walk found the families, not an empty package
    strays = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes if not issubclass(cls, LexflowError)]
    assert strays == [], "derive these from lexflow.errors.LexflowError"


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("lexflow.actions.errors:InvalidInput", ValueError),
        ("lexflow.actions.errors:UnknownAction", KeyError),
        ("lexflow.actions.errors:PolicyDenied", PermissionError),
        ("lexflow.operations:KeyReused", ValueError),
        ("lexflow.operations:OutcomeUnknown", RuntimeError),
        ("lexflow.core.errors:InvalidRecord", ValueError),
        ("lexflow.actions.localfiles:LocalFileError", ValueError),
    ],
)
def test_errors_that_are_a_builtin_kind_stay_one(name: str, builtin: type[BaseException]) -> None:
    """Callers that catch `ValueError` or `PermissionError` keep working."""
    module, _, attr = name.partition(":")
    assert issubclass(getattr(importlib.import_module(module), attr), builtin)
