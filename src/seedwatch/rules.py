"""Filter rules: which items a source keeps, as written in the config.

Rules come from the top-level ``[[rules]]`` array (every source) and from a
source's own ``rules`` (that source only; named ``<source>:<rule>``). Each
rule is one of:

- a **match** rule: ``action = "drop"`` or ``"keep"``, a ``field`` (``title``,
  ``text``, ``author``, ``url``, ``tags``, or ``any`` for title and text) and
  either ``regex`` (Python syntax, searched) or ``keywords`` (a list; a
  keyword matches as a whole word or phrase, case-insensitively);
- a **length** rule: ``min_words`` and/or ``max_words`` of the text;
- a **language** rule: ``languages = ["en", "de"]`` (ISO 639-1), detected by
  py3langid (the ``lang`` extra); a text too short or too mixed to tell
  (under ``MIN_WORDS_FOR_LANGUAGE`` words, or a confidence under
  ``MIN_CONFIDENCE``) is kept: a rule never drops what it cannot judge.

An item is dropped by the first drop, length or language rule that says so,
in order (global rules first); then, when any keep rule applies to it, it
must match one of them. ``decide`` returns every rule's finding, for
``seedwatch explain``; ``first_drop`` is the hot path.

Compiling checks everything once: an invalid regex, an unknown field or a
rule of no kind is a ``ConfigError`` naming the source and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seedwatch.errors import ConfigError
from seedwatch.models import Item

FIELDS = ("title", "text", "author", "url", "tags", "any")
MIN_WORDS_FOR_LANGUAGE = 8
MIN_CONFIDENCE = 0.8
_KEYS = {"name", "action", "field", "regex", "keywords", "min_words", "max_words", "languages"}

Detector = Callable[[str], tuple[str, float]]


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule says of one item: ``drops`` it, or not, and why."""

    rule: str
    action: str  # "drop", "keep", "length", "language"
    matched: bool
    drops: bool
    why: str


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: str  # "drop" | "keep" | "length" | "language"
    field: str = "any"
    pattern: re.Pattern[str] | None = None
    min_words: int | None = None
    max_words: int | None = None
    languages: frozenset[str] = frozenset()

    def values(self, item: Item) -> list[str]:
        if self.field == "tags":
            return list(item.tags)
        if self.field == "any":
            return [item.title or "", item.text]
        value = getattr(item, self.field)
        return [value] if value else []

    def find(self, item: Item, detect: Detector | None) -> Finding:
        if self.action in ("drop", "keep"):
            assert self.pattern is not None
            for value in self.values(item):
                found = self.pattern.search(value)
                if found:
                    why = f"{self.field} contains {found.group(0)!r}"
                    return Finding(self.name, self.action, True, self.action == "drop", why)
            return Finding(self.name, self.action, False, False, f"{self.field}: no match")
        if self.action == "length":
            words = len(item.text.split())
            if self.min_words is not None and words < self.min_words:
                return Finding(
                    self.name, "length", True, True, f"{words} words < min_words {self.min_words}"
                )
            if self.max_words is not None and words > self.max_words:
                return Finding(
                    self.name, "length", True, True, f"{words} words > max_words {self.max_words}"
                )
            return Finding(self.name, "length", False, False, f"{words} words")
        text = f"{item.title or ''}\n{item.text}".strip()
        wanted = ", ".join(sorted(self.languages))
        if len(text.split()) < MIN_WORDS_FOR_LANGUAGE or detect is None:
            return Finding(self.name, "language", False, False, "too short to tell: kept")
        lang, confidence = detect(text)
        if confidence < MIN_CONFIDENCE:
            return Finding(
                self.name, "language", False, False,
                f"unsure ({lang}, {confidence:.2f} < {MIN_CONFIDENCE}): kept",
            )  # fmt: skip
        if lang in self.languages:
            return Finding(self.name, "language", True, False, f"{lang} ({confidence:.2f})")
        return Finding(
            self.name, "language", True, True, f"{lang} ({confidence:.2f}), not {wanted}"
        )


@dataclass(frozen=True, slots=True)
class Decision:
    findings: tuple[Finding, ...]
    dropped_by: str | None
    why: str | None


def decide(rules: Sequence[Rule], item: Item, detect: Detector | None) -> Decision:
    """Every rule's finding and the outcome (for ``seedwatch explain``)."""
    findings = tuple(rule.find(item, detect) for rule in rules)
    return Decision(findings, *_outcome(rules, findings))


