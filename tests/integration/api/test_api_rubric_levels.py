"""The rubric through the API carries each criterion's scope, description and score levels."""

from __future__ import annotations

BASE = "/api/v1/competitions/uji"

CRITERIA = [
    {
        "code": "dampak",
        "name": "Dampak",
        "weight": 2,
        "min": 1,
        "max": 5,
        "description": "Seberapa besar manfaat bagi warga",
        "levels": [
            {"score": 5, "id": "Sangat besar", "en": "Very large"},
            {"score": "1", "id": "Tidak terlihat"},
        ],
    },
    {"code": "kemitraan", "name": "Kemitraan", "weight": 1, "max": 5, "scope": "team"},
]


async def test_levels_scope_and_description_round_trip(season, api_factory):
    organiser = await api_factory("panitia")
    response = await organiser.put(f"{BASE}/rubric", {"criteria": CRITERIA})
    assert response.status_code == 200, response.text
    dampak, kemitraan = response.json()["criteria"]
    assert dampak["scope"] == "activity" and dampak["description"] == "Seberapa besar manfaat bagi warga"
    assert dampak["levels"] == [
        {"score": "1", "id": "Tidak terlihat", "en": ""},
        {"score": "5", "id": "Sangat besar", "en": "Very large"},
    ]
    assert kemitraan["scope"] == "team" and kemitraan["levels"] == []
    again = await organiser.get(f"{BASE}/rubric")
    assert again.json()["criteria"] == response.json()["criteria"]


async def test_levels_outside_the_scale_or_repeated_are_refused(season, api_factory):
    organiser = await api_factory("panitia")
    bad = {
        "code": "dampak",
        "name": "Dampak",
        "weight": 1,
        "min": 1,
        "max": 5,
        "levels": [
            {"score": 9, "id": "Terlalu tinggi"},
            {"score": 2, "id": "Kurang"},
            {"score": "2.0", "id": "X"},
        ],
    }
    response = await organiser.put(f"{BASE}/rubric", {"criteria": [bad]})
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "criteria[0].levels[0].score" in fields and "criteria[0].levels[1].score" not in fields
    assert fields["criteria[0].levels[2].score"] == "Setiap skor hanya boleh memiliki satu deskripsi."
    wrong_scope = await organiser.put(
        f"{BASE}/rubric", {"criteria": [{**bad, "levels": [], "scope": "desa"}]}
    )
    assert wrong_scope.status_code in (400, 422)
