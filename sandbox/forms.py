from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm

from sandbox.models import Design


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class NewDesignForm(forms.Form):
    name = forms.CharField(max_length=120, initial="Untitled design", strip=True)


class RenameForm(forms.ModelForm):
    class Meta:
        model = Design
        fields = ("name",)


class DesignSettingsForm(forms.ModelForm):
    published_revision = forms.TypedChoiceField(
        label="Revision others see",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="What public readers and share-link holders open, run and fork. "
        "Other revisions stay yours.",
    )

    class Meta:
        model = Design
        fields = ("name", "description", "visibility", "published_revision")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "visibility": forms.RadioSelect,
        }
        help_texts = {
            "visibility": "Public designs are listed in the gallery and readable by anyone.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        numbered = [
            (r.number, f"Revision {r.number}" + (f": {r.message}" if r.message else ""))
            for r in self.instance.revisions.order_by("-number")
        ]
        self.fields["published_revision"].choices = [
            ("", "The newest revision (each save shows at once)"),
            *numbered,
        ]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Design file (.json)",
        help_text="A design exported from Architecture Sandbox (format 1).",
    )
    name = forms.CharField(
        max_length=120,
        required=False,
        help_text="Leave blank to use the name inside the file.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.SANDBOX_MAX_DOCUMENT_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size} bytes; at most {limit} bytes are allowed."
            )
        return upload


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1, label="From revision")
    b = forms.IntegerField(min_value=1, label="To revision")
