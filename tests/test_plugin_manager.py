"""The plugin manager: built-ins like externals, isolation, duplicates, blocking."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch import Document, Item, Parser, StartupError, hookimpl
from seedwatch.contracts import Accepted, Sink
from seedwatch.plugins.manager import DEFAULT_PLUGINS, build_registry


class EchoParser(Parser):
    name = "echo"

    def sniff(self, document: Document) -> float:
        return 0.5 if document.content.startswith(b"echo") else 0.0

    def parse(self, document: Document) -> Iterable[Item]:
        yield Item(key="echo:1", text=document.content.decode(), parser=self.name)


class EchoPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(EchoParser())


def doc(content: bytes) -> Document:
    return Document(url="file:///x", content=content, fetched=datetime.now(UTC))


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str, str], None]:
    """Install a distribution with a ``seedwatch`` entry point for real: a module and a
    .dist-info folder on sys.path, which importlib.metadata discovers."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(dist: str, module: str, source: str) -> None:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[seedwatch]\n{dist} = {module}\n")

    yield install
    for name in list(sys.modules):
        if name.startswith("sw_test_"):
            del sys.modules[name]


def test_builtins_are_registered_like_plugins() -> None:
    registry = build_registry(load_external=False)
    names = {name for name, _ in registry.pm.list_name_plugin()}
    assert set(DEFAULT_PLUGINS) <= names
    assert "corpus" in registry.sinks
    assert registry.owners[("register_sinks", "corpus")] == "seedwatch.plugins.builtin.corpus_sink"


def test_each_build_is_a_fresh_manager() -> None:
    first = build_registry(load_external=False, extra_plugins=[EchoPlugin()])
    second = build_registry(load_external=False)
    assert "echo" in first.parsers
    assert "echo" not in second.parsers


def test_duplicate_parser_names_are_refused_naming_both_plugins(
    installed: Callable[[str, str, str], None],
) -> None:
    plugin = """
        from seedwatch import hookimpl, Parser

        class Twin(Parser):
            name = "twin"
            def sniff(self, document):
                return 0.0
            def parse(self, document):
                return []

        @hookimpl
        def register_parsers(register):
            register(Twin())
        """
    installed("sw-test-one", "sw_test_one", plugin)
    installed("sw-test-two", "sw_test_two", plugin)
    with pytest.raises(StartupError) as err:
        build_registry()
    message = str(err.value)
    assert "'twin'" in message
    assert "'sw-test-one'" in message and "'sw-test-two'" in message


def test_a_misspelled_hook_stops_startup() -> None:
    class Misspelled:
        @hookimpl
        def register_parser(self, register: object) -> None:  # missing "s"
            pass

    with pytest.raises(StartupError, match="register_parser"):
        build_registry(load_external=False, extra_plugins=[Misspelled()])


def test_registering_something_that_is_not_a_parser_is_refused() -> None:
    class Wrong:
        @hookimpl
        def register_parsers(self, register: Callable[[object], None]) -> None:
            register("not a parser")

    with pytest.raises(StartupError, match="not a Parser"):
        build_registry(load_external=False, extra_plugins=[Wrong()])


def test_sniff_picks_the_most_confident_parser_and_survives_a_raising_one() -> None:
    class Raising(Parser):
        name = "raising"

        def sniff(self, document: Document) -> float:
            raise RuntimeError("boom")

        def parse(self, document: Document) -> Iterator[Item]:
            yield from ()

    class Plugin:
        @hookimpl
        def register_parsers(self, register: Callable[[Parser], None]) -> None:
            register(Raising())
            register(EchoParser())

    registry = build_registry(load_external=False, extra_plugins=[Plugin()])
    assert registry.sniff(doc(b"echo hello")).name == "echo"


def test_a_sniff_tie_goes_to_the_parser_registered_first() -> None:
    class Other(EchoParser):
        name = "other-echo"

    class First:
        @hookimpl
        def register_parsers(self, register: Callable[[Parser], None]) -> None:
            register(EchoParser())

    class Second:
        @hookimpl
        def register_parsers(self, register: Callable[[Parser], None]) -> None:
            register(Other())

    one = build_registry(load_external=False, extra_plugins=[First(), Second()])
    assert one.sniff(doc(b"echo hello")).name == "echo"
    two = build_registry(load_external=False, extra_plugins=[Second(), First()])
    assert two.sniff(doc(b"echo hello")).name == "other-echo"


def test_owner_looks_a_name_up_among_capabilities_of_its_own_kind() -> None:
    class EchoSink(Sink):
        name = "echo"

        def write(self, entry: Accepted) -> None:
            pass

    class Parsers:
        @hookimpl
        def register_parsers(self, register: Callable[[Parser], None]) -> None:
            register(EchoParser())

    class Sinks:
        @hookimpl
        def register_sinks(self, register: Callable[[Sink], None]) -> None:
            register(EchoSink())

    for plugins in ([Sinks(), Parsers()], [Parsers(), Sinks()]):
        registry = build_registry(load_external=False, extra_plugins=plugins)
        assert registry.owner(registry.parsers["echo"]) == "Parsers"
        assert registry.owner(registry.sinks["echo"]) == "Sinks"


