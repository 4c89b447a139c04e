"""The stitching step's id rules on small graphs, through `cdp.identity.stitch.assign` itself.

The same code runs inside the dbt build (model int_identity__customer_identifiers); the
end-to-end identity cases on extracts are in test_identity.py.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from cdp.identity.stitch import assign, candidate_id

AS_OF = date(2026, 3, 2)


def run(
    nodes: dict[str, date],
    edges: list[tuple[str, str]],
    held: dict[str, str] | None = None,
    registry: dict[str, date] | None = None,
) -> dict[str, str]:
    """Number the nodes and codes as the SQL side does, assign, and map back to keys."""
    ranked = sorted(nodes, key=lambda k: (nodes[k], candidate_id(k)))
    rank = {k: i for i, k in enumerate(ranked)}
    codes = sorted(registry or {}, key=lambda i: (registry[i], i))
    code = {i: n for n, i in enumerate(codes)}
    held = held or {}
    ids = assign(
        founders_first=pa.array([candidate_id(k) for k in ranked], pa.string()),
        from_node=np.array([rank[a] for a, _ in edges], dtype=np.int64),
        to_node=np.array([rank[b] for _, b in edges], dtype=np.int64),
        held_node=np.array([rank[k] for k in held if k in rank], dtype=np.int64),
        held_code=np.array([code[i] for k, i in held.items() if k in rank], dtype=np.int64),
        registry=pa.array(codes, pa.string()),
        refound=lambda node: candidate_id(f"{ranked[node]}@{AS_OF.isoformat()}"),
    )
    return dict(zip(ranked, ids.to_pylist(), strict=True))


def test_a_chain_of_fifty_identifiers_is_one_customer_founded_by_the_first_seen():
    keys = [f"openid:o{i:02d}" for i in range(50)]
    nodes = {k: date(2026, 1, 1 + (i % 20)) for i, k in enumerate(reversed(keys))}
    nodes["unionid:lone"] = date(2026, 1, 1)
    ids = run(nodes, list(zip(keys, keys[1:], strict=False)))
    assert len({ids[k] for k in keys}) == 1
    first_seen = sorted((d, candidate_id(k)) for k, d in nodes.items() if k in keys)[0][1]
    assert ids[keys[0]] == first_seen
    assert ids["unionid:lone"] == candidate_id("unionid:lone")


def test_ties_on_the_first_seen_date_go_to_the_smallest_candidate_id():
    nodes = {"openid:a": date(2026, 1, 1), "openid:b": date(2026, 1, 1), "openid:c": date(2026, 1, 2)}
    ids = run(nodes, [("openid:a", "openid:b"), ("openid:b", "openid:c")])
    assert set(ids.values()) == {min(candidate_id("openid:a"), candidate_id("openid:b"))}


def test_a_merge_keeps_the_id_first_assigned_and_moves_the_others():
    nodes = {"openid:a": date(2026, 1, 1), "openid:b": date(2026, 1, 2), "mobile:13900000001": AS_OF}
    held = {"openid:a": "cus_ffff000000000000", "openid:b": "cus_0000000000000001"}
    registry = {"cus_ffff000000000000": date(2026, 1, 1), "cus_0000000000000001": date(2026, 1, 2)}
    ids = run(nodes, [("openid:a", "mobile:13900000001"), ("openid:b", "mobile:13900000001")], held, registry)
    assert set(ids.values()) == {"cus_ffff000000000000"}


def test_ids_assigned_the_same_day_merge_into_the_smallest():
    nodes = {"openid:a": date(2026, 1, 1), "openid:b": date(2026, 1, 1), "mobile:13900000001": AS_OF}
    held = {"openid:a": "cus_ffff000000000000", "openid:b": "cus_0000000000000001"}
    registry = {"cus_ffff000000000000": date(2026, 1, 1), "cus_0000000000000001": date(2026, 1, 1)}
    ids = run(nodes, [("openid:a", "mobile:13900000001"), ("openid:b", "mobile:13900000001")], held, registry)
    assert set(ids.values()) == {"cus_0000000000000001"}


def test_unchanged_customers_keep_their_ids_and_new_identifiers_join_them():
    nodes = {"openid:a": date(2026, 1, 1), "unionid:u": date(2026, 1, 1), "mobile:13900000001": AS_OF}
    held = {"openid:a": "cus_1111111111111111", "unionid:u": "cus_1111111111111111"}
    registry = {"cus_1111111111111111": date(2026, 1, 1)}
    ids = run(nodes, [("openid:a", "unionid:u"), ("openid:a", "mobile:13900000001")], held, registry)
    assert set(ids.values()) == {"cus_1111111111111111"}


def test_after_a_split_the_id_stays_with_the_part_holding_its_first_seen_identifier():
    nodes = {"openid:a": date(2026, 1, 1), "openid:b": date(2026, 1, 3)}
    held = {"openid:a": "cus_1111111111111111", "openid:b": "cus_1111111111111111"}
    registry = {"cus_1111111111111111": date(2026, 1, 1)}
    ids = run(nodes, [], held, registry)
    assert ids == {"openid:a": "cus_1111111111111111", "openid:b": candidate_id("openid:b")}


def test_an_id_used_before_is_never_handed_out_again():
    nodes = {"openid:b": date(2026, 1, 3)}
    registry = {candidate_id("openid:b"): date(2026, 1, 3)}
    ids = run(nodes, [], {}, registry)
    assert ids["openid:b"] == candidate_id(f"openid:b@{AS_OF.isoformat()}")
    assert ids["openid:b"] not in registry


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_graphs(n: int):
    nodes = {f"openid:o{i}": date(2026, 1, 1) for i in range(n)}
    assert run(nodes, []) == {k: candidate_id(k) for k in nodes}