def first_drop(
    rules: Sequence[Rule], item: Item, detect: Detector | None
) -> tuple[str, str] | None:
    """The rule that drops ``item`` and why, or ``None``: rules stop at the first
    drop, and keep rules are read only when nothing dropped the item."""
    keeps: list[Rule] = []
    for rule in rules:
        if rule.action == "keep":
            keeps.append(rule)
            continue
        finding = rule.find(item, detect)
        if finding.drops:
            return rule.name, finding.why
    if keeps and not any(rule.find(item, detect).matched for rule in keeps):
        return _keep_failure(keeps)
    return None


def _keep_failure(keeps: Sequence[Rule]) -> tuple[str, str]:
    names = ", ".join(rule.name for rule in keeps)
    return keeps[0].name, f"matches no keep rule ({names})"


def _outcome(rules: Sequence[Rule], findings: Sequence[Finding]) -> tuple[str | None, str | None]:
    for finding in findings:
        if finding.drops:
            return finding.rule, finding.why
    keeps = [r for r in rules if r.action == "keep"]
    kept = [f for f in findings if f.action == "keep" and f.matched]
    if keeps and not kept:
        return _keep_failure(keeps)
    return None, None


# -- compiling ----------------------------------------------------------------


def compile_rules(raw: Any, *, where: str, source: str | None = None) -> list[Rule]:
    """Rules from the config's values; ``ConfigError`` naming the place and key."""
    place = f"config {where}, source {source!r}" if source else f"config {where}"
    key = "rules" if source else "[[rules]]"
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
        raise ConfigError(f'{place}: field "rules": expected a list of tables, got {raw!r}')
    return [_one(dict(r), n, place, key, source) for n, r in enumerate(raw, 1)]


def _one(raw: dict[str, Any], n: int, place: str, key: str, source: str | None) -> Rule:
    at = f"{place}: {key} #{n}"

    def bad(name: str, expected: str) -> ConfigError:
        return ConfigError(f'{at}: field "{name}": expected {expected}, got {raw.get(name)!r}')

    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f'{at}: field "{unknown[0]}": unknown field (check its spelling)')
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[\w.-]+", name)):
        raise bad("name", 'a short name such as "no-sponsored"')
    kinds: list[str] = [k for k in ("regex", "keywords", "languages") if k in raw]
    if "min_words" in raw or "max_words" in raw:
        kinds.append("length")
    if len(kinds) != 1:
        raise ConfigError(
            f"{at}: a rule needs exactly one of regex, keywords, min_words/max_words or "
            f"languages, got {', '.join(kinds) or 'none'}"
        )
    kind = kinds[0]
    prefix = f"{source}:" if source else ""
    if kind == "length":
        for bound in ("min_words", "max_words"):
            value = raw.get(bound)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise bad(bound, "a number of words (0 or more)")
        return Rule(
            f"{prefix}{name or f'length-{n}'}",
            "length",
            min_words=raw.get("min_words"),
            max_words=raw.get("max_words"),
        )
    if kind == "languages":
        langs = raw["languages"]
        if (
            not isinstance(langs, list)
            or not langs
            or not all(isinstance(x, str) and re.fullmatch(r"[a-z]{2,3}", x) for x in langs)
        ):
            raise bad("languages", 'a list of ISO 639-1 codes such as ["en", "de"]')
        return Rule(f"{prefix}{name or f'language-{n}'}", "language", languages=frozenset(langs))
    action = raw.get("action", "drop")
    if action not in ("drop", "keep"):
        raise bad("action", '"drop" or "keep"')
    field = raw.get("field", "any")
    if field not in FIELDS:
        raise bad("field", " | ".join(FIELDS))
    if kind == "regex":
        if not isinstance(raw["regex"], str) or not raw["regex"]:
            raise bad("regex", "a regular expression")
        try:
            pattern = re.compile(raw["regex"])
        except re.error as exc:
            raise ConfigError(
                f'{at}: field "regex": invalid regular expression {raw["regex"]!r} '
                f"(at position {exc.pos})"
            ) from None
    else:
        words = raw["keywords"]
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise bad("keywords", 'a list of words or phrases such as ["casino", "sponsored"]')
        alternatives = "|".join(re.escape(w.strip()) for w in words)
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return Rule(f"{prefix}{name or f'{action}-{field}-{n}'}", action, field, pattern)


def count_key(reason: str) -> str:
    """What a filter drop counts under: ``<rule name>`` for the ``rules`` filter
    (its reasons read "rules: <rule>: why"; rule names hold no ": "), else the
    filter's name (third-party reasons are free text, not labels)."""
    flt, _, rest = reason.partition(": ")
    if flt == "rules" and rest:
        return rest.partition(": ")[0]
    return flt


def uses_language(raw: Any) -> bool:
    return isinstance(raw, list) and any(
        isinstance(rule, Mapping) and "languages" in rule for rule in raw
    )
