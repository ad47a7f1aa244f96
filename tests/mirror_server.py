"""A loopback HTTP mirror of a directory (127.0.0.1 only), with HTTP Range and the faults the fetch
tests need: a connection cut half-way, a corrupted byte, an HTML page, a 404, a stalled server."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a stalled handler is not waited for

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root)
        self.faults: dict[str, str] = {}  # path → "cut" (once), "corrupt", "html", "stall", "gone"
        self.sent: dict[str, int] = {}    # path → body bytes sent, over every request
        self.ranges: list[tuple[str, int]] = []  # (path, first byte asked) of each Range request
        self.proxied: list[str] = []  # absolute URLs asked of it as a proxy
        self.stall_s = 5.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: MirrorServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if "://" in self.path:  # asked as an HTTP proxy: the request line names the whole URL
            self.server.proxied.append(self.path)
        path = unquote(urlsplit(self.path).path.lstrip("/"))
        fault = self.server.faults.get(path)
        file = self.server.root / path
        if fault == "gone" or not file.is_file() or ".." in Path(path).parts:
            self.send_error(404, "Not Found")
            return
        if fault == "html":
            page = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"
            self._send(200, page, "text/html; charset=utf-8", path)
            return
        data = file.read_bytes()
        if fault == "corrupt":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        start = 0
        ranged = self.headers.get("Range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            start = int(ranged[6:-1])
            self.server.ranges.append((path, start))
        if start >= len(data) and start:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if fault == "stall":
            self._write(path, body[:1000])
            time.sleep(self.server.stall_s)
            return
        if fault == "cut":
            del self.server.faults[path]  # once: the retry finds the server well again
            self._write(path, body[: len(body) // 2])
            self.close_connection = True
            return
        self._write(path, body)

    def _send(self, status: int, body: bytes, content_type: str, path: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write(path, body)

    def _write(self, path: str, body: bytes) -> None:
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        self.server.sent[path] = self.server.sent.get(path, 0) + len(body)


@contextmanager
def serving(root: Path):
    """A MirrorServer of ``root`` on a free loopback port, shut down on exit."""
    server = MirrorServer(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
