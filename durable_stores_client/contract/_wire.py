"""The suite's HTTP driver: requests as a check writes them, sent as they are written.

`Wire.request` goes through httpx (or the target's transport). `Wire.raw` sends
what httpx refuses to send, such as a malformed ``Content-Length`` or a body
shorter than its ``Content-Length`` followed by a half-close: over a socket of its
own to a server, or straight to the target's transport in-process.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import socket
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ._expect import MISSING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._target import Target

__all__ = ["Wire", "store_path"]


def store_path(store_id: str, operation: str | None = None) -> str:
    """``/stores/{id}`` (id percent-encoded) or ``/stores/{id}/{operation}``."""
    path = f"/stores/{quote(store_id, safe='')}"
    return f"{path}/{operation}" if operation else path


class Wire:
    """Sends one run's requests to the target, with its API key unless told otherwise."""

    def __init__(self, target: Target, http: httpx.Client):
        self.target = target
        self._http = http

    def _auth(self, auth: bool) -> dict[str, str]:
        if auth and self.target.api_key is not None:
            return {"authorization": f"Bearer {self.target.api_key}"}
        return {}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = MISSING,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one request (a JSON body, or raw ``content``) and read the whole answer."""
        all_headers: dict[str, str] = {}
        if json is not MISSING:
            content = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            all_headers["content-type"] = "application/json"
        all_headers.update(self._auth(auth))
        all_headers.update(headers or {})
        response = self._http.request(method, path, content=content, headers=all_headers)
        response.read()
        return response

    def raw(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        half_close: bool = False,
    ) -> httpx.Response | None:
        """Send a request exactly as given, headers included (no framing of its own).

        With ``half_close`` the sending side is shut after the body, so a server
        waiting for more of it reads the end instead. Returns None when this
        target cannot take such a request (``half_close`` over https).
        """
        all_headers = {"content-type": "application/json", **self._auth(True), **headers}
        url = f"{self.target.base_url}{path}"
        if self.target.transport is not None:
            request = httpx.Request(method, url, headers=all_headers, content=body)
            response = self.target.transport.handle_request(request)
            response.read()
            response.request = request
            return response
        parts = httpx.URL(url)
        if half_close and parts.scheme == "https":
            return None
        return self._over_socket(method, parts, all_headers, body, half_close=half_close)

    def _over_socket(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str],
        body: bytes,
        *,
        half_close: bool,
    ) -> httpx.Response:
        port = url.port or (443 if url.scheme == "https" else 80)
        sock: socket.socket = socket.create_connection(
            (url.host, port), timeout=self.target.timeout
        )
        try:
            if url.scheme == "https":
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=url.host)
            head = [
                f"{method} {url.raw_path.decode('ascii')} HTTP/1.1",
                f"Host: {url.netloc.decode()}",
            ]
            head += [f"{name}: {value}" for name, value in headers.items()]
            head.append("Connection: close")
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            answer = http.client.HTTPResponse(sock, method=method)
            answer.begin()
            content = answer.read()
            return httpx.Response(
                answer.status,
                headers=list(answer.getheaders()),
                content=content,
                request=httpx.Request(method, url),
            )
        finally:
            sock.close()
