"""Error responses: JSON for API clients, a page for browsers, never a traceback."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class ValidationError(Exception):
    """Invalid input: answered with 422 and the name of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(Exception):
    """The request is valid but the resource's state forbids it: 409."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.args.get("format") == "json"
        or request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str, **details: Any) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=message, **details), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError) -> tuple[Response | str, int]:
        return error_response(422, exc.message, field=exc.field)

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> tuple[Response | str, int]:
        return error_response(409, exc.message, **exc.details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(400, f"CSRF check failed: {exc.description}")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal server error")
