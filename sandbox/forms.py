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
    class Meta:
        model = Design
        fields = ("name", "description", "visibility")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "visibility": forms.RadioSelect,
        }
        help_texts = {
            "visibility": "Public designs are listed in the gallery and readable by anyone.",
        }


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