def test_entry_point_plugins_load_and_a_broken_one_does_not_stop_the_others(
    installed: Callable[[str, str, str], None], caplog: pytest.LogCaptureFixture
) -> None:
    installed(
        "sw-test-good",
        "sw_test_good",
        """
        from seedwatch import hookimpl, Parser, Item

        class Good(Parser):
            name = "good"
            def sniff(self, document):
                return 0.0
            def parse(self, document):
                return []

        @hookimpl
        def register_parsers(register):
            register(Good())
        """,
    )
    installed("sw-test-broken", "sw_test_broken", "raise ImportError('missing dependency xyz')\n")
    registry = build_registry()
    assert "good" in registry.parsers
    statuses = {st.name: st for st in registry.statuses}
    assert (statuses["sw-test-good"].distribution, statuses["sw-test-good"].version) == (
        "sw-test-good",
        "1.0",
    )
    assert statuses["sw-test-broken"].status == "failed"
    assert "missing dependency xyz" in (statuses["sw-test-broken"].error or "")
    assert "sw-test-broken" in caplog.text and "missing dependency xyz" in caplog.text


def test_load_plugins_env_blocks_external_plugins(
    installed: Callable[[str, str, str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed(
        "sw-test-blocked",
        "sw_test_blocked",
        """
        from seedwatch import hookimpl, Parser

        class P(Parser):
            name = "blocked"
            def sniff(self, document):
                return 0.0
            def parse(self, document):
                return []

        @hookimpl
        def register_parsers(register):
            register(P())
        """,
    )
    monkeypatch.setenv("SEEDWATCH_LOAD_PLUGINS", "")
    assert "blocked" not in build_registry().parsers
    monkeypatch.setenv("SEEDWATCH_LOAD_PLUGINS", "sw-test-blocked")
    assert "blocked" in build_registry().parsers


def test_a_raising_notification_does_not_silence_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    class Loud:
        @hookimpl
        def on_shutdown(self) -> None:
            raise RuntimeError("loud failure")

    class Quiet:
        @hookimpl
        def on_shutdown(self) -> None:
            calls.append("quiet")

    registry = build_registry(load_external=False, extra_plugins=[Loud(), Quiet()])
    registry.notify("on_shutdown")
    assert calls == ["quiet"]
    assert "loud failure" in caplog.text


BROKEN = "raise ImportError('missing dependency xyz')\n"
GOOD = """
from seedwatch import hookimpl, Parser

class Good(Parser):
    name = "good"
    def sniff(self, document):
        return 0.0
    def parse(self, document):
        return []

@hookimpl
def register_parsers(register):
    register(Good())
"""


def test_strict_loading_makes_a_broken_plugin_fatal(
    installed: Callable[[str, str, str], None],
) -> None:
    installed("sw-test-broken", "sw_test_broken", BROKEN)
    with pytest.raises(StartupError, match=r"sw-test-broken .*failed to load.*xyz"):
        build_registry(strict=True)


def test_required_plugins_must_be_loaded_at_a_matching_version(
    installed: Callable[[str, str, str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed("sw-test-good", "sw_test_good", GOOD)
    assert "good" in build_registry(required=["sw-test-good>=1.0"]).parsers
    with pytest.raises(StartupError, match=r"version 1\.0 is installed"):
        build_registry(required=["sw_test_good>=2"])  # names compare canonically
    with pytest.raises(StartupError, match="'sw-test-absent' is not loaded"):
        build_registry(required=["sw-test-absent"])
    monkeypatch.setenv("SEEDWATCH_LOAD_PLUGINS", "")
    with pytest.raises(StartupError, match="is not loaded"):
        build_registry(required=["sw-test-good"])  # blocked counts as missing
    with pytest.raises(StartupError, match="not a requirement"):
        build_registry(required=["sw-test-good >>> 1"])


def test_tracing_logs_each_hook_call_to_a_plugin(caplog: pytest.LogCaptureFixture) -> None:
    class Quiet:
        @hookimpl
        def on_shutdown(self) -> None:
            pass

    caplog.set_level("INFO")
    registry = build_registry(load_external=False, extra_plugins=[Quiet()], trace=True)
    registry.notify("on_shutdown")
    assert "trace: register_sinks -> plugin seedwatch.plugins.builtin.corpus_sink" in caplog.text
    assert "trace: on_shutdown -> plugin Quiet" in caplog.text
    untraced = build_registry(load_external=False, extra_plugins=[Quiet()], trace=False)
    caplog.clear()
    untraced.notify("on_shutdown")
    assert "trace:" not in caplog.text


def test_seedwatch_plugins_lists_failures_and_blocked_plugins(
    installed: Callable[[str, str, str], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from seedwatch.daemon.cli import main

    installed("sw-test-good", "sw_test_good", GOOD)
    installed("sw-test-broken", "sw_test_broken", BROKEN)
    main(["plugins"])
    out = capsys.readouterr().out
    assert "sw-test-good (sw-test-good 1.0, entry point)\n    parser good\n" in out
    assert "    hooks: register_parsers\n" in out
    assert (
        "sw-test-broken (sw-test-broken 1.0, entry point): FAILED to load: "
        "ImportError: missing dependency xyz" in out
    )
    monkeypatch.setenv("SEEDWATCH_LOAD_PLUGINS", "sw-test-broken")
    main(["plugins"])
    assert "sw-test-good (sw-test-good 1.0, entry point): not allowed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["--strict-plugins", "plugins"])
    assert exit_.value.code == 2


def test_required_plugins_in_the_config_stop_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedwatch.daemon.cli import main

    config = tmp_path / "seedwatch.toml"
    config.write_text('[plugins]\nrequired_plugins = ["seedwatch-nowhere>=1.0"]\n')
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(config), "run", "--once"])
    assert exit_.value.code == 2
    assert "required plugin 'seedwatch-nowhere>=1.0' is not loaded" in capsys.readouterr().err
