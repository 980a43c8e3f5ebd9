"""The API's body and query parser: text hygiene at the edge (see corridor.core.hygiene).

Every string of a JSON body or a query string loses its control characters before validation;
a body holding a lone surrogate ("\\ud800", half of a UTF-16 pair: not text) is refused with 400
in the API's error shape, since it cannot be stored or written to a file.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from corridor.core.hygiene import clean_data, contains_lone_surrogate


class LoneSurrogateError(ValueError):
    """The body holds a lone surrogate: not valid Unicode text."""


class CleanParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if contains_lone_surrogate(data):
            raise LoneSurrogateError("lone surrogate in the body")
        return clean_data(data)

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        return clean_data(super().parse_querydict(data, list_fields, request))
