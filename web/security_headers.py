"""Security headers on every response the app gives: pages, assets, Dash callbacks, the API, streams,
exports, errors and the sign-in form.

The Content-Security-Policy lets scripts come only from this origin, plus Dash's own inline scripts
(the renderer's start-up line and inline clientside callbacks) by their hashes: an injected
<script> or onclick=... does not run. Everything the pages use is served from here (Bootstrap's CSS
is in assets/; Dash serves its components locally), so nothing else needs allowing.
"""
from __future__ import annotations

from flask import Flask

ONE_YEAR_S = 365 * 24 * 3600


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        # Dash, plotly, the data table and dash-bootstrap-components set style attributes and add
        # <style> elements in the browser, with values computed there: no hash can name them. Styles
        # cannot run code; scripts stay locked down.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # plotly's and Bootstrap's icons are data: URIs
        "connect-src": ["'self'"],  # callbacks, the cockpit stream
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def security_headers(settings, script_hashes: list[str]) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # links in the cockpit carry lead ids: keep them in-house
    }
    if settings.cookie_secure:  # served over HTTPS: browsers must not fall back to plain HTTP
        headers["Strict-Transport-Security"] = f"max-age={ONE_YEAR_S}"
    return headers


def install_security_headers(server: Flask, settings, dash_app) -> None:
    """Add the headers to every response. Call it once the Dash app has taken its pages' callbacks
    (app._dash does), so the hashes cover every inline script it will render. It wraps the WSGI app
    rather than adding an after_request hook: Flask takes no new hooks once the app has answered a
    request, and _dash's warm-up request has been answered by then."""
    server.wsgi_app = SecurityHeaders(server.wsgi_app, security_headers(settings, list(dash_app.csp_hashes())))


class SecurityHeaders:
    """WSGI middleware: adds each header the response does not set itself (a view with needs of its
    own keeps its value)."""

    def __init__(self, app, headers: dict[str, str]):
        self.app, self.headers = app, list(headers.items())

    def __call__(self, environ, start_response):
        def start_with_headers(status, response_headers, exc_info=None):
            present = {name.lower() for name, _value in response_headers}
            response_headers.extend((name, value) for name, value in self.headers if name.lower() not in present)
            return start_response(status, response_headers, exc_info)

        return self.app(environ, start_with_headers)
