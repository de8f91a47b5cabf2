"""Many saves of one design at once, on a real SQLite file: each wins or gets 409."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from sandbox.models import Design

pytestmark = pytest.mark.django_db(transaction=True)

SAVERS = 50
TRIES = 3


def _save_until_stored(client: Client, url: str, document: dict[str, Any], start: Any) -> list:
    """Save on top of revision 1; on a conflict, try again on top of the newer one."""
    answers = []
    base = 1
    start.wait()
    try:
        for _ in range(TRIES):
            body = json.dumps({"base_revision": base, "document": document})
            response = client.post(url, body, content_type="application/json")
            json_answer = response["Content-Type"] == "application/json"
            answers.append((response.status_code, response.json() if json_answer else {}))
            if response.status_code != 409:
                break
            base = response.json()["current_revision"]
    finally:
        connections.close_all()  # this thread's connection
    return answers


def test_parallel_saves_either_win_or_conflict(alice: Any, design: Design) -> None:
    """No "database is locked" (500): SQLite waits for the writer before it (busy timeout,
    transactions that take the write lock first), and the revision numbers stay whole."""
    assert connection.vendor != "sqlite" or not connection.is_in_memory_db()
    url = reverse("api_document", args=[design.pk])
    # Each saver its own document: an unchanged one would store nothing.
    documents = [{**design.latest_revision().document, "name": f"Saver {i}"} for i in range(SAVERS)]
    clients = []
    for _ in range(SAVERS):
        client = Client(raise_request_exception=False)
        client.force_login(alice)
        clients.append(client)
    start = threading.Barrier(SAVERS)
    results: list[list] = [[] for _ in range(SAVERS)]

    def run(i: int) -> None:
        results[i] = _save_until_stored(clients[i], url, documents[i], start)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(SAVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    answers = [answer for result in results for answer in result]
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {200, 409}, [a for a in answers if a[0] not in (200, 409)][:3]
    design.refresh_from_db()
    stored = sorted(design.revisions.values_list("number", flat=True))
    assert stored == list(range(1, design.head + 1))
    assert design.head == 1 + statuses[200]
    assert sorted(body["revision"] for status, body in answers if status == 200) == stored[1:]


def _autosave_once(client: Client, url: str, document: dict[str, Any], start: Any) -> tuple:
    start.wait()
    try:
        body = json.dumps(
            {"base_revision": 2, "base_saves": 1, "document": document, "autosave": True}
        )
        response = client.post(url, body, content_type="application/json")
        json_answer = response["Content-Type"] == "application/json"
        return response.status_code, response.json() if json_answer else {}
    finally:
        connections.close_all()


def test_parallel_autosaves_of_one_burst_rewrite_it_once(alice: Any, design: Design) -> None:
    """Tabs autosaving on top of the same state of a burst: one rewrites it, the others
    are told it changed under them (409 with its saves); none is lost silently."""
    base = design.latest_revision().document
    design.save_document({**base, "name": "Burst"}, author=alice, base_revision=1, autosave=True)
    url = reverse("api_document", args=[design.pk])
    savers = 10
    documents = [{**base, "name": f"Tab {i}"} for i in range(savers)]
    clients = []
    for _ in range(savers):
        client = Client(raise_request_exception=False)
        client.force_login(alice)
        clients.append(client)
    start = threading.Barrier(savers)
    answers: list[tuple] = [()] * savers

    def run(i: int) -> None:
        answers[i] = _autosave_once(clients[i], url, documents[i], start)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(savers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: savers - 1}, answers
    [winner] = [i for i, (status, _) in enumerate(answers) if status == 200]
    assert answers[winner][1] == {"revision": 2, "saves": 2, "changed": True}
    assert all(body["current_saves"] == 2 for status, body in answers if status == 409)
    burst = design.revisions.get(number=2)
    assert (burst.document, burst.saves) == (documents[winner], 2)
    assert design.revisions.count() == 2
