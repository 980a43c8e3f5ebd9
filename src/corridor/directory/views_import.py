"""Views of the staff import: upload, preview with the row report, confirm, result, templates."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts import permissions
from corridor.directory import imports
from corridor.directory.forms_import import ImportUploadForm
from corridor.directory.models import Organisation

RESULT_KEY = "directory_import_result"
# Links on the result page: enough to check a few profiles, not a second directory.
RESULT_LINKS = 100
# Rows shown on the preview (errors first); the CSV error report has every problem.
PREVIEW_ROWS = 500


def _staff_only(view):
    """Anonymous visitors log in first; signed-in users who are not staff get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _stashed(request: HttpRequest, token: str):
    found = imports.stash_load(token, by=request.user)
    if found is None:
        raise Http404(_("This upload has expired or was already imported."))
    return found


@_staff_only
def upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = imports.stash_save(
            kind=form.cleaned_data["kind"],
            filename=form.cleaned_data["file"].name,
            rows=form.cleaned_data["rows"],
            by=request.user,
        )
        return redirect("directory:import_preview", token=token)
    kinds = [(kind, label, imports.columns(kind)) for kind, label in imports.KINDS.items()]
    return render(request, "directory/import/upload.html", {"form": form, "kinds": kinds})


def _preview(request: HttpRequest, token: str, report: imports.Report, filename: str, status=200):
    return render(
        request,
        "directory/import/preview.html",
        {
            "token": token,
            "report": report,
            "rows": report.errors_first()[:PREVIEW_ROWS],
            "hidden": max(0, report.n_rows - PREVIEW_ROWS),
            "filename": filename,
            "kind_label": imports.KINDS[report.kind],
            "columns": [c.name for c in imports.columns(report.kind)],
        },
        status=status,
    )


@_staff_only
@require_GET
def preview(request: HttpRequest, token: str) -> HttpResponse:
    kind, filename, rows = _stashed(request, token)
    return _preview(request, token, imports.validate_rows(kind, rows), filename)


@_staff_only
@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    kind, filename, rows = _stashed(request, token)
    try:
        result = imports.import_rows(kind, rows, by=request.user)
    except imports.ImportRejected as e:
        messages.error(request, str(e))
        return _preview(request, token, e.report, filename, status=409)
    imports.stash_delete(token)
    links = list(
        Organisation.objects.filter(pk__in=result.organisation_ids[:RESULT_LINKS])
        .order_by("name")
        .values_list("name", "slug")
    )
    request.session[RESULT_KEY] = {
        "kind": kind,
        "filename": filename,
        "count": result.count,
        "organisations": len(result.organisation_ids),
        "links": links,
    }
    return redirect("directory:import_done")


@_staff_only
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    result = request.session.get(RESULT_KEY)
    if not result:
        return redirect("directory:import")
    return render(
        request,
        "directory/import/done.html",
        {"result": result, "kind_label": imports.KINDS[result["kind"]]},
    )


@_staff_only
@require_GET
def error_report(request: HttpRequest, token: str) -> HttpResponse:
    kind, filename, rows = _stashed(request, token)
    report = imports.validate_rows(kind, rows)
    response = HttpResponse(imports.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{kind}.csv"'
    return response


@_staff_only
@require_GET
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in imports.KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    if fmt == "csv":
        response = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            imports.template_xlsx(kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="corridor-{kind}.{fmt}"'
    return response
