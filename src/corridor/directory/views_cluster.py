"""Pages of cluster joining: ask to join (the organisation's people), approve or decline (the
cluster's coordinator or staff). The rules are in directory.cluster_join."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from corridor.accounts import permissions
from corridor.core.hygiene import CleanTextFormMixin
from corridor.core.seclog import security_event
from corridor.directory import cluster_join
from corridor.directory.models import ClusterJoinRequest, Organisation
from corridor.directory.vocab import OrgKind


class JoinForm(CleanTextFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the coordinator"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choices: list[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in choices]
        ).order_by("name")


def join_context(user, cluster: Organisation) -> dict[str, Any]:
    """What the cluster's page shows about joining, for this user."""
    choices = cluster_join.joinable_orgs(user, cluster)
    may_decide = permissions.can_set_cluster(user, cluster) and user.is_authenticated
    return {
        "form": JoinForm(choices=choices) if choices else None,
        "pending": list(cluster_join.pending_for_cluster(cluster)) if may_decide else [],
        "may_decide": may_decide,
    }


def _cluster(slug: str, user) -> Organisation:
    cluster = get_object_or_404(Organisation, slug=slug, kind=OrgKind.CLUSTER)
    if cluster.merged_into_id or not permissions.can_view_org(user, cluster):
        raise Http404
    return cluster


@login_required
@require_POST
def join_request(request: HttpRequest, slug: str) -> HttpResponse:
    cluster = _cluster(slug, request.user)
    form = JoinForm(request.POST, choices=cluster_join.joinable_orgs(request.user, cluster))
    if not form.is_valid():
        messages.error(request, _("Choose one of your organisations."))
        return redirect("directory:organisation", slug=slug)
    try:
        cluster_join.cluster_join_request(
            org=form.cleaned_data["organisation"],
            cluster=cluster,
            by=request.user,
            message=form.cleaned_data["message"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your request was sent to the cluster's coordinator."))
    return redirect("directory:organisation", slug=slug)


@login_required
@require_POST
def join_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    join = get_object_or_404(ClusterJoinRequest.objects.select_related("cluster"), pk=pk)
    if decision not in ("approve", "decline"):
        raise Http404
    if not cluster_join.can_decide(request.user, join):
        security_event("permission_denied", request, join_request=pk)
        raise PermissionDenied
    service = (
        cluster_join.cluster_join_approve
        if decision == "approve"
        else cluster_join.cluster_join_decline
    )
    try:
        service(join=join, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(org)s is now a member.") % {"org": join.organisation.name}
            if decision == "approve"
            else _("The request was declined."),
        )
    return redirect("directory:organisation", slug=join.cluster.slug)
