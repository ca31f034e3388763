"""Which function makes each kind of job, registered by the stages that own them.

The jobs package sits below the stages whose print runs and exports it runs (entries,
grades, results): they import it to register their functions and to start jobs; it never
imports them. ``create_app`` has each stage register its kinds (``register_jobs``), so
the app and the worker know the same kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from competition.jobs.runner import JobRun


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name, what it is called on the pages, and the function that
    makes its file from a ``JobRun``."""

    name: str
    label: object  # a lazy string (``_l``), translated where it is shown
    function: Callable[[JobRun], None]


_KINDS: dict[str, JobKind] = {}


def register(name: str, function: Callable[[JobRun], None], *, label: object) -> None:
    """Make ``function`` the maker of jobs of kind ``name`` (the same again is harmless)."""
    known = _KINDS.get(name)
    if known is not None and known.function is not function:
        raise ValueError(f"job kind {name!r} is already registered to {known.function!r}")
    _KINDS[name] = JobKind(name, label, function)


def kind_of(name: str) -> JobKind | None:
    return _KINDS.get(name)
