"""The editor's properties panel: a form per kind from the catalog, checked as typed.

The panel reads no stored design (the editor sends the current values), so there is
no ownership to check; anyone who can see a diagram can see its settings.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

URL = reverse("editor_properties")


def trigger(response) -> dict:
    return json.loads(response["HX-Trigger"])["editor:params"]


def test_it_renders_a_kinds_parameters_with_units_ranges_and_help(anon_client: Client) -> None:
    params = json.dumps({"instances": 3, "size": "large", "stateful": True})
    response = anon_client.get(URL, {"kind": "web_server", "id": "web-1", "params": params})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="p.instances" value="3"' in html
    assert 'min="1" max="1000"' in html
    assert "Range: 1 to 1000 instances." in html
    assert '<option value="large" selected>' in html
    assert 'name="p.stateful" checked' in html
    assert "Service time" in html
    assert "(ms)" in html
    assert 'hx-post="/editor/properties/"' in html
    assert "Autoscaling" in html


def test_it_falls_back_to_defaults_and_lists_fixed_map_keys(anon_client: Client) -> None:
    response = anon_client.get(URL, {"kind": "client", "id": "users", "params": "{}"})
    html = response.content.decode()
    assert 'name="p.rps" value="100"' in html
    for key in ("read", "write", "static", "job"):
        assert f'name="p.mix.{key}"' in html


def test_it_offers_weights_for_the_linked_targets(anon_client: Client) -> None:
    response = anon_client.get(
        URL,
        {"kind": "load_balancer", "id": "lb", "params": '{"weights": {"a": 2}}', "targets": "a,b"},
    )
    html = response.content.decode()
    assert 'name="p.weights.a" value="2"' in html
    assert 'name="p.weights.b" value=""' in html


def test_it_names_the_weighed_targets_by_their_labels(anon_client: Client) -> None:
    """DNS weights are keyed by ids in the document; the person reads the labels."""
    names = json.dumps({"dc-1": "Frankfurt", "web-1": "Checkout web"})
    response = anon_client.get(
        URL,
        {"kind": "dns", "id": "dns", "params": "{}", "targets": "web-1,dc-1,web-2", "names": names},
    )
    html = response.content.decode()
    assert ">Checkout web</label>" in html
    assert ">Frankfurt</label>" in html
    assert ">web-2</label>" in html  # no label: its id
    assert ">web-1</label>" not in html
    assert ">dc-1</label>" not in html
    assert 'name="p.weights.web-1"' in html
    assert 'name="p.weights.dc-1"' in html


def test_unreadable_names_leave_the_ids_shown(anon_client: Client) -> None:
    for names in ("{", "[1]", '{"a": 3}', '{"a": ""}'):
        response = anon_client.get(
            URL, {"kind": "dns", "id": "dns", "params": "{}", "targets": "a", "names": names}
        )
        assert response.status_code == 200
        assert ">a</label>" in response.content.decode()


def test_a_links_title_names_its_ends_by_their_labels(anon_client: Client) -> None:
    names = json.dumps({"lb-1": "Front door", "web-1": "Checkout web"})
    response = anon_client.get(
        URL,
        {"link": "1", "id": "lb-1->web-1", "from": "lb-1", "to": "web-1", "params": "{}",
         "names": names},
    )  # fmt: skip
    html = response.content.decode()
    assert "<strong>Front door</strong> → <strong>Checkout web</strong>" in html


def test_it_renders_a_links_latency(anon_client: Client) -> None:
    response = anon_client.get(
        URL, {"link": "1", "id": "lb->web", "from": "lb", "to": "web", "params": "{}"}
    )
    html = response.content.decode()
    assert 'name="p.latency_ms"' in html
    assert 'name="link" value="1"' in html
    assert "<strong>lb</strong> → <strong>web</strong>" in html


def test_it_escapes_what_the_user_typed(anon_client: Client) -> None:
    response = anon_client.get(
        URL, {"kind": "cache", "id": "c", "label": '<script>alert("x")</script>', "params": "{}"}
    )
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_read_only_disables_the_form(anon_client: Client) -> None:
    response = anon_client.get(URL, {"kind": "cache", "id": "c", "params": "{}", "read_only": "1"})
    html = response.content.decode()
    assert "hx-post" not in html
    assert "disabled" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"kind": "toaster", "id": "t"}, "unknown component kind"),
        ({"kind": "cache", "id": "c", "params": "{nope"}, "params is not valid JSON"),
        ({"kind": "cache", "id": "c", "params": "[1]"}, "params must be a JSON object"),
        ({"kind": "cache", "params": "{}"}, "id is required"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(
    anon_client: Client, query: dict, message: str
) -> None:
    response = anon_client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_it_refuses_other_methods(anon_client: Client) -> None:
    assert anon_client.put(URL).status_code == 405
    assert anon_client.delete(URL).status_code == 405


def test_good_values_are_accepted_in_document_types(anon_client: Client) -> None:
    response = anon_client.post(
        URL,
        {
            "kind": "web_server",
            "id": "web-1",
            "p.instances": "4",
            "p.size": "medium",
            "p.service_ms": "12.5",
            "p.queue_limit": "",
            "p.stateful": "on",
        },
    )
    assert response.status_code == 200
    detail = trigger(response)
    assert detail["id"] == "web-1"
    assert detail["errors"] == {}
    params = detail["params"]
    assert params["instances"] == 4
    assert params["size"] == "medium"
    assert params["service_ms"] == 12.5
    assert params["queue_limit"] is None
    assert params["stateful"] is True
    assert params["autoscale"] is False  # an unticked box is sent as nothing


def test_a_bad_value_gets_an_inline_error_and_is_not_accepted(anon_client: Client) -> None:
    response = anon_client.post(
        URL, {"kind": "web_server", "id": "web-1", "p.instances": "5000", "p.size": "small"}
    )
    detail = trigger(response)
    assert detail["errors"] == {"instances": "must be an integer from 1 to 1000"}
    assert "instances" not in detail["params"]
    assert detail["params"]["size"] == "small"
    html = response.content.decode()
    assert (
        '<p class="prop__error" id="prop-instances-error" role="alert" hx-swap-oob="true">'
        "must be an integer from 1 to 1000</p>" in html
    )
    # Every field's error slot is swapped, so fixed fields lose their old error.
    assert 'id="prop-size-error" role="alert" hx-swap-oob="true"></p>' in html


def test_text_in_a_number_field_is_named_as_the_error(anon_client: Client) -> None:
    response = anon_client.post(URL, {"kind": "cache", "id": "c", "p.hit_ratio": "lots"})
    assert trigger(response)["errors"]["hit_ratio"].startswith("must be a number")


def test_a_rule_across_fields_marks_its_field(anon_client: Client) -> None:
    response = anon_client.post(
        URL,
        {
            "kind": "client",
            "id": "users",
            "p.rps": "100",
            "p.mix.read": "0.5",
            "p.mix.write": "0.2",
            "p.mix.static": "0.1",
            "p.mix.job": "0",
        },
    )
    detail = trigger(response)
    assert detail["errors"] == {"mix": "shares must add up to 1 (they add up to 0.8)"}
    assert "mix" not in detail["params"]
    assert detail["params"]["rps"] == 100


def test_a_map_entry_error_names_its_key(anon_client: Client) -> None:
    response = anon_client.post(URL, {"kind": "load_balancer", "id": "lb", "p.weights.web": "-1"})
    detail = trigger(response)
    assert "weights.web" in detail["errors"]
    assert "weights" not in detail["params"]
    assert "web: must be a number" in response.content.decode()


def test_clearing_every_weight_clears_the_map(anon_client: Client) -> None:
    response = anon_client.post(
        URL, {"kind": "load_balancer", "id": "lb", "p.weights": "", "p.weights.web": ""}
    )
    assert trigger(response)["params"]["weights"] == {}


def test_a_links_latency_is_checked(anon_client: Client) -> None:
    good = anon_client.post(URL, {"link": "1", "id": "a->b", "p.latency_ms": "30"})
    assert trigger(good)["params"] == {"latency_ms": 30.0}
    bad = anon_client.post(URL, {"link": "1", "id": "a->b", "p.latency_ms": "-1"})
    assert trigger(bad)["errors"] == {"latency_ms": "must be a number from 0 to 60000"}


def test_a_check_refuses_an_unknown_kind(anon_client: Client) -> None:
    response = anon_client.post(URL, {"kind": "toaster", "id": "t"})
    assert response.status_code == 400
    assert "unknown component kind 'toaster'" in response.content.decode()


DATACENTRES = json.dumps([{"id": "dc-1", "label": "East"}, {"id": "dc-2", "label": "West"}])


def test_it_says_which_data_centre_a_component_is_in_and_offers_the_others(
    anon_client: Client,
) -> None:
    response = anon_client.get(
        URL,
        {
            "kind": "web_server",
            "id": "web-1",
            "params": "{}",
            "parent": "dc-2",
            "datacenters": DATACENTRES,
        },
    )
    html = response.content.decode()
    assert "Data centre: <strong>West</strong>" in html
    assert 'data-editor-parent="web-1"' in html
    assert '<option value="dc-1" >East</option>' in html
    assert '<option value="dc-2" selected>West</option>' in html
    assert '<option value="" >No data centre</option>' in html


def test_it_says_none_for_a_component_in_no_data_centre(anon_client: Client) -> None:
    response = anon_client.get(
        URL, {"kind": "web_server", "id": "web-1", "params": "{}", "datacenters": DATACENTRES}
    )
    html = response.content.decode()
    assert "Data centre: none" in html
    assert '<option value="" selected>No data centre</option>' in html


def test_it_offers_no_move_on_a_read_only_page_or_without_data_centres(anon_client: Client) -> None:
    shown = {"kind": "web_server", "id": "web-1", "params": "{}", "parent": "dc-1"}
    read_only = anon_client.get(URL, {**shown, "datacenters": DATACENTRES, "read_only": "1"})
    assert "Data centre: <strong>East</strong>" in read_only.content.decode()
    assert "data-editor-parent" not in read_only.content.decode()
    none_yet = anon_client.get(URL, {**shown, "parent": "", "datacenters": "[]"})
    assert "Data centre: none" in none_yet.content.decode()
    assert "data-editor-parent" not in none_yet.content.decode()


def test_a_data_centre_and_a_link_have_no_data_centre_of_their_own(anon_client: Client) -> None:
    dc = anon_client.get(
        URL, {"kind": "datacenter", "id": "dc-1", "params": "{}", "datacenters": DATACENTRES}
    )
    link = anon_client.get(URL, {"link": "1", "id": "a->b", "from": "a", "to": "b"})
    for response in (dc, link):
        assert response.status_code == 200
        assert "Data centre:" not in response.content.decode()


def test_it_escapes_the_data_centre_names_users_gave(anon_client: Client) -> None:
    named = json.dumps([{"id": "dc-1", "label": "<b>East</b>"}])
    response = anon_client.get(
        URL, {"kind": "cache", "id": "c", "params": "{}", "parent": "dc-1", "datacenters": named}
    )
    html = response.content.decode()
    assert "&lt;b&gt;East&lt;/b&gt;" in html
    assert "<b>East</b>" not in html


@pytest.mark.parametrize("bad", ["{", '{"id": "dc-1"}', '[{"id": "dc-1"}]', '[["dc-1", "East"]]'])
def test_it_refuses_a_malformed_list_of_data_centres(anon_client: Client, bad: str) -> None:
    response = anon_client.get(
        URL, {"kind": "web_server", "id": "web-1", "params": "{}", "datacenters": bad}
    )
    assert response.status_code == 400
    assert "datacenters" in response.content.decode()
