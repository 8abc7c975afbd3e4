"""Downloading from a mirror: a per-read timeout, an overall deadline, and nothing unverified kept.

Why a watchdog: a socket timeout bounds each silent wait, but a server that sends one byte just inside the
timeout, forever, is never abandoned by it. A timer therefore shuts the connection's sockets down when the
deadline passes, which wakes any blocked read (headers included) at once. Why our own credentials
handling: a mirror URL may carry ``user:password@``; the password is sent as HTTP Basic authentication and
never appears in a message (see :func:`openconflict.config.redact_url`).

Standard library only; imported only when something must be fetched.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import os
import socket
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openconflict.config import redact_url
from openconflict.errors import ChecksumError, DownloadError
from openconflict.files import CHUNK, FILE_MODE, fsync_dir
from openconflict.ledger import FileEntry

__all__ = ["Limits", "fetch_bytes", "fetch_file"]

USER_AGENT = "openconflict-loader"


@dataclass(frozen=True)
class Limits:
    """How long a download may stay silent (``timeout``) and take in all (``deadline``), in seconds."""

    timeout: float
    deadline: float


class _Watchdog:
    """Shuts registered sockets down when the deadline passes, so a trickling server cannot hold us."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def register(self, sock: Any) -> Any:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)
        return sock

    @staticmethod
    def _shutdown(sock: Any) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sock.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @contextlib.contextmanager
    def running(self) -> Iterator[_Watchdog]:
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.cancel()


