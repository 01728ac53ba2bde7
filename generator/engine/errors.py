"""Typed errors of the generation engine, so callers can tell the user's fault from ours."""

from __future__ import annotations


class EngineError(Exception):
    """Anything the engine raises on purpose."""


class InvalidInput(EngineError):
    """The request cannot be served as given; the message is meant for the user."""


class UnknownMode(InvalidInput):
    """No generation mode of that name is registered."""


class Cancelled(EngineError):
    """The caller asked to stop; raised between steps so work ends within a second.

    The question itself is the caller's ``cancelled()`` callable (contract.CancelCheck).
    """
