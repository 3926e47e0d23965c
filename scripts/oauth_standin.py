"""A stand-in for the OAuth token services of Google and Microsoft, on 127.0.0.1, for the
bench: what Odoo's google_gmail and microsoft_outlook apps ask to renew an account's access
token, and what the bench's Dovecot asks to check a token (RFC 7662 introspection).

Odoo asks https://oauth2.googleapis.com/token and
https://login.microsoftonline.com/common/oauth2/v2.0/token, names written in its code. The
stand-in is also an HTTP proxy: an Odoo process started with HTTPS_PROXY pointing here and
REQUESTS_CA_BUNDLE at the bench's certificate (which names both hosts) reaches it under
those names, through its own code and settings, as through a company's proxy.

Endpoints (form-encoded POST, JSON answers, as the providers'):

- ``.../token``: ``grant_type=authorization_code`` gives the refresh token and the first
  access token of a consent's code (once); ``grant_type=refresh_token``, a new access token
  for a refresh token that was granted and not revoked (and, under Microsoft's path, a
  new refresh token); anything else is
  ``400 invalid_grant``, as Google and Microsoft answer a revoked consent.
- ``/introspect``: ``token=...`` gives ``{"active": true, "email": ...}`` for an access
  token that is neither expired nor revoked, else ``{"active": false}``.
- ``/bench/consent`` (``email``, ``expires_in``): the code that the provider's consent
  page hands the admin's browser back to Odoo with; its first access token expires in
  ``expires_in`` seconds (the renewed ones, in an hour).
- ``/bench/revoke`` (``email``): the user withdrew the consent, every token of the
  address stops working.
- ``/bench/log``: the requests made to the token endpoint, for tests to see a refresh.

Run by bench.py as ``python oauth_standin.py --port N --cert FILE --key FILE``.
"""

from __future__ import annotations

import argparse
import http.server
import json
import secrets
import signal
import ssl
import sys
import threading
import time
import urllib.parse

DEFAULT_EXPIRES_IN = 3600
# Where Microsoft's token endpoint lives, under login.microsoftonline.com.
MICROSOFT_PATH = "/common/oauth2/v2.0/"


class Tokens:
    """Granted tokens, kept in memory: a stand-in lives as long as its bench."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}  # authorization code -> (email, expires_in)
        self.refresh = {}  # refresh token -> {"email", "revoked"}
        self.access = {}  # access token -> {"email", "expires", "refresh"}
        self.log = []

    def consent(self, email, expires_in):
        with self.lock:
            code = "code-" + secrets.token_urlsafe(16)
            self.codes[code] = (email, expires_in)
            return code

    def grant(self, code):
        with self.lock:
            if code not in self.codes:
                self.log.append({"grant_type": "authorization_code", "email": None})
                return None
            email, expires_in = self.codes.pop(code)
            self.log.append({"grant_type": "authorization_code", "email": email})
            refresh_token = "refresh-" + secrets.token_urlsafe(16)
            self.refresh[refresh_token] = {"email": email, "revoked": False}
            return {"refresh_token": refresh_token, **self._new_access(refresh_token, expires_in)}

    def renew(self, refresh_token, rotate):
        """A new access token; with `rotate`, a new refresh token too, as Microsoft's
        identity platform answers (Google keeps the refresh token)."""
        with self.lock:
            granted = self.refresh.get(refresh_token)
            self.log.append({"grant_type": "refresh_token", "email": granted and granted["email"]})
            if not granted or granted["revoked"]:
                return None
            renewed = self._new_access(refresh_token, DEFAULT_EXPIRES_IN)
            if rotate:
                rotated = "refresh-" + secrets.token_urlsafe(16)
                self.refresh[rotated] = dict(granted)
                renewed["refresh_token"] = rotated
            return renewed

    def revoke(self, email):
        with self.lock:
            for granted in self.refresh.values():
                if granted["email"] == email:
                    granted["revoked"] = True

    def introspect(self, access_token):
        with self.lock:
            found = self.access.get(access_token)
            if not found or found["expires"] < time.time():
                return {"active": False}
            if self.refresh[found["refresh"]]["revoked"]:
                return {"active": False}
            return {"active": True, "email": found["email"], "exp": int(found["expires"])}

    def _new_access(self, refresh_token, expires_in):
        access_token = "access-" + secrets.token_urlsafe(16)
        self.access[access_token] = {
            "email": self.refresh[refresh_token]["email"],
            "expires": time.time() + expires_in,
            "refresh": refresh_token,
        }
        return {"access_token": access_token, "expires_in": expires_in, "token_type": "Bearer"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tokens: Tokens
    tls: ssl.SSLContext

    def log_message(self, format, *args):
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {format % args}\n")

    def do_CONNECT(self):
        """Proxy mode: the tunnel ends here, in TLS with the bench's certificate, and the
        requests inside it are served as any other."""
        self.send_response(200, "Connection established")
        self.end_headers()
        tunnel = self.tls.wrap_socket(self.connection, server_side=True)
        type(self)(tunnel, self.client_address, self.server)
        self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        values = {name: found[0] for name, found in form.items()}
        path = urllib.parse.urlsplit(self.path).path
        if path == "/introspect":
            self.answer(200, self.tokens.introspect(values.get("token", "")))
        elif path == "/bench/consent":
            expires_in = int(values.get("expires_in") or DEFAULT_EXPIRES_IN)
            self.answer(200, {"code": self.tokens.consent(values["email"], expires_in)})
        elif path == "/bench/revoke":
            self.tokens.revoke(values["email"])
            self.answer(200, {})
        elif path.endswith("/token"):
            grant_type = values.get("grant_type")
            if grant_type == "authorization_code":
                granted = self.tokens.grant(values.get("code", ""))
            elif grant_type == "refresh_token":
                granted = self.tokens.renew(
                    values.get("refresh_token", ""), rotate=path.startswith(MICROSOFT_PATH)
                )
            else:
                granted = None
            if granted:
                self.answer(200, granted)
            else:
                self.answer(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        else:
            self.answer(404, {"error": "not_found"})

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/bench/log":
            with self.tokens.lock:
                self.answer(200, list(self.tokens.log))
        else:
            self.answer(404, {"error": "not_found"})

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port, cert, key):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    handler = type("BenchOAuthHandler", (Handler,), {"tokens": Tokens(), "tls": tls})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    serve(args.port, args.cert, args.key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
