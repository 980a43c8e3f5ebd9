"""The caller's account and personal API tokens (/me, /me/tokens)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from corridor.accounts import selectors, services
from corridor.accounts.models import ApiToken
from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS
from corridor.api.schemas.accounts import MeOut, TokenCreated, TokenIn, TokenOut

router = Router(tags=["account"], auth=auth_required)


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "is_programme_staff": user.is_programme_staff,
        "memberships": selectors.user_memberships(user),
    }


@router.get("/me/tokens", response={200: list[TokenOut], **ERRORS})
def token_list(request: HttpRequest):
    return selectors.user_tokens(request.user)


@router.post("/me/tokens", response={201: TokenCreated, **ERRORS})
def token_create(request: HttpRequest, payload: TokenIn):
    """Create a token. The secret is in this response only: it is stored as a hash."""
    if getattr(request, "api_token", None) is not None:
        # A stolen token must not mint tokens that outlive its revocation: new tokens are made
        # from a signed-in session (the account page, or this endpoint with the session).
        raise PermissionDenied(_("Create tokens while signed in, not with a token."))
    token, raw = services.api_token_create(user=request.user, name=payload.name)
    token.token = raw
    return Status(201, token)


@router.post("/me/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS})
def token_revoke(request: HttpRequest, token_id: int):
    # Someone else's token is "not found": its existence is not the caller's business.
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(token=token, by=request.user)
    return token
