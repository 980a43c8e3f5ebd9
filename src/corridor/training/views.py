"""Pages of training: programmes, modules, sessions and their attendance (staff), the no-login
self-assessment, certificates, cluster milestones and "what followed"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor.core import links, uploads
from corridor.core.exports import csv_response, xlsx_response
from corridor.directory.imports import Row
from corridor.directory.models import Organisation
from corridor.training import documents, forms, imports, permissions, selectors, services
from corridor.training.models import Attendance, ClusterMilestone, Module, Phase, Programme, Session

IMPORT_SALT = "training.attendance-import"


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc)


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage(request.user) or permissions.can_view_outcomes(request.user))
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST":
        _require(permissions.can_manage(request.user))
        if form.is_valid():
            try:
                p = services.programme_create(**form.cleaned_data, by=request.user)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                return redirect("training:programme", pk=p.pk)
    page = Paginator(selectors.programmes(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "training/programme_list.html",
        {"page": page, "form": form, "can_manage": permissions.can_manage(request.user)},
    )


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage(request.user))
    programme = get_object_or_404(Programme, pk=pk)
    form = forms.ModuleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_create(
                programme=programme, **form.cleaned_data, by=request.user
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("training:module", pk=module.pk)
    return render(
        request,
        "training/programme.html",
        {"programme": selectors.programme_detail(pk), "form": form},
    )


@login_required
def module_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage(request.user))
    module = get_object_or_404(Module.objects.select_related("programme"), pk=pk)
    action = request.POST.get("action")
    question_form = forms.QuestionForm(request.POST if action == "question" else None)
    session_form = forms.SessionForm(request.POST if action == "session" else None)
    if action == "question" and question_form.is_valid():
        try:
            services.question_add(
                module=module, text=question_form.cleaned_data["text"], by=request.user
            )
        except ValidationError as exc:
            _errors(question_form, exc)
        else:
            return redirect("training:module", pk=module.pk)
    if action == "session" and session_form.is_valid():
        try:
            session = services.session_create(
                module=module, **session_form.cleaned_data, by=request.user
            )
        except ValidationError as exc:
            _errors(session_form, exc)
        else:
            return redirect("training:session", pk=session.pk)
    return render(
        request,
        "training/module.html",
        {
            "module": module,
            "sessions": module.sessions.select_related("event").order_by("date"),
            "summary": selectors.assessment_summary(module),
            "question_form": question_form,
            "session_form": session_form,
        },
    )


@login_required
def material(request: HttpRequest, pk: int) -> HttpResponse:
    module = get_object_or_404(Module, pk=pk)
    _require(bool(module.material) and permissions.can_download_material(request.user, module))
    return uploads.file_response(module.material.name, download_name=module.material_name)


def _person_from(a: Attendance) -> services.Person:
    return services.Person(a.person_name, a.organisation_id, a.user_id, a.language)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance list: tick who was there (and add someone new), import a list, hand out
    assessment links."""
    _require(permissions.can_manage(request.user))
    session = get_object_or_404(Session, pk=pk)
    present = selectors.session_attendance(session)
    known = selectors.known_people(session)
    error = ""
    if request.method == "POST" and request.POST.get("action") == "mark":
        ticked = set(request.POST.getlist("present"))
        people = [_person_from(a) for a in present if f"a{a.pk}" in ticked]
        people += [_person_from(a) for a in known if f"a{a.pk}" in ticked]
        new_name = request.POST.get("new_name", "").strip()
        if new_name:
            row = Row(
                0, {"name": new_name, "organisation": request.POST.get("new_org", "").strip()}
            )
            report = imports.validate_rows(session, [row])
            if report.is_valid:
                people.append(services.Person(new_name, report.rows[0].data["organisation_id"]))
            else:
                error = "; ".join(str(m) for m in report.rows[0].messages)
        if not error:
            added, removed = services.attendance_set(
                session=session, present=people, by=request.user
            )
            messages.success(
                request,
                _("Attendance saved: %(added)d added, %(removed)d removed.")
                % {"added": added, "removed": removed},
            )
            return redirect("training:session", pk=session.pk)
    return render(
        request,
        "training/session.html",
        {
            "session": selectors.session_detail(pk),
            "present": present,
            "known": known,
            "error": error,
            "import_form": forms.ImportForm(),
            "organisations": Organisation.objects.filter(
                kind__in=["sme", "cluster"], merged_into__isnull=True
            )
            .order_by("name")
            .values_list("slug", "name")[:500],
        },
    )


@login_required
def session_export(request: HttpRequest, pk: int):
    _require(permissions.can_manage(request.user))
    session = get_object_or_404(Session, pk=pk)
    rows = [
        [
            a.person_name,
            a.organisation.name,
            a.organisation.slug,
            a.language,
            ", ".join(r.phase for r in a.responses.all()),
        ]
        for a in selectors.session_attendance(session)
    ]
    headers = [_("Name"), _("Organisation"), _("Slug"), _("Language"), _("Assessments answered")]
    if request.GET.get("format") == "xlsx":
        return xlsx_response(f"attendance-{session.pk}.xlsx", headers, rows, sheet=_("Attendance"))
    return csv_response(f"attendance-{session.pk}.csv", headers, rows)


