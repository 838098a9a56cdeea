"""CORS limited to ``PITCHLAB_CORS_ORIGINS``, with rejected preflights in the error envelope."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from pitchlab.http.errors import error_response


class EnvelopeCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # Starlette explains the refusal in plain text; the contract wants the envelope.
        reason = bytes(response.body).decode("utf-8", "replace")
        return error_response(
            response.status_code, "cors_rejected", "This cross-origin request is not allowed.",
            {"reason": reason},
        )
