"""One error shape for every API failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from corridor.api.parsers import LoneSurrogateError
from corridor.connections.services import ConnectionNotAllowed
from corridor.core.middleware import database_unavailable_response, is_database_down
from corridor.core.seclog import security_event

logger = logging.getLogger(__name__)

# Machine-readable codes by HTTP status, for errors raised without their own code.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
}


class ErrorDetail(Schema):
    loc: list[str | int] = []
    msg: str
    type: str = ""


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorBody


# Declared on operations so that the OpenAPI schema documents the error shape.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ApiError(HttpError):
    """An error an endpoint raises on purpose, with its own code and optional details."""

    def __init__(
        self, status: int, message: str, *, code: str = "", details: list[dict] | None = None
    ) -> None:
        super().__init__(status, message)
        self.code = code or CODES.get(status, "error")
        self.details = details or []


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    message: str,
    *,
    code: str = "",
    details: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    body = {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": str(message),
            "details": details or [],
        }
    }
    return api.create_response(request, body, status=status)


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ninja's pydantic errors, reduced to where, what and which rule (no echoed input)."""
    return [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


def _django_validation_details(exc: DjangoValidationError) -> tuple[str, list[dict[str, Any]]]:
    if hasattr(exc, "error_dict"):
        details = [
            {"loc": ["body", field], "msg": str(msg), "type": "invalid"}
            for field, errors in exc.message_dict.items()
            for msg in errors
        ]
    else:
        details = [{"loc": [], "msg": str(m), "type": "invalid"} for m in exc.messages]
    message = details[0]["msg"] if len(details) == 1 else _("The data is not valid.")
    return message, details


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every exception into the one error shape."""

    def on_validation(request, exc: NinjaValidationError):
        return error_response(
            api,
            request,
            422,
            _("The request is not valid."),
            details=_validation_details(exc.errors),
        )

    def on_django_validation(request, exc: DjangoValidationError):
        message, details = _django_validation_details(exc)
        return error_response(api, request, 422, message, details=details)

    def on_conflict(request, exc: ConnectionNotAllowed):
        return error_response(api, request, 409, " ".join(exc.messages))

    def on_http_error(request, exc: HttpError):
        code = getattr(exc, "code", "")
        details = getattr(exc, "details", None)
        message = exc.message
        if isinstance(exc, AuthenticationError) and message == "Unauthorized":
            message = _("Authentication required: send a valid token or sign in.")
        elif isinstance(exc, Throttled):
            message = _("Too many requests: please wait a moment.")
        elif isinstance(exc.__cause__, LoneSurrogateError):
            message = _(
                "The body holds a lone surrogate (such as \\ud800), which is not text: "
                "send valid UTF-8."
            )
        elif isinstance(exc.__cause__, ValueError) and exc.status_code == 400:
            message = _("The body is not valid JSON.")
        return error_response(api, request, exc.status_code, message, code=code, details=details)

    def on_too_big(request, exc: RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return error_response(
            api, request, 413, _("The request is too large (at most %(mb)d MB).") % {"mb": limit}
        )

    def on_404(request, exc: Http404):
        return error_response(api, request, 404, _("Not found."))

    def on_denied(request, exc: PermissionDenied):
        security_event("permission_denied", request, reason=str(exc)[:120])
        message = str(exc) or _("You do not have permission to do this.")
        return error_response(api, request, 403, message)

    def on_unexpected(request, exc: Exception):
        if is_database_down(exc):  # a restart: 503 and Retry-After, as the pages answer
            return database_unavailable_response(request)
        # Logged with its traceback for the operators; the client gets the shape, not the trace.
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(api, request, 500, _("Something went wrong on our side."))

    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(ConnectionNotAllowed, on_conflict)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_denied)
    api.add_exception_handler(Exception, on_unexpected)


fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", include_in_schema=False
)
def not_found(request: HttpRequest, path: str):
    """Unknown addresses under /api/v1/ answer in the error shape, not with an HTML page."""
    raise Http404
