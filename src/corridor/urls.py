"""Root URL configuration: one include per domain app."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from corridor.api.main import api
from corridor.core import uploads
from corridor.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("help/<slug:name>/", core_views.help_page, name="help"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("corridor.accounts.urls")),
    path("start/", include("corridor.start.urls")),
    path("directory/", include("corridor.directory.urls")),
    path("connections/", include("corridor.connections.urls")),
    path("matching/", include("corridor.matching.urls")),
    path("notifications/", include("corridor.notifications.urls")),
    path("followup/", include("corridor.followup.urls")),
    path("events/", include("corridor.events.urls")),
    path("reporting/", include("corridor.reporting.urls")),
    path("training/", include("corridor.training.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # Private uploads (certificate documents...), through a permission check: core.uploads.
    path("files/<path:name>", uploads.private_file, name="private_file"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
