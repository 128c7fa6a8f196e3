"""The fakes live in `lexflow.testing`, and only there."""

from __future__ import annotations

import importlib

import pytest

import lexflow.testing


def test_every_name_of_the_testing_package_resolves():
    for name in lexflow.testing.__all__:
        assert getattr(lexflow.testing, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = lexflow.testing.Nope  # type: ignore[attr-defined]


@pytest.mark.parametrize("old", ["lexflow.approvals.fake_slack", "lexflow.approvals.testing", "lexflow.mail.catcher"])
def test_the_old_paths_are_gone(old):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
