"""UKG org-level contract: GET always; POST/PUT only behind the switch (else 403), all logged."""

from __future__ import annotations

ORG = "/configuration/v1/org-levels"
NEW = {"level": 3, "code": "370", "description": "Commissioning 2", "isActive": True}


def test_org_levels_are_the_contract_customer(ukg):
    levels = ukg.all_pages(ORG, {"per_page": 10})
    assert all(set(o) == {"level", "code", "description", "glSegment", "isActive"} for o in levels)
    by_level: dict[int, set[str]] = {}
    for o in levels:
        by_level.setdefault(o["level"], set()).add(o["code"])
    assert by_level[1] == {"MOS", "RAU", "MOR"}
    assert by_level[2] == {"10", "20", "30", "40", "50"}
    assert by_level[3] == {f"{p}{d}0" for p in "123" for d in "12345"} | {"360"}
    only_3 = ukg.get(ORG, {"level": 3, "per_page": 200}).json()
    assert {o["level"] for o in only_3} == {3}


def test_writes_are_forbidden_without_the_switch(ukg):
    refused = ukg.send("POST", ORG, NEW)
    assert refused.status_code == 403
    assert refused.json()["status"] == 403
    assert ukg.send("PUT", f"{ORG}/3/110", {"description": "x"}).status_code == 403
    assert "370" not in {o["code"] for o in ukg.get(ORG, {"level": 3, "per_page": 200}).json()}
    writes = ukg.admin("GET", "state")["orgLevelWrites"]
    assert [(w["method"], w["allowed"]) for w in writes] == [("POST", False), ("PUT", False)]
    calls = ukg.admin("GET", "calls")["calls"]
    writes_seen = [c for c in calls if c["path"].startswith(ORG) and c["method"] != "GET"]
    assert [(c["method"], c["status"]) for c in writes_seen] == [
        ("POST", 403),
        ("PUT", 403),
    ]


def test_writes_with_the_switch(ukg):
    assert ukg.admin("POST", "switches", {"org_level_writes": True}) == {"org_level_writes": True}
    created = ukg.send("POST", ORG, NEW)
    assert created.status_code == 201
    assert created.json() == {**NEW, "glSegment": "370"}
    assert ukg.send("POST", ORG, NEW).status_code == 409
    updated = ukg.send("PUT", f"{ORG}/3/370", {"description": "Renamed", "isActive": False})
    assert updated.status_code == 200
    assert updated.json()["description"] == "Renamed" and updated.json()["isActive"] is False
    assert ukg.send("PUT", f"{ORG}/3/999", {"description": "x"}).status_code == 404
    assert ukg.send("POST", ORG, {"level": 9, "code": "1", "description": "x"}).status_code == 400
    assert ukg.send("DELETE", f"{ORG}/3/370").status_code == 405
    listed = {o["code"]: o for o in ukg.get(ORG, {"level": 3, "per_page": 200}).json()}
    assert listed["370"]["description"] == "Renamed"
    writes = ukg.admin("GET", "state")["orgLevelWrites"]
    assert len(writes) == 5 and all(w["allowed"] for w in writes)


def test_switch_can_be_given_at_reset_and_is_reset(ukg):
    ukg.admin("POST", "reset", {"employees": 250, "org_level_writes": True})
    assert ukg.send("POST", ORG, NEW).status_code == 201
    ukg.admin("POST", "reset", {"employees": 250})
    assert ukg.send("POST", ORG, NEW).status_code == 403


def test_forty_cost_centres(ukg):
    ukg.admin("POST", "reset", {"employees": 250, "cost_centers": 40})
    centres = {o["code"] for o in ukg.get(ORG, {"level": 3, "per_page": 200}).json()}
    assert len(centres) == 41 and "360" in centres
