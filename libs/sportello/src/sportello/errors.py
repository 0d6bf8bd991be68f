"""Errors as problem+json (API.md "Conventions"): domain errors, validation with field paths.

Routes and domain code raise these; the handlers installed by `install_error_handlers` turn them
(and anything unexpected) into `application/problem+json` without internal detail.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sportello.contracts import text
from sportello.contracts.fields import FieldError

log = structlog.get_logger()

TITLES = {
    400: "Richiesta non valida",
    401: "Autenticazione richiesta",
    403: "Accesso negato",
    404: "Non trovato",
    405: "Metodo non consentito",
    409: "Conflitto",
    413: "Richiesta troppo grande",
    415: "Formato non supportato",
    422: "Dati non validi",
    429: "Troppe richieste",
    500: "Errore interno",
    502: "Servizio non raggiungibile",
    503: "Servizio non disponibile",
    504: "Servizio troppo lento",
}


class ProblemError(Exception):
    status = 400

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


class BadRequest(ProblemError):
    status = 400


class Unauthorized(ProblemError):
    status = 401

    def __init__(self, detail: str = "Autenticazione richiesta.", **kw):
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(ProblemError):
    status = 403


class NotFound(ProblemError):
    status = 404


class Conflict(ProblemError):
    """An illegal state transition or a conflicting write."""

    status = 409


class ValidationFailed(ProblemError):
    status = 422

    def __init__(self, errors: list[FieldError], detail: str = "Alcuni dati non sono validi."):
        super().__init__(detail, errors=errors)


class TooManyRequests(ProblemError):
    status = 429

    def __init__(self, retry_after: int, detail: str = "Troppi tentativi: riprova più tardi."):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after)))})


# A 422 names at most this many fields: a body with 20,000 unknown keys gets a short answer.
MAX_ERRORS = 20


def problem(status: int, detail: str, *, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Errore"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors[:MAX_ERRORS]]
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


# Italian messages for pydantic's error types; anything else falls back to a generic one.
PYDANTIC_MESSAGES = {
    "missing": "Campo obbligatorio.",
    "string_too_short": "Il testo è troppo corto (minimo {min_length} caratteri).",
    "string_too_long": "Il testo è troppo lungo (massimo {max_length} caratteri).",
    "string_type": "Deve essere un testo.",
    "string_pattern_mismatch": "Formato non valido.",
    "int_type": "Deve essere un numero intero.",
    "int_parsing": "Deve essere un numero intero.",
    "int_from_float": "Deve essere un numero intero.",
    "bool_type": "Deve essere vero o falso.",
    "bool_parsing": "Deve essere vero o falso.",
    "greater_than": "Deve essere maggiore di {gt}.",
    "greater_than_equal": "Deve essere almeno {ge}.",
    "less_than": "Deve essere minore di {lt}.",
    "less_than_equal": "Deve essere al massimo {le}.",
    "literal_error": "Valore non ammesso (valori possibili: {expected}).",
    "enum": "Valore non ammesso (valori possibili: {expected}).",
    "extra_forbidden": "Campo non previsto.",
    "uuid_type": "Identificativo non valido.",
    "uuid_parsing": "Identificativo non valido.",
    "date_type": "Data non valida (formato AAAA-MM-GG).",
    "date_parsing": "Data non valida (formato AAAA-MM-GG).",
    "date_from_datetime_parsing": "Data non valida (formato AAAA-MM-GG).",
    "datetime_parsing": "Data e ora non valide.",
    "value_error": "Valore non valido.",
    "json_invalid": "JSON non valido.",
    "model_type": "Deve essere un oggetto.",
    "dict_type": "Deve essere un oggetto.",
    "list_type": "Deve essere una lista.",
    "too_short": "Servono almeno {min_length} elementi.",
    "too_long": "Al massimo {max_length} elementi.",
    "missing_argument": "Campo obbligatorio.",
}


def _message(err: dict[str, Any]) -> str:
    template = PYDANTIC_MESSAGES.get(err.get("type", ""))
    if err.get("type") == "value_error":
        msg = str(err.get("msg", ""))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if "email" in msg.lower():
            return "Indirizzo email non valido."
        # Our own validators raise Italian messages; pass them through.
        if msg in (text.MESSAGE, text.DEPTH_MESSAGE):
            return msg
        return msg if msg and msg[0].isupper() and not msg.isascii() else "Valore non valido."
    if template is None:
        return "Valore non valido."
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


# FastAPI's own English 400 for a body it could not decode (bad UTF-8, huge integers, depth).
_UNPARSABLE = "There was an error parsing the body"
UNPARSABLE_DETAIL = ("Il corpo della richiesta non è un JSON valido "
                     "(codifica UTF-8, numeri troppo grandi o annidamento eccessivo).")


def field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    """pydantic errors → FieldError with the dotted path the client sent (no 'body.' prefix)."""
    out = []
    for err in errors[:MAX_ERRORS]:  # the answer shows no more; converting the rest is waste
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            where = loc[0]
            loc = loc[1:]
            if where == "header" and loc:
                loc = [loc[0]]
        # Drop the union/function markers pydantic inserts ("function-after[...]").
        loc = [p for p in loc if "[" not in p]
        if err.get("type") == "json_invalid":
            loc = []  # the position of a syntax error is no field of the client's
        out.append(FieldError(field=".".join(loc) or "body", message=_message(err)))
    return out


async def refuse_control_characters(request: Request) -> None:
    """Every service's guard on JSON bodies: a NUL in any string (PostgreSQL cannot store it) or
    nesting deeper than any form needs is a 422 naming the field, before the route or pydantic
    walks the body. Other control characters are refused by the fields' types. A NUL in a query
    parameter is refused too, for every method: a filter would carry it to PostgreSQL."""
    if bad := [FieldError(field=key, message=text.MESSAGE)
               for key, value in request.query_params.multi_items() if "\x00" in key + value]:
        raise ValidationFailed(bad)
    if request.method not in ("POST", "PUT", "PATCH") or "/webhooks/" in request.url.path:
        return  # providers' payloads are theirs: verified and parsed by the webhook route
    if "json" not in request.headers.get("content-type", ""):
        return
    if errors := text.body_errors(await request.body()):  # cached: the route reads it again for free
        raise ValidationFailed(errors)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError):
        return problem(exc.status, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem(422, "Alcuni dati non sono validi.", errors=field_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Errore")
        if exc.status_code == 400 and detail.startswith(_UNPARSABLE):
            detail = UNPARSABLE_DETAIL
        elif exc.status_code == 404 and detail == "Not Found":
            detail = "Risorsa non trovata."
        elif exc.status_code == 405:
            detail = "Metodo non consentito."
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError):
        # 53300 too many connections, 57P03 starting up: the database is busy, not the request bad.
        busy = getattr(exc.orig, "sqlstate", None) in ("53300", "57P03") or any(
            type(e).__name__ in ("TooManyConnectionsError", "CannotConnectNowError")
            for e in (exc.orig, getattr(exc.orig, "__cause__", None)))
        if busy or exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            log.warning("database_unavailable", path=request.url.path, error=type(exc.orig).__name__)
            return problem(503, "Servizio momentaneamente non disponibile: riprova tra poco.",
                           headers={"Retry-After": "1"})
        log.exception("database_error", path=request.url.path)
        return problem(500, "Si è verificato un errore imprevisto. Riprova tra poco.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled_error", path=request.url.path)
        return problem(500, "Si è verificato un errore imprevisto. Riprova tra poco.")

    app.add_middleware(ContainErrors)


class ContainErrors:
    """Answers an unexpected exception itself instead of letting it reach the server.

    Starlette's outermost handler re-raises after answering, and uvicorn then closes the
    connection: the gateway's pooled keep-alive connection would die with it and the next
    customer's request on it get a 502.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise  # half an answer is out: only closing the connection can end it
            log.exception("unhandled_error", path=scope.get("path"))
            await problem(500, "Si è verificato un errore imprevisto. Riprova tra poco.")(
                scope, receive, send)
