"""The REST API under /api/v1/: one NinjaAPI, one router per domain."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Corridor API",
    version="1",
    urls_namespace="api",
    description="Business database, matching and events of the Mekong corridor.",
)
