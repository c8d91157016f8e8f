"""The valuation projection: moves folded into cost layers and value entries after commit.

Rule kept here: the valuation tables hold exactly the moves with seq <= the watermark
(valuation_state.through_seq), each once, folded in seq order by the pure core (book.py); a
refresh runs in its own transactions, one refresher at a time (ledger/pg/watermark.py), and
the apply path never waits for it. A chunk loads only the holdings its moves touch, folds, and
writes them back with the watermark in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import psycopg

from cloud_hub.ledger.pg import watermark
from cloud_hub.ledger.pg.watermark import WAIT_S, Refresh, Watermark
from cloud_hub.valuation.book import Book
from cloud_hub.valuation.ledger import LedgerMove, kind_of, movement_of
from cloud_hub.valuation.model import Bucket, Entry, Method, Review, ValuationError
from cloud_hub.valuation.stock import AvcoStock, FifoStock, Layer, Shortfall

LOCK_KEY = 0x5350_5641  # "SPVA": one valuation refresher at a time
MARK = Watermark("valuation", "valuation_state", LOCK_KEY)
CHUNK_SEQS = 50_000  # moves per transaction: a backlog is folded in steps that commit
POOL_AT = datetime(1970, 1, 1, tzinfo=UTC)  # a moving-average pool's row in valuation_layers

# Item moves, and the declared contents of units, in the seq range; with where the goods came
# from and went to (locations' warehouses), their receipt line's cost and the SKU's standard
# cost. The receipt is the move's task `receipt:<id>` (cloud_hub/work/pg/operations.py).
_MOVES = """
WITH m AS (
  SELECT m.seq, m.occurred_at, m.sku, coalesce(m.lot, '') AS lot, m.quantity, m.reason,
         m.from_location, m.to_location, m.task_id
    FROM moves m
   WHERE m.seq > %(after)s AND m.seq <= %(through)s AND m.sku IS NOT NULL
     AND m.quantity IS NOT NULL
  UNION ALL
  SELECT m.seq, m.occurred_at, c->>'sku', coalesce(c->>'lot', ''), (c->>'quantity')::numeric,
         m.reason, m.from_location, m.to_location, m.task_id
    FROM moves m
         CROSS JOIN LATERAL jsonb_array_elements((m.payload->'contents')::jsonb) c
   WHERE m.seq > %(after)s AND m.seq <= %(through)s AND m.sku IS NULL
     AND m.unit_key IS NOT NULL AND jsonb_typeof((m.payload->'contents')::jsonb) = 'array'
     AND c->>'sku' IS NOT NULL AND c->>'quantity' IS NOT NULL
)
SELECT m.seq, m.occurred_at, m.sku, m.lot, m.quantity, m.reason, f.warehouse, t.warehouse,
       rc.unit_cost, rc.currency, rc.rate, s.unit_value
  FROM m
  LEFT JOIN locations f ON f.code = m.from_location
  LEFT JOIN locations t ON t.code = m.to_location
  LEFT JOIN skus s ON s.sku = m.sku
  LEFT JOIN LATERAL (
    SELECT (l->>'unit_cost')::numeric AS unit_cost, l->>'currency' AS currency,
           (l->>'rate')::numeric AS rate
      FROM work_receipts r CROSS JOIN LATERAL jsonb_array_elements(r.lines) l
     WHERE m.reason = 'receive' AND m.task_id LIKE 'receipt:%%'
       AND r.receipt_id = substr(m.task_id, 9) AND l->>'sku' = m.sku
       AND l->>'unit_cost' IS NOT NULL
     ORDER BY (coalesce(l->>'lot', '') = m.lot) DESC
     LIMIT 1) rc ON true
 ORDER BY m.seq
"""
_PAIRS = "JOIN unnest(%s::text[], %s::text[]) AS p(w, s) ON {t}.warehouse = p.w AND {t}.sku = p.s"


def refresh(conn: psycopg.Connection, method: Method, base_currency: str, *,
            wait_s: float = WAIT_S, chunk: int = CHUNK_SEQS) -> Refresh:
    """Fold in the moves committed since the watermark. The method and base currency are fixed
    by the first refresh (valuation_state); a later setting that differs is an error."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE valuation_state SET method = coalesce(method, %s), "
            "base_currency = coalesce(base_currency, %s) RETURNING method, base_currency",
            (method.value, base_currency)).fetchone()
    if row is None:
        raise RuntimeError("valuation_state has no row; run the migrations")
    if (row[0], row[1]) != (method.value, base_currency):
        raise ValueError(f"the valuation runs by {row[0]} in {row[1]}; the settings say "
                         f"{method.value} in {base_currency}: revaluing is not supported")
    return watermark.refresh(conn, MARK, partial(_fold, method, base_currency),
                             wait_s=wait_s, chunk=chunk)


def lag(conn: psycopg.Connection) -> tuple[int, float | None]:
    """(moves committed or pending beyond the watermark, seconds since the last refresh)."""
    row = conn.execute(
        "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('moves', 'seq')), 0) "
        "- through_seq, extract(epoch FROM now() - refreshed_at) FROM valuation_state"
    ).fetchone()
    if row is None:
        return 0, None
    return max(int(row[0]), 0), None if row[1] is None else float(row[1])


def read_moves(conn: psycopg.Connection, after: int, through: int) -> list[LedgerMove]:
    return [LedgerMove(seq, at, sku, lot, qty, reason, src, dst, cost, currency,
                       rate, standard)
            for seq, at, sku, lot, qty, reason, src, dst, cost, currency, rate, standard
            in conn.execute(_MOVES, {"after": after, "through": through})]


