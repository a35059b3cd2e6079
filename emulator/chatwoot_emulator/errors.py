"""Chatwoot error bodies (``ApiError`` and its constructors) and the success response."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    def __init__(self, status: int, body):
        super().__init__(status)
        self.status, self.body = status, body


def not_found():  # docs/chatwoot-behaviour.md#errors record not found in the Application API
    return ApiError(404, {"error": "Resource could not be found"})


def server_error():  # docs/chatwoot-behaviour.md#errors any unhandled exception
    return ApiError(500, {"status": 500, "error": "Internal Server Error"})


def unprocessable(errors: list[tuple[str, str]]):
    """docs/chatwoot-behaviour.md#errors model validation failure: full messages joined by ', ' plus attribute names."""
    return ApiError(422, {"message": ", ".join(m for _, m in errors), "attributes": [a for a, _ in errors]})


def param_missing(root: str):  # docs/chatwoot-behaviour.md#general-rules, #errors
    return ApiError(422, {"error": f"param is missing or the value is empty: {root}"})


def forbidden_action():  # docs/chatwoot-behaviour.md#errors Pundit denial is 401, never 403
    return ApiError(401, {"error": "You are not authorized to do this action"})


def ok(body=None) -> Response:
    """docs/chatwoot-behaviour.md#general-rules: success is 200 everywhere; deletes answer 200 with an empty body (``head :ok`` in a JSON
    controller: content type application/json, no charset)."""
    if body is None:
        return Response(b"", status_code=200, media_type="application/json")
    return JSONResponse(body)
