"""The plugin module the ``seedwatch`` entry point names: one hook, one parser."""

from __future__ import annotations

from collections.abc import Callable

from seedwatch import Parser, hookimpl

from seedwatch_hackernews.parser import HackerNewsParser


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(HackerNewsParser())
