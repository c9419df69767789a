"""The JSON API beside the chat, for scripts and other tools.

    POST /api/ask      {"question", "history", "k", "filters"} -> the `emnqa ask --json` object
    GET  /api/health   {"status": "ok", "documents", "chunks", "index_version"}
    GET  /api/docs     the OpenAPI page (served from the package: no CDN)

Same process and same assistant as the chat. When a password is set
(EMNQA_AUTH_USER / EMNQA_AUTH_PASSWORD), every route but the page of docs
asks for it as HTTP Basic. Each client (its address) may ask
Settings.api_rate_limit answers; one more is 429 with Retry-After. Every
error is a JSON object {"error": "one sentence", "id": ...} with its status
code: 400 a question that cannot be asked, 401 no or a wrong password, 422 a
body of the wrong shape, 429 too many requests, 503 the index or model needs
attention, 500 anything else (logged as one line with the same id).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field

from ..config import HISTORY_WINDOW, Settings
from ..errors import EmnqaError, InvalidQuery
from ..types import Filters
from .chat import MAX_MESSAGE_CHARS, MAX_TURN_CHARS, auth_pair, validate_message, validate_turn
from .guard import ClientLimit, client_of, error_id

log = logging.getLogger(__name__)

# More history than the assistant reads (HISTORY_WINDOW turns) is refused,
# not cut: an API client should know what was read.
MAX_HISTORY_TURNS = 4 * HISTORY_WINDOW
MAX_K = 50


class Turn(BaseModel):
    """An earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskFilters(BaseModel):
    """Answer from these documents, years or kinds only (each optional)."""

    model_config = ConfigDict(extra="forbid")
    doc_ids: list[str] | None = Field(default=None, max_length=50)
    years: list[str] | None = Field(default=None, max_length=50)
    kinds: list[str] | None = Field(default=None, max_length=20)


class AskRequest(BaseModel):
    """A question, with the conversation before it for a follow-up."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "How many people applied for asylum in Belgium in 2024?"}]},
    )
    question: str = Field(max_length=MAX_MESSAGE_CHARS, description="the question, in English, French or Dutch")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="the turns before it, oldest first")
    k: int | None = Field(default=None, ge=1, le=MAX_K, description="passages to retrieve (default: EMNQA_TOP_K)")
    filters: AskFilters | None = None


class ApiError(Exception):
    """An error the API answers with `status` and one sentence; `id`, the one
    its log line has (a new one when it was not logged)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, id: str | None = None):
        super().__init__(message)
        self.status, self.message, self.headers, self.id = status, message, headers or {}, id or error_id()


def error_response(status: int, message: str, headers: dict[str, str] | None = None, id: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "id": id or error_id()}, status_code=status, headers=headers)


def build_api(assistant, settings: Settings | None = None) -> FastAPI:
    """The API app over `assistant` (mounted at /api by emnqa.web.server)."""
    from fastapi_offline import FastAPIOffline

    settings = settings or assistant.settings
    api = FastAPIOffline(
        title="emnqa API",
        summary="Questions answered from the EMN Belgium documents, each statement a cited quote.",
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        static_url="/static",
    )
    credentials = auth_pair(settings)
    basic = HTTPBasic(auto_error=False)
    logins = ClientLimit(settings.login_attempts)
    answers = ClientLimit(settings.api_rate_limit)
    documents = assistant.index.documents

    def authorised(request: Request, given: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if credentials is None:
            return
        client = client_of(request.scope)
        if not logins.allows(client):
            raise ApiError(429, "Too many wrong passwords from this address; try again later.",
                           {"Retry-After": str(logins.retry_after(client))})
        if given is None or not (
            secrets.compare_digest(given.username.encode(), credentials[0].encode())
            and secrets.compare_digest(given.password.encode(), credentials[1].encode())
        ):
            if given is not None:
                logins.hit(client)
            raise ApiError(401, "This API needs the chat's user name and password (HTTP Basic).",
                           {"WWW-Authenticate": 'Basic realm="emnqa"'})

    def limited(request: Request) -> None:
        client = client_of(request.scope)
        if not answers.hit(client):
            raise ApiError(429, f"Too many questions from this address (the limit is {settings.api_rate_limit}); "
                                "try again in a moment.", {"Retry-After": str(answers.retry_after(client))})

    @api.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.headers, exc.id)

    @api.exception_handler(RequestValidationError)
    async def bad_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "the body"
        return error_response(422, f"The request's {where} is not acceptable: {first.get('msg', 'wrong shape')}.")

    @api.post("/ask", dependencies=[Depends(authorised), Depends(limited)],
              summary="Answer a question", response_description="the `emnqa ask --json` object")
    def ask(body: AskRequest) -> JSONResponse:
        """The answer with its citations and the passages retrieved: the same
        object as `emnqa ask --json`."""
        try:
            question = validate_message(body.question)
            history = [{"role": t.role, "content": validate_turn(t.content)} for t in body.history]
            answer = assistant.ask(question, history or None, k=body.k, filters=_filters(body.filters))
        except InvalidQuery as exc:
            raise ApiError(400, str(exc)) from None
        except EmnqaError as exc:
            logged = error_id()
            log.error("api error %s: cannot answer %.200r: %s", logged, body.question, exc)
            raise ApiError(503, f"The assistant cannot answer right now: its index or model needs attention (error {logged}).",
                           id=logged) from None
        except Exception as exc:  # one line in the log, the id in the reply: never a traceback either way
            logged = error_id()
            log.error("api error %s: unexpected %s answering %.200r: %s", logged, type(exc).__name__, body.question, exc)
            raise ApiError(500, f"Sorry, something went wrong (error {logged}).", id=logged) from None
        # Plain JSON: the object is plain data already, and FastAPI's
        # jsonable_encoder walk over its passages costs more than the answer.
        return JSONResponse(answer.to_dict())

    @api.get("/health", dependencies=[Depends(authorised)], summary="Whether the assistant is up")
    def health() -> dict[str, Any]:
        """Up and answering from this index."""
        manifest = assistant.index.manifest
        return {"status": "ok", "documents": len(documents), "chunks": len(assistant.index.chunks),
                "index_format": manifest.get("format_version"), "index_built": manifest.get("created")}

    return api


def _filters(chosen: AskFilters | None) -> Filters | None:
    if chosen is None:
        return None
    picked = [frozenset(x for x in values if x) or None if values else None
              for values in (chosen.doc_ids, chosen.years, chosen.kinds)]
    return Filters(*picked) if any(picked) else None
