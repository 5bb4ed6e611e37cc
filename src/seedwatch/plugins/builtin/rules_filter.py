"""The built-in ``rules`` filter: the config's filter rules (``seedwatch.rules``).

Global rules come from the top-level ``[[rules]]`` (given by ``configure``),
a source's own from its ``rules`` option; both are compiled once (a
source's again only when its rules change, after SIGHUP) and checked on the
hot path with ``rules.first_drop``. The reason it returns starts with the
rule's name, which ``rules.count_key`` reads back to count drops by rule in
the state (``seedwatch status``) and the metrics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from seedwatch import language, rules
from seedwatch.contracts import Filter
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Item, Source


class RulesFilter(Filter):
    name = "rules"

    def __init__(self) -> None:
        self.where = "the config"
        self.global_rules: list[rules.Rule] = []
        self._lock = threading.Lock()
        self._by_source: dict[str, tuple[Any, list[rules.Rule]]] = {}

    def configure(self, options: Mapping[str, Any]) -> None:
        self.where = str(options.get("where", self.where))
        self.global_rules = rules.compile_rules(options.get("rules") or [], where=self.where)
        with self._lock:
            self._by_source.clear()

    def rules_for(self, source: Source | None) -> list[rules.Rule]:
        if source is None:
            return self.global_rules
        raw = source.options.get("rules")
        with self._lock:
            cached = self._by_source.get(source.id)
            if cached is not None and cached[0] == raw:
                return cached[1]
        compiled = self.global_rules + rules.compile_rules(raw, where=self.where, source=source.id)
        with self._lock:
            self._by_source[source.id] = (raw, compiled)
        return compiled

    def check(self, item: Item, source: Source | None) -> str | None:
        found = rules.first_drop(self.rules_for(source), item, language.detect)
        if found is None:
            return None
        rule, why = found
        return f"{rule}: {why}"

    def explain(self, item: Item, source: Source | None) -> rules.Decision:
        return rules.decide(self.rules_for(source), item, language.detect)


@hookimpl
def register_filters(register: Callable[[Filter], None]) -> None:
    register(RulesFilter())
