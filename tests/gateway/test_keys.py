"""Client API keys: the key file's format, Envoy's configuration from it, reloads."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import yaml

from gateway.keys import (
    API_KEY_FILTER_NAME,
    ApiKey,
    ApiKeyFileWatcher,
    KeyFileError,
    discovery_file_contents,
    parse_api_keys,
)
from services.common.callers import CLIENT_NAME_METADATA_KEY

ALICE_KEY = "alice-0123456789abcdef"
BOB_KEY = "Bob/Key+With=Signs~0123"


def test_each_line_names_a_client_and_its_key() -> None:
    text = f"# clients\n\nalice={ALICE_KEY}\n  bob = {BOB_KEY}  \n"
    assert parse_api_keys(text) == [ApiKey("alice", ALICE_KEY), ApiKey("bob", BOB_KEY)]


def test_an_empty_file_means_no_client_may_call() -> None:
    assert parse_api_keys("# nobody yet\n") == []
    config = discovery_file_contents([])["resources"][0]["typed_config"]
    assert config["credentials"] == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"alice {ALICE_KEY}", "line 1: expected <client name>=<key>"),
        ("alice=short", "line 1 (alice): a key is 16-256"),
        (f"alice=\n=bob{BOB_KEY}", "line 1 (alice): a key is 16-256"),
        (f"al ice={ALICE_KEY}", "line 1: a client name is 1-64"),
        (f"alice={ALICE_KEY}\nalice={BOB_KEY}", "line 2: client alice is listed twice"),
        (f"alice={ALICE_KEY}\nbob={ALICE_KEY}", "line 2 (bob): this key is already"),
        ("alice=" + "k" * 15 + "\u00e9", "line 1 (alice): a key is 16-256"),
    ],
)
def test_a_malformed_line_is_refused_by_its_number_without_showing_the_key(
    text: str, reason: str
) -> None:
    with pytest.raises(KeyFileError) as raised:
        parse_api_keys(text)
    assert str(raised.value).startswith(reason)
    assert ALICE_KEY not in str(raised.value) and BOB_KEY not in str(raised.value)


def test_a_key_never_shows_in_its_repr() -> None:
    assert ALICE_KEY not in repr(ApiKey("alice", ALICE_KEY))
    assert "alice" in repr(ApiKey("alice", ALICE_KEY))


def test_envoy_gets_the_keys_and_forwards_only_the_client_name() -> None:
    (resource,) = discovery_file_contents([ApiKey("alice", ALICE_KEY)])["resources"]
    assert resource["name"] == API_KEY_FILTER_NAME
    config = resource["typed_config"]
    assert config["credentials"] == [{"key": ALICE_KEY, "client": "alice"}]
    assert {source["header"] for source in config["key_sources"]} == {
        "authorization",
        "x-api-key",
    }
    assert config["forwarding"] == {"header": CLIENT_NAME_METADATA_KEY, "hide_credentials": True}


def _clients_in(discovery_file: Path) -> list[str]:
    resources = yaml.safe_load(discovery_file.read_text())["resources"]
    return [credential["client"] for credential in resources[0]["typed_config"]["credentials"]]


def _wait_for(condition: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("the condition did not come true in time")


def test_a_changed_key_file_is_applied_and_a_broken_one_keeps_the_keys_in_force(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "api-keys"
    key_file.write_text(f"alice={ALICE_KEY}\n")
    discovery_file = tmp_path / "envoy" / "api_keys.yaml"
    watcher = ApiKeyFileWatcher(key_file, discovery_file, interval_s=0.05)
    assert watcher.load() == [ApiKey("alice", ALICE_KEY)]
    assert discovery_file.stat().st_mode & 0o077 == 0, "only the gateway may read the keys"
    watcher.start()
    try:
        with caplog.at_level(logging.INFO, logger="gateway.keys"):
            key_file.write_text(f"alice={ALICE_KEY}\nbob={BOB_KEY}\n")
            _wait_for(lambda: _clients_in(discovery_file) == ["alice", "bob"])

            key_file.write_text(f"bob={BOB_KEY}\nbob={ALICE_KEY}\n")
            _wait_for(lambda: "previous ones stay" in caplog.text)
            assert _clients_in(discovery_file) == ["alice", "bob"]

            key_file.unlink()
            _wait_for(lambda: "cannot read the API key file" in caplog.text)
            assert _clients_in(discovery_file) == ["alice", "bob"]

            key_file.write_text(f"bob={BOB_KEY}\n")
            _wait_for(lambda: _clients_in(discovery_file) == ["bob"])
    finally:
        watcher.stop()
    assert ALICE_KEY not in caplog.text and BOB_KEY not in caplog.text
    assert list(discovery_file.parent.iterdir()) == [discovery_file], "no temporary files left"


def test_an_unreadable_key_file_stops_the_gateway_from_starting(tmp_path: Path) -> None:
    watcher = ApiKeyFileWatcher(tmp_path / "missing", tmp_path / "out.yaml", interval_s=1)
    with pytest.raises(KeyFileError, match="cannot read the API key file"):
        watcher.load()
    (tmp_path / "binary").write_bytes(b"alice=\xff\xfe" + b"k" * 20)
    watcher = ApiKeyFileWatcher(tmp_path / "binary", tmp_path / "out.yaml", interval_s=1)
    with pytest.raises(KeyFileError, match="not UTF-8"):
        watcher.load()
