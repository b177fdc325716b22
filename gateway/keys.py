"""Client API keys: read from a mounted file, checked by Envoy, reloaded without a restart.

The key file holds one client a line, ``<name>=<key>``; blank lines and lines starting
with ``#`` are ignored::

    # who            key (16-256 characters: letters, digits and . _ ~ + / = -)
    mobile-app=3f1c9e...
    partner-acme=Zk8...

Envoy's ``api_key_auth`` filter does the checking (a key in ``Authorization: Bearer`` or
``x-api-key``; 401 / UNAUTHENTICATED otherwise), removes the key from the request and
forwards the client's name upstream in ``services.common.callers.CLIENT_NAME_METADATA_KEY``.
Its configuration is not in ``envoy.yaml`` but in a file Envoy watches (filesystem
extension config discovery): :class:`ApiKeyFileWatcher` re-reads the key file every few
seconds and, when it changed, writes the new filter configuration there with an atomic
rename. Envoy applies it to new requests; requests in flight keep the one they started
with, so nothing is dropped and nothing restarts.

Nothing here logs a key, or any text of the key file: errors name the line number.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.common.callers import CLIENT_NAME_METADATA_KEY

logger = logging.getLogger(__name__)

#: The name Envoy knows the filter (and its discovered configuration) by.
API_KEY_FILTER_NAME = "api_keys"
API_KEY_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth"
#: Where clients may send their key. Envoy accepts ``Authorization: Bearer <key>``.
KEY_HEADERS = ("authorization", "x-api-key")
CLIENT_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")


class KeyFileError(ValueError):
    """The key file cannot be used; the message names the line, never a key."""


@dataclass(frozen=True)
class ApiKey:
    """One client's key. ``repr`` leaves the key out, so it cannot reach a log by accident."""

    client_name: str
    key: str = field(repr=False)


def parse_api_keys(text: str) -> list[ApiKey]:
    """The keys in a key file's text, in file order.

    Raises:
        KeyFileError: a line is not ``name=key``, a name or key has characters or a length
            that are not allowed, or a name or a key appears twice.
    """
    keys: list[ApiKey] = []
    names: set[str] = set()
    digests: set[bytes] = set()
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, key = (part.strip() for part in line.partition("="))
        if not separator:
            raise KeyFileError(f"line {number}: expected <client name>=<key>")
        if not CLIENT_NAME_PATTERN.fullmatch(name):
            raise KeyFileError(
                f"line {number}: a client name is 1-64 letters, digits, '.', '_' or '-'"
                " and starts with a letter or digit"
            )
        if not KEY_PATTERN.fullmatch(key):
            raise KeyFileError(
                f"line {number} ({name}): a key is 16-256 letters, digits or . _ ~ + / = -"
            )
        digest = hashlib.sha256(key.encode()).digest()
        if name in names:
            raise KeyFileError(f"line {number}: client {name} is listed twice")
        if digest in digests:
            raise KeyFileError(f"line {number} ({name}): this key is already another client's")
        names.add(name)
        digests.add(digest)
        keys.append(ApiKey(name, key))
    return keys


def api_key_filter_config(keys: list[ApiKey]) -> dict[str, Any]:
    """The ``api_key_auth`` filter configuration for ``keys``.

    An empty list is valid: every request is then refused with 401.
    """
    return {
        "@type": API_KEY_FILTER_TYPE,
        "credentials": [{"key": key.key, "client": key.client_name} for key in keys],
        "key_sources": [{"header": header} for header in KEY_HEADERS],
        # Services get the client's name and never the key.
        "forwarding": {"header": CLIENT_NAME_METADATA_KEY, "hide_credentials": True},
    }


def discovery_file_contents(keys: list[ApiKey]) -> dict[str, Any]:
    """The file Envoy watches: a discovery response with the one filter configuration."""
    return {
        "resources": [
            {
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": API_KEY_FILTER_NAME,
                "typed_config": api_key_filter_config(keys),
            }
        ]
    }


def write_discovery_file(keys: list[ApiKey], path: Path) -> None:
    """Replaces ``path`` atomically (Envoy reacts to the rename), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keys-", suffix=".yaml")
    try:
        with os.fdopen(descriptor, "w") as file:
            yaml.safe_dump(discovery_file_contents(keys), file, sort_keys=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ApiKeyFileWatcher:
    """Keeps Envoy's key configuration in step with the key file.

    Polls rather than waits for inotify: a Kubernetes Secret volume changes by swapping a
    symlink, and a read every ``interval_s`` costs nothing. A malformed file leaves the
    keys that were in force (and logs the line at fault).
    """

    def __init__(self, key_file: Path, discovery_file: Path, interval_s: float) -> None:
        self._key_file = key_file
        self.discovery_file = discovery_file
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-key-watcher", daemon=True)
        self._digest = b""

    def load(self) -> list[ApiKey]:
        """Reads the key file and writes Envoy's configuration; raises KeyFileError."""
        content = self._read_bytes()
        self._digest = hashlib.sha256(content).digest()
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise KeyFileError(f"the API key file {self._key_file} is not UTF-8 text") from None
        keys = parse_api_keys(text)
        write_discovery_file(keys, self.discovery_file)
        return keys

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _read_bytes(self) -> bytes:
        try:
            return self._key_file.read_bytes()
        except OSError as error:
            raise KeyFileError(
                f"cannot read the API key file {self._key_file}: {error.__class__.__name__}"
            ) from None

    def _run(self) -> None:
        last_error = ""
        while not self._stop.wait(self._interval_s):
            try:
                if hashlib.sha256(self._read_bytes()).digest() == self._digest:
                    continue
                keys = self.load()
            except (KeyFileError, OSError) as error:
                # Once per fault, not every few seconds.
                if str(error) != last_error:
                    logger.error("API keys not reloaded; the previous ones stay: %s", error)
                last_error = str(error)
                continue
            last_error = ""
            logger.info("API keys reloaded: %d clients", len(keys))
