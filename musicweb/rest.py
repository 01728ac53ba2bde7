"""The API's shared plumbing: one error format, pagination, authentication order, tags.

Every API view inherits ApiMixin, so errors look the same everywhere:
{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from musicweb.tags import format_tags, parse_tags

log = logging.getLogger(__name__)


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def exception_handler(exc, context):
    """DRF's handler, with every error body reshaped into the one documented format."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("API error", exc_info=exc)
        return Response(
            {"error": {"code": "server_error", "message": "Something went wrong on our side."}},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, Http404):
        code, message = "not_found", "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        code, message = "permission_denied", str(exc) or "You may not do this."
    else:
        code = getattr(exc, "default_code", "error")
        message = ""
    fields: dict[str, list[str]] = {}
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(detail, dict):
            for name, value in detail.items():
                key = "non_field_errors" if name in ("__all__", "non_field_errors") else name
                fields[key] = _flatten(value)
            general = fields.pop("non_field_errors", [])
            message = " ".join(general) or "Some fields are not valid: " + ", ".join(fields) + "."
            if general and fields:
                message += " Some fields are not valid: " + ", ".join(fields) + "."
        else:
            message = " ".join(_flatten(detail))
    elif not message:
        message = " ".join(_flatten(detail)) if detail is not None else str(exc)
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response.data = {"error": body}
    return response


class Pagination(PageNumberPagination):
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100


class ApiMixin:
    """Token first, so an unauthenticated call gets 401 with a WWW-Authenticate header."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    pagination_class = Pagination

    def get_exception_handler(self):
        return exception_handler


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagsField(serializers.Field):
    """Tags as a list of strings; accepts a list or comma-separated text."""

    default_error_messages = {"invalid": "Give tags as a list of strings or comma-separated text."}

    def to_representation(self, value: str) -> list[str]:
        return parse_tags(value)

    def to_internal_value(self, data) -> str:
        if isinstance(data, str):
            return format_tags(parse_tags(data))
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return format_tags(parse_tags(",".join(data)))
        self.fail("invalid")


def form_errors(form) -> exceptions.ValidationError:
    """A Django form's errors as the API's validation error (one validation for both)."""
    return exceptions.ValidationError(
        {("non_field_errors" if k == "__all__" else k): v for k, v in form.errors.items()}
    )


ERROR_STATUSES = {
    "400": "The request is not valid; `fields` says which parts.",
    "401": "Authentication is needed.",
    "403": "Not allowed.",
    "404": "Not found, or not yours to see.",
    "429": "Too many requests; wait and try again.",
}


def add_error_responses(result, generator, request, public):
    """Document the one error body on every operation (a drf-spectacular postprocessing hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    }
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": description, "content": body})
    return result


@csrf_exempt  # it changes nothing, whatever the method
def api_not_found(request, *args, **kwargs):
    """Any /api/ address that matches no endpoint answers in the API's error format, not HTML."""

    return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
