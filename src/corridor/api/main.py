"""The REST API under /api/v1/: one NinjaAPI, one router per domain."""

from ninja import NinjaAPI

from corridor.api import (
    connections,
    directory,
    errors,
    events,
    followup,
    geo,
    matching,
    notifications,
    offers,
    reporting,
    tokens,
    training,
)
from corridor.api.docs import LocalSwagger
from corridor.api.parsers import CleanParser
from corridor.api.throttling import anon_throttle, user_throttle

api = NinjaAPI(
    title="Corridor API",
    version="1",
    urls_namespace="api",
    description=(
        "Business database, matching and events of the Mekong corridor. "
        "Authenticate with `Authorization: Bearer <token>` (create tokens on your account page "
        "or at /me/tokens), or with the browser session plus the CSRF token for writes. "
        'Every error has the shape {"error": {"code", "message", "details"}}.'
    ),
    # validatorUrl: swagger-ui would otherwise send the schema to validator.swagger.io.
    throttle=[anon_throttle, user_throttle],
    parser=CleanParser(),  # text hygiene at the edge: control characters, lone surrogates
    docs=LocalSwagger(settings={"persistAuthorization": True, "validatorUrl": None}),
)
errors.install(api)

api.add_router("/", directory.router)
api.add_router("/", offers.router)
api.add_router("/", geo.router)
api.add_router("/", connections.router)
api.add_router("/", tokens.router)
api.add_router("/", matching.router)
api.add_router("/", notifications.router)
api.add_router("/", followup.router)
api.add_router("/", events.router)
api.add_router("/", reporting.router)
api.add_router("/", training.router)

api.add_router("/", errors.fallback_router)  # last: it matches every address