def _opener(watch: _Watchdog) -> urllib.request.OpenerDirector:
    """An opener whose HTTP(S) connections register their sockets with ``watch`` (proxies still work)."""

    def watched(cls: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
        class Watched(cls):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                create = self._create_connection
                self._create_connection = lambda *a, **k: watch.register(create(*a, **k))

            def connect(self) -> None:
                super().connect()
                watch.register(self.sock)  # the TLS socket replaces the raw one for HTTPS

        return Watched

    http_conn, https_conn = watched(http.client.HTTPConnection), watched(http.client.HTTPSConnection)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(http_conn, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            kwargs: dict[str, Any] = {"context": getattr(self, "_context", None)}
            if hasattr(self, "_check_hostname"):
                kwargs["check_hostname"] = self._check_hostname
            return self.do_open(https_conn, req, **kwargs)

    class Redirect(urllib.request.HTTPRedirectHandler):
        """Follow redirects, but never carry the mirror's password to another host."""

        def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> urllib.request.Request | None:
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
                new.remove_header("Authorization")
            return new

    return urllib.request.build_opener(HTTP, HTTPS, Redirect)


def _request(url: str) -> urllib.request.Request:
    """A request for ``url`` with any ``user:password@`` moved into an Authorization header."""
    parts = urllib.parse.urlsplit(url)
    headers = {"User-Agent": USER_AGENT}
    if parts.username is not None or parts.password is not None:
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return urllib.request.Request(url, headers=headers)


def _hint(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return (" The TLS certificate could not be verified: behind a corporate proxy set SSL_CERT_FILE to your "
                "organisation's CA bundle.")
    return (" Check your connection and OPENCONFLICT_URL; behind a proxy set HTTPS_PROXY/HTTP_PROXY; for a slow "
            "link raise OPENCONFLICT_TIMEOUT or OPENCONFLICT_DEADLINE.")


def _stream(url: str, limits: Limits, sink: Any, cap: int) -> tuple[int, int | None]:
    """GET ``url`` into ``sink(chunk)``; stops after ``cap`` + 1 bytes. Returns (received, Content-Length)."""
    shown = redact_url(url)
    watch = _Watchdog(limits.deadline)
    received = 0
    promised: int | None = None
    started = time.monotonic()

    def late() -> DownloadError:
        return DownloadError(f"gave up on {shown} after the {limits.deadline:g} s deadline ({received} bytes "
                             f"received in {time.monotonic() - started:.1f} s); nothing was cached. The mirror is "
                             "too slow: try again later, use another mirror, or raise OPENCONFLICT_DEADLINE.")

    with watch.running():
        try:
            with _opener(watch).open(_request(url), timeout=limits.timeout) as resp:
                length = resp.headers.get("Content-Length")
                promised = int(length) if length and length.isascii() and length.isdigit() else None
                while chunk := resp.read1(CHUNK):  # whatever has arrived: partial progress is kept
                    received += len(chunk)
                    sink(chunk)
                    if received > cap:
                        break  # a wrong file: stop reading; the caller's size check reports it
                    if watch.expired:
                        raise late()
        except DownloadError:
            raise
        except urllib.error.HTTPError as exc:
            what = "the mirror does not have this file" if exc.code == 404 else "the mirror refused"
            raise DownloadError(f"HTTP {exc.code} {exc.reason} for {shown}: {what}. Check that OPENCONFLICT_URL names "
                                "a mirror laid out like build/releases/ (<base>/registry.json, "
                                "<base>/<version>/datapackage.json) that holds this version.") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if watch.expired:
                raise late() from None
            if isinstance(exc, http.client.IncompleteRead):
                raise DownloadError(f"connection closed early while downloading {shown}: got "
                                    f"{received + len(exc.partial)} bytes. Nothing was cached; try again.") from None
            if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
                raise DownloadError(f"timed out after {limits.timeout:g} s without data from {shown} ({received} "
                                    "bytes received). Nothing was cached; try again or raise "
                                    "OPENCONFLICT_TIMEOUT.") from None
            raise DownloadError(f"could not download {shown}: {_describe(exc)}.{_hint(exc)}") from None
    if watch.expired and received <= cap and (promised is None or received < promised):
        raise late()
    return received, promised


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc) or type(exc).__name__
    return text.replace(str(getattr(exc, "url", "\0")), "<url>")


def fetch_bytes(url: str, limits: Limits, cap: int) -> bytes:
    """The body of ``url`` (at most ``cap`` bytes; more is a :class:`DownloadError`)."""
    parts: list[bytes] = []
    received, promised = _stream(url, limits, parts.append, cap)
    if received > cap:
        raise DownloadError(f"{redact_url(url)} is larger than {cap} bytes; refused")
    if promised is not None and received < promised:
        raise DownloadError(f"the download of {redact_url(url)} stopped after {received} of {promised} bytes; "
                            "try again")
    return b"".join(parts)


def fetch_file(url: str, entry: FileEntry, folder: Path, name: str, limits: Limits) -> Path:
    """Download ``url`` into ``folder/name``, verified against ``entry`` (size and sha256), world-readable.

    The bytes go to a unique hidden temporary file in ``folder`` (the caller holds the version lock and has
    made ``folder`` a real folder of the cache); only a verified file is renamed into place, atomically, so a
    reader never sees a partial file and a bad download never enters the cache. A killed process may leave
    its temporary file behind; the next download of the version removes it (see ``Cache.remove_partials``).
    """
    shown = redact_url(url)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            def sink(chunk: bytes) -> None:
                h.update(chunk)
                out.write(chunk)

            received, promised = _stream(url, limits, sink, entry.bytes)
            out.flush()
            os.fsync(out.fileno())
        if received < entry.bytes and promised == entry.bytes:
            raise DownloadError(f"the download of {shown} stopped after {received} of {entry.bytes} bytes (the "
                                "connection closed early). Nothing was cached; try again.")
        actual = h.hexdigest()
        if received != entry.bytes or actual != entry.sha256:
            if received > entry.bytes:
                size_note = f"more than the expected {entry.bytes} bytes"
                actual = "(not computed: the response was longer than the file)"
            else:
                size_note = f"{received} bytes, expected {entry.bytes}"
            raise ChecksumError(
                f"checksum mismatch for {shown}: expected sha256 {entry.sha256}, got {actual} ({size_note}). The "
                "file was discarded and nothing entered the cache. The mirror may be serving a different or "
                "corrupted file: try again, or point OPENCONFLICT_URL at another mirror; if it persists, report "
                "it to the mirror's maintainers.")
        os.chmod(tmp, FILE_MODE)
        dest = folder / name
        os.replace(tmp, dest)  # replaces a link at dest by the file itself; never writes through it
        fsync_dir(folder)
        return dest
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
