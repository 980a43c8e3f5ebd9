"""Form of the directory import: which list, and the file (read and checked for its columns)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.directory import imports


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file lists"), choices=list(imports.KINDS.items()))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or Excel .xlsx, up to 5 MB, first row = column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload is None or not kind:
            return cleaned
        if upload.size > imports.MAX_BYTES:
            self.add_error(
                "file",
                _("The file is larger than %(mb)d MB: split it into several files.")
                % {"mb": imports.MAX_BYTES // (1024 * 1024)},
            )
            return cleaned
        try:
            cleaned["rows"] = imports.parse_file(upload.read(), upload.name, kind)
        except imports.ImportFileError as e:
            self.add_error("file", str(e))
        return cleaned