@login_required
def session_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload → row-by-row preview → confirm: all rows written, or none."""
    _require(permissions.can_manage(request.user))
    session = get_object_or_404(Session, pk=pk)
    context: dict = {"session": session, "form": forms.ImportForm()}
    if request.method == "POST" and request.POST.get("payload"):
        try:
            data = signing.loads(request.POST["payload"], salt=IMPORT_SALT, max_age=24 * 3600)
        except signing.BadSignature as exc:
            raise Http404 from exc
        if data.get("session") != session.pk or data.get("user") != request.user.pk:
            raise Http404
        rows = [Row(line, values) for line, values in data["rows"]]
        try:
            n = imports.import_rows(session, rows, by=request.user)
        except imports.ImportRejected as exc:
            context["report"] = exc.report
            context["error"] = str(exc)
        else:
            messages.success(request, _("%(n)d participants imported.") % {"n": n})
            return redirect("training:session", pk=session.pk)
    elif request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = imports.parse_file(upload.read(imports.base.MAX_BYTES + 1), upload.name)
            except imports.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                report = imports.validate_rows(session, rows)
                context["report"] = report
                if report.is_valid:
                    context["payload"] = signing.dumps(
                        {
                            "session": session.pk,
                            "user": request.user.pk,
                            "rows": [[r.line, r.values] for r in rows],
                        },
                        salt=IMPORT_SALT,
                    )
    return render(request, "training/import.html", context)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage(request.user))
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="attendance-template.csv"'
    return response


@login_required
@require_POST
def assessment_link(request: HttpRequest, pk: int, phase: str) -> HttpResponse:
    """A fresh personal link for staff to pass on (shown this once)."""
    _require(permissions.can_manage(request.user) and phase in Phase.values)
    attendance = get_object_or_404(Attendance.objects.select_related("session__module"), pk=pk)
    try:
        raw = services.assessment_link_issue(attendance=attendance, phase=phase, by=request.user)
    except ValidationError as exc:
        return render(request, "training/_link.html", {"error": " ".join(exc.messages)})
    url = request.build_absolute_uri(reverse("training:assess", args=[phase, raw]))
    return render(request, "training/_link.html", {"url": url, "attendance": attendance})


def assess(request: HttpRequest, phase: str, token: str) -> HttpResponse:
    """The no-login self-assessment of one participant for one module, on a phone."""
    if phase not in Phase.values:
        raise Http404
    try:
        link = links.link_open(
            raw=token,
            purpose=services.assessment_purpose(phase),
            model=Attendance,
            count=request.method == "GET",
        )
    except links.LinkInvalid as exc:
        status = 410 if exc.reason in ("expired", "closed") else 404
        return render(
            request, "training/assess_invalid.html", {"message": exc.message}, status=status
        )
    attendance = get_object_or_404(
        Attendance.objects.select_related("session__module"), pk=link.object_id
    )
    questions = list(attendance.session.module.questions.all())
    form = forms.assessment_form(questions)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answers = {q.pk: form.cleaned_data[f"q{q.pk}"] for q in questions}
        try:
            services.assessment_answer(attendance=attendance, phase=phase, answers=answers)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "training/assess_done.html", {"attendance": attendance})
    response = render(
        request,
        "training/assess.html",
        {"form": form, "attendance": attendance, "phase": phase, "link": link},
    )
    # The token is in the address: never send it to another site. Not "no-referrer": Chromium
    # then posts the form with `Origin: null`, which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_object_or_404(
        Attendance.objects.select_related("session__module__programme", "organisation", "user"),
        pk=pk,
    )
    _require(permissions.can_view_attendance(request.user, attendance))
    response = HttpResponse(documents.certificate_pdf(attendance), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{attendance.pk}.pdf"'
    return response


@login_required
def milestone_add(request: HttpRequest, slug: str) -> HttpResponse:
    cluster = get_object_or_404(Organisation, slug=slug, kind="cluster")
    _require(permissions.can_add_milestone(request.user, cluster))
    form = forms.MilestoneForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_add(cluster=cluster, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The milestone was added to the timeline."))
            return redirect(reverse("directory:organisation", args=[cluster.slug]) + "#training")
    return render(request, "training/milestone_form.html", {"form": form, "cluster": cluster})


@login_required
def milestone_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(ClusterMilestone.objects.select_related("cluster"), pk=pk)
    _require(
        bool(milestone.evidence_file)
        and permissions.can_view_milestone_evidence(request.user, milestone.cluster)
    )
    return uploads.file_response(
        milestone.evidence_file.name, download_name=milestone.evidence_file_name
    )


@login_required
def what_followed(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_view_outcomes(request.user))
    programme = get_object_or_404(Programme, pk=pk)
    return render(
        request,
        "training/what_followed.html",
        {"result": selectors.what_followed(programme), "programmes": selectors.programmes()},
    )
