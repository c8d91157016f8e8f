"""The location tree in SQL: recursive walks down (a subtree) and up (ancestors), each bounded.

Rule kept here: every recursive walk carries a CYCLE clause and a depth bound
(cloud_hub.catalog.tree.MAX_DEPTH), so even a loop stored before the parent checks existed
cannot make a query run forever.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from cloud_hub.catalog.tree import MAX_DEPTH, Place

# Every location below one code (the code itself included), each once.
SUBTREE_SQL = f"""
WITH RECURSIVE tree(code, depth) AS (
    SELECT %s::text, 0
    UNION ALL
    SELECT l.code, t.depth + 1 FROM locations l JOIN tree t ON l.parent = t.code
     WHERE t.depth < {MAX_DEPTH})
  CYCLE code SET looped USING trail
SELECT DISTINCT code FROM tree WHERE NOT looped"""

# (start, ancestor) for each start code and every location above it, the start included.
ANCESTORS_SQL = f"""
WITH RECURSIVE up(start, code, parent, kind, depth) AS (
    SELECT code, code, parent, kind, 0 FROM locations WHERE code = ANY(%s)
    UNION ALL
    SELECT up.start, l.code, l.parent, l.kind, up.depth + 1 FROM locations l
      JOIN up ON l.code = up.parent WHERE up.depth < {MAX_DEPTH})
  CYCLE code SET looped USING trail
SELECT start, code, kind FROM up WHERE NOT looped"""

_STORED_SQL = f"""
WITH RECURSIVE up(code, warehouse, parent, depth) AS (
    SELECT code, warehouse, parent, 0 FROM locations WHERE code = ANY(%s)
    UNION ALL
    SELECT l.code, l.warehouse, l.parent, up.depth + 1 FROM locations l
      JOIN up ON l.code = up.parent WHERE up.depth <= {MAX_DEPTH})
  CYCLE code SET looped USING trail
SELECT DISTINCT code, warehouse, parent FROM up"""


def stored_places(conn: psycopg.Connection, codes: Iterable[str]) -> dict[str, Place]:
    """The stored locations among `codes` and every stored location above them."""
    return {code: Place(wh, parent) for code, wh, parent in
            conn.execute(_STORED_SQL, (sorted(set(codes)),))}