def _fold(method: Method, base_currency: str, conn: psycopg.Connection, after: int,
          through: int) -> int:
    moves = read_moves(conn, after, through)
    pairs = sorted({pair for m in moves for pair in _pairs(m)})
    book = _load(conn, method, base_currency, pairs)
    entries: list[Entry] = []
    for move in moves:
        try:
            movement = movement_of(move, book)
            if movement is not None:
                entries += book.apply(movement)
        except ValuationError as exc:  # e.g. a receipt line in a currency without a rate
            book.flag(Review(move.seq, move.from_warehouse or move.to_warehouse or "", move.sku,
                             move.quantity, Decimal(0), f"not valued: {exc.message}"))
    _store(conn, book, pairs, entries, through)
    return len(entries)


def _pairs(move: LedgerMove) -> Iterable[tuple[str, str]]:
    if kind_of(move) is None:
        return ()
    return ((w, move.sku) for w in (move.from_warehouse, move.to_warehouse) if w is not None)


def _columns(pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [w for w, _ in pairs], [s for _, s in pairs]


def _load(conn: psycopg.Connection, method: Method, base_currency: str,
          pairs: list[tuple[str, str]]) -> Book:
    row = conn.execute("SELECT inflows FROM valuation_state").fetchone()
    book = Book(method, base_currency, inflows=int(row[0]) if row else 0)
    warehouses, skus = _columns(pairs)
    for wh, sku, received_at, inflow, quantity, value in conn.execute(
            "SELECT l.warehouse, l.sku, l.received_at, l.inflow, l.quantity, l.value "
            f"FROM valuation_layers l {_PAIRS.format(t='l')} "
            "ORDER BY l.warehouse, l.sku, l.received_at, l.inflow", (warehouses, skus)):
        book.holding(wh, sku).stock.put(Layer(received_at, inflow, quantity, value,
                                              warehouse=wh))
    for wh, sku, quantity, value, bucket in conn.execute(
            "SELECT f.warehouse, f.sku, f.quantity, f.value, f.bucket "
            f"FROM valuation_shortfalls f {_PAIRS.format(t='f')} "
            "ORDER BY f.warehouse, f.sku, f.position", (warehouses, skus)):
        book.holding(wh, sku).short.append(Shortfall(quantity, value, Bucket(bucket)))
    for wh, sku, cost in conn.execute(
            "SELECT h.warehouse, h.sku, h.last_unit_cost "
            f"FROM valuation_holdings h {_PAIRS.format(t='h')}", (warehouses, skus)):
        book.holding(wh, sku).last_unit_cost = cost
    for sku, cost in conn.execute(
            "SELECT DISTINCT ON (sku) sku, last_unit_cost FROM valuation_holdings "
            "WHERE sku = ANY(%s) AND last_unit_cost IS NOT NULL "
            "ORDER BY sku, updated_seq DESC", (sorted(set(skus)),)):
        book.seed_sku_cost(sku, cost)
    return book


def _store(conn: psycopg.Connection, book: Book, pairs: list[tuple[str, str]],
           entries: list[Entry], through: int) -> None:
    warehouses, skus = _columns(pairs)
    conn.execute("DELETE FROM valuation_layers l USING unnest(%s::text[], %s::text[]) "
                 "AS p(w, s) WHERE l.warehouse = p.w AND l.sku = p.s", (warehouses, skus))
    conn.execute("DELETE FROM valuation_shortfalls f USING unnest(%s::text[], %s::text[]) "
                 "AS p(w, s) WHERE f.warehouse = p.w AND f.sku = p.s", (warehouses, skus))
    holdings = book.touched()
    with conn.cursor().copy("COPY valuation_layers (warehouse, sku, received_at, inflow, "
                            "quantity, value) FROM STDIN") as copy:
        for h in holdings:
            if isinstance(h.stock, FifoStock):
                for layer in h.stock.layers:
                    copy.write_row((h.warehouse, h.sku, layer.received_at, layer.seq,
                                    layer.quantity, layer.value))
            elif isinstance(h.stock, AvcoStock) and h.stock.quantity > 0:
                copy.write_row((h.warehouse, h.sku, POOL_AT, 0, h.stock.quantity,
                                h.stock.value))
    with conn.cursor().copy("COPY valuation_shortfalls (warehouse, sku, position, quantity, "
                            "value, bucket) FROM STDIN") as copy:
        for h in holdings:
            for i, short in enumerate(h.short):
                copy.write_row((h.warehouse, h.sku, i, short.quantity, short.value,
                                short.bucket.value))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO valuation_holdings (warehouse, sku, last_unit_cost, updated_seq) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (warehouse, sku) DO UPDATE SET "
            "last_unit_cost = excluded.last_unit_cost, updated_seq = excluded.updated_seq",
            [(h.warehouse, h.sku, h.last_unit_cost, through) for h in holdings])
    with conn.cursor().copy("COPY valuation_entries (move_seq, occurred_at, warehouse, sku, "
                            "lot, kind, quantity, value, cogs, adjustments) FROM STDIN") as copy:
        for e in entries:
            copy.write_row((e.key, e.at, e.warehouse, e.sku, e.lot, e.kind.value, e.quantity,
                            e.value, e.cogs, e.adjustments))
    with conn.cursor().copy("COPY valuation_reviews (move_seq, warehouse, sku, quantity, "
                            "unit_cost, reason) FROM STDIN") as copy:
        for r in book.reviews:
            copy.write_row((r.key, r.warehouse, r.sku, r.quantity, r.unit_cost, r.reason))
    conn.execute("UPDATE valuation_state SET inflows = %s", (book.inflows,))


__all__ = ["CHUNK_SEQS", "MARK", "lag", "read_moves", "refresh"]
