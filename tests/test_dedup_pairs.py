"""The de-duplication measure: precision and recall over labelled pairs.

tests/data/dedup/pairs.toml holds pairs of texts from the seeds and real
fixtures (read by the real parsers), some edited as each pair says, each
labelled by reading it. For every pair a fresh state records "a", then
judges "b"; "duplicate" pairs must be rejected, "distinct" ones kept.
Items carry no URL, guid or shared key: only the content layers decide.
"""

from __future__ import annotations

import shutil
import textwrap
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from seedwatch.contracts import Verdict
from seedwatch.corpus import render
from seedwatch.models import Document, Item
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry
from seedwatch.state.store import Store
from seedwatch.text import normalize

DATA = Path(__file__).parent / "data"
PAIRS = DATA / "dedup" / "pairs.toml"
# the real fixtures the pairs read, in their own folders
FIXTURE_DIRS = (DATA / "feeds", DATA / "freshrss")
SEEDS = {p.name[:3]: p for p in (DATA / "seeds").iterdir()}
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NBSP_LINE = "\u00a0"
# ASCII forms of typographic punctuation (what some CMSes and feeds emit).
ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "--", "\u2026": "..."})  # fmt: skip


@dataclass(frozen=True)
class Pair:
    id: str
    label: str
    kind: str
    how: str
    a: str
    b: str

    @property
    def duplicate(self) -> bool:
        return self.label == "duplicate"


def _parsed(registry: Registry, path: Path, parser: str) -> list[Item]:
    document = Document(url=path.resolve().as_uri(), content=path.read_bytes(), fetched=FETCHED)
    return list(registry.parsers[parser].parse(document))


def _text(ref: dict[str, Any], registry: Registry) -> str:
    if "seed" in ref:
        path = SEEDS[ref["seed"]]
        raw = path.read_text(encoding="utf-8")
        if "lines" in ref:
            first, last = ref["lines"]
            text = "\n\n".join(
                line.strip() for line in raw.split("\n")[first - 1 : last] if line.strip()
            )
        elif "post" in ref:
            text = raw.split("\n" + NBSP_LINE + "\n")[ref["post"]].strip()
        elif "parser" in ref:
            (item,) = _parsed(registry, path, ref["parser"])
            text = item.text
        else:
            text = raw
    else:
        found = [
            i
            for i in _parsed(registry, _fixture(ref["file"]), ref["parser"])
            if (i.url or "").endswith(ref["url_end"])
        ]
        assert len(found) == 1, f"{ref}: {len(found)} items match"
        text = found[0].text
    for edit in ref.get("edits", ()):
        text = _edit(text, edit)
    return text


def _fixture(name: str) -> Path:
    (path,) = [d / name for d in FIXTURE_DIRS if (d / name).exists()]
    return path


def _edit(text: str, edit: dict[str, Any]) -> str:
    paras = text.split("\n\n")
    op = edit["op"]
    if op == "ascii":
        return text.translate(ASCII)
    if op == "reflow":
        return "\n\n".join(textwrap.fill(p, edit["width"]) for p in paras)
    if op == "replace":
        assert edit["old"] in text, f"replace: {edit['old']!r} not in the text"
        return text.replace(edit["old"], edit["new"])
    if op == "drop":
        del paras[edit["index"]]
    elif op == "keep":
        paras = paras[edit["first"] : edit["last"] + 1]
    elif op == "merge":
        i = edit["index"]
        paras[i : i + 2] = [paras[i] + " " + paras[i + 1]]
    elif op == "swap":
        i = edit["index"]
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    elif op == "prepend":
        paras.insert(0, edit["text"])
    elif op == "append":
        paras.append(edit["text"])
    else:
        raise AssertionError(f"unknown edit {op!r}")
    return "\n\n".join(paras)


def load_pairs() -> list[Pair]:
    registry = build_registry()
    pairs = []
    for raw in tomllib.loads(PAIRS.read_text(encoding="utf-8"))["pair"]:
        assert raw["label"] in ("duplicate", "distinct"), raw["id"]
        pairs.append(
            Pair(
                raw["id"],
                raw["label"],
                raw["kind"],
                raw["how"],
                _text(raw["a"], registry),
                _text(raw["b"], registry),
            )
        )
    return pairs


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return load_pairs()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty state, copied for each pair (migrating 80 times is slow)."""
    folder = tmp_path_factory.mktemp("template")
    store = Store(f"sqlite:///{folder}/state.db")
    store.migrate()
    store.dedup_layout()
    store.close()
    return folder / "state.db"


def verdict_for(pair: Pair, template: Path, folder: Path) -> Verdict:
    db = folder / f"{pair.id}.db"
    shutil.copy(template, db)
    store = Store(f"sqlite:///{db}")
    try:

        def rendered(item: Item, fetched: datetime, revision_of: str | None) -> str:
            return render(item, fetched, revision_of=revision_of)

        first = Item(key=f"{pair.id}:a", text=pair.a, parser="test")
        second = Item(key=f"{pair.id}:b", text=pair.b, parser="test")
        ((recorded, _),) = store.admit([(first, FETCHED)], rendered)
        assert recorded.accepted, f"{pair.id}: 'a' not recorded in an empty state"
        ((verdict, _),) = store.admit([(second, FETCHED)], rendered)
        return verdict
    finally:
        store.close()


def test_the_pair_set_is_well_formed(pairs: list[Pair]) -> None:
    assert len({p.id for p in pairs}) == len(pairs)
    kinds = Counter((p.kind, p.label) for p in pairs)
    assert kinds[("edit", "duplicate")] >= 20 and kinds[("subject", "distinct")] >= 15
    assert kinds[("path", "duplicate")] >= 10 and kinds[("hard", "distinct")] >= 6
    for pair in pairs:
        assert normalize(pair.a) and normalize(pair.b), pair.id
        if pair.kind == "edit":  # an edited copy really differs from its original
            assert pair.a != pair.b, pair.id


def test_precision_and_recall_over_the_labelled_pairs(
    pairs: list[Pair], template: Path, tmp_path: Path
) -> None:
    tp = fp = fn = tn = 0
    mistakes = []
    by_layer: Counter[str] = Counter()
    for pair in pairs:
        verdict = verdict_for(pair, template, tmp_path)
        said_duplicate = not verdict.accepted
        if said_duplicate:
            by_layer[verdict.layer] += 1
        if pair.duplicate and said_duplicate:
            tp += 1
        elif pair.duplicate:
            fn += 1
            mistakes.append(f"  missed   {pair.id}: {verdict.reason}")
        elif said_duplicate:
            fp += 1
            mistakes.append(f"  merged   {pair.id}: {verdict.layer}: {verdict.reason}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"\ndedup pairs: {len(pairs)} ({tp + fn} duplicates, {tn + fp} distinct); "
        f"precision {precision:.3f}, recall {recall:.3f}; "
        f"tp {tp} fp {fp} fn {fn} tn {tn}; rejections by layer: {dict(by_layer)}"
    )
    print("\n".join(mistakes))
    assert precision >= 0.95 and recall >= 0.95, "\n".join(mistakes)
