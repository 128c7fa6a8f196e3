"""The fakes live in `lexflow.testing`; their old import paths still give the same objects (no second copy)."""

from __future__ import annotations

import importlib

import pytest

import lexflow.testing

OLD_PATHS = {
    "lexflow.approvals.fake_slack": ("FakeSlack", "PostedRequest"),
    "lexflow.approvals.testing": ("click", "reject"),
    "lexflow.mail.catcher": ("MailCatcher", "CaughtMessage"),
    "lexflow.mail": ("MailCatcher", "CaughtMessage"),
}


def test_every_name_of_the_testing_package_resolves():
    for name in lexflow.testing.__all__:
        assert getattr(lexflow.testing, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = lexflow.testing.Nope  # type: ignore[attr-defined]


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_paths_give_the_same_objects(old):
    module = importlib.import_module(old)
    for name in OLD_PATHS[old]:
        assert getattr(module, name) is getattr(lexflow.testing, name), f"{old}.{name}"
