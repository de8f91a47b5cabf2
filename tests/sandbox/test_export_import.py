"""Export a design as a JSON file and import one from an upload."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sandbox.models import Design, ShareLink


def _upload(content: bytes, name: str = "design.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_it_exports_the_newest_revision_as_a_file(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_export", args=[design.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="checkout-service-r1.json"'
    assert json.loads(response.content) == design.latest_revision().document


def test_it_exports_an_older_revision(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    document["name"] = "Second"
    design.add_revision(document, author=alice)
    response = alice_client.get(reverse("design_export", args=[design.pk]), {"revision": 1})
    assert json.loads(response.content)["name"] == "Two web servers"
    assert "-r1.json" in response["Content-Disposition"]


def test_it_answers_404_for_a_missing_revision(alice_client: Client, design: Design) -> None:
    url = reverse("design_export", args=[design.pk])
    assert alice_client.get(url, {"revision": 5}).status_code == 404
    assert alice_client.get(url, {"revision": "x"}).status_code == 404


def test_it_exports_a_shared_design(anon_client: Client, share_link: ShareLink) -> None:
    response = anon_client.get(reverse("shared_export", args=[share_link.token]))
    assert json.loads(response.content)["name"] == "Two web servers"


def test_an_export_imports_back(alice_client: Client, alice: Any, design: Design) -> None:
    exported = alice_client.get(reverse("design_export", args=[design.pk])).content
    response = alice_client.post(reverse("design_import"), {"file": _upload(exported)})
    imported = Design.objects.exclude(pk=design.pk).get(owner=alice)
    assert response.url == reverse("design_detail", args=[imported.pk])
    assert imported.name == "Two web servers"
    assert imported.latest_revision().document == design.latest_revision().document
    assert imported.latest_revision().message == "Imported from design.json"


def test_it_takes_the_name_from_the_form(
    alice_client: Client, alice: Any, document: dict[str, Any]
) -> None:
    alice_client.post(
        reverse("design_import"),
        {"file": _upload(json.dumps(document).encode()), "name": "My import"},
    )
    assert Design.objects.get(owner=alice).name == "My import"


def test_it_lists_every_problem_and_stores_nothing(
    alice_client: Client, alice: Any, invalid_document: dict[str, Any]
) -> None:
    response = alice_client.post(
        reverse("design_import"), {"file": _upload(json.dumps(invalid_document).encode())}
    )
    assert response.status_code == 400
    assert "Nothing was stored" in response.text
    assert "components[1].kind" in response.text
    assert "links[0].to" in response.text
    assert not Design.objects.filter(owner=alice).exists()


def test_it_explains_a_file_that_is_not_json(alice_client: Client, alice: Any) -> None:
    response = alice_client.post(
        reverse("design_import"), {"file": _upload(b'{"format": 1,\n  oops}', "bad.json")}
    )
    assert response.status_code == 400
    assert "“bad.json” is not valid JSON" in response.text
    assert "line 2" in response.text
    assert not Design.objects.filter(owner=alice).exists()


def test_it_refuses_a_file_over_the_size_limit(
    alice_client: Client, alice: Any, settings: Any
) -> None:
    settings.SANDBOX_MAX_DOCUMENT_BYTES = 100
    response = alice_client.post(reverse("design_import"), {"file": _upload(b" " * 500)})
    assert response.status_code == 400
    assert "at most 100 bytes" in response.text
    assert not Design.objects.filter(owner=alice).exists()


def test_it_asks_for_a_file(alice_client: Client) -> None:
    response = alice_client.post(reverse("design_import"), {})
    assert response.status_code == 400
    assert "This field is required." in response.text


def test_it_respects_the_design_limit(
    alice_client: Client, design: Design, document: dict[str, Any], settings: Any
) -> None:
    settings.SANDBOX_MAX_DESIGNS_PER_USER = 1
    response = alice_client.post(
        reverse("design_import"), {"file": _upload(json.dumps(document).encode())}
    )
    assert response.status_code == 400
    assert "the most allowed" in response.text
    assert Design.objects.count() == 1
