"""The valuation projection: moves folded into cost layers and value entries after commit.

Rule kept here: the valuation tables hold exactly the moves with seq <= the watermark
(valuation_state.through_seq), each once, folded in seq order by the pure core (book.py); a
refresh runs in its own transactions, one refresher at a time (ledger/pg/watermark.py), and
the apply path never waits for it. A chunk loads only the holdings its moves touch, folds, and
writes them back with the watermark in one transaction. A warehouse/SKU is valued in date
order: one whose new move is dated before a move it has already valued (a back-dated move) is
folded again from all its moves in date order — only that warehouse/SKU — and the
revaluation is recorded (valuation_revaluations) for the reports of the periods it changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import psycopg

from cloud_hub.ledger.pg import watermark
from cloud_hub.ledger.pg.watermark import WAIT_S, Refresh, Watermark
from cloud_hub.valuation.book import Book
from cloud_hub.valuation.ledger import (
    LedgerMove,
    holding_of,
    kind_of,
    late_holdings,
    movement_of,
    paired_transfers,
)
from cloud_hub.valuation.model import Bucket, Entry, Kind, Method, Review, ValuationError
from cloud_hub.valuation.stock import AvcoStock, FifoStock, Layer, Shortfall

LOCK_KEY = 0x5350_5641  # "SPVA": one valuation refresher at a time
MARK = Watermark("valuation", "valuation_state", LOCK_KEY)
# Moves per transaction: a backlog is folded in steps that commit. A chunk reads and rewrites
# every warehouse/SKU it touches, so bigger chunks spread that over more moves: bench/valuation.py
# at 1M moves over 100k SKUs caught up at 6.7k moves/s with 200k, 2.4k with 50k (loaded
# machine). Memory grows with the chunk (~0.5 KB a move).
CHUNK_SEQS = 200_000
POOL_AT = datetime(1970, 1, 1, tzinfo=UTC)  # a moving-average pool's row in valuation_layers

# Item moves, and the declared contents of units, in the seq range. Locations, receipt costs
# and standard costs are looked up once per chunk (a lateral lookup per move cost more than
# the fold itself). The receipt is the move's task `receipt:<id>` (work/pg/operations.py), or
# the receipt a PDA receive task refers to (work/pg/receiving.py).
_MOVES = """
SELECT m.seq, m.occurred_at, m.sku, coalesce(m.lot, ''), m.quantity, m.reason,
       m.from_location, m.to_location, m.task_id
  FROM moves m
 WHERE m.seq > %(after)s AND m.seq <= %(through)s AND m.sku IS NOT NULL
   AND m.quantity IS NOT NULL AND (%(skus)s::text[] IS NULL OR m.sku = ANY(%(skus)s))
UNION ALL
SELECT m.seq, m.occurred_at, c->>'sku', coalesce(c->>'lot', ''), (c->>'quantity')::numeric,
       m.reason, m.from_location, m.to_location, m.task_id
  FROM moves m
       CROSS JOIN LATERAL jsonb_array_elements((m.payload->'contents')::jsonb) c
 WHERE m.seq > %(after)s AND m.seq <= %(through)s AND m.sku IS NULL
   AND m.unit_key IS NOT NULL AND jsonb_typeof((m.payload->'contents')::jsonb) = 'array'
   AND c->>'sku' IS NOT NULL AND c->>'quantity' IS NOT NULL
   AND (%(skus)s::text[] IS NULL OR c->>'sku' = ANY(%(skus)s))
 ORDER BY 1
"""
_RECEIPT_COSTS = """
SELECT r.receipt_id, l->>'sku', coalesce(l->>'lot', ''), (l->>'unit_cost')::numeric,
       l->>'currency', (l->>'rate')::numeric
  FROM work_receipts r CROSS JOIN LATERAL jsonb_array_elements(r.lines) l
 WHERE r.receipt_id = ANY(%s) AND l->>'unit_cost' IS NOT NULL
"""
RECEIPT_TASK = "receipt:"
Cost = tuple[Decimal, str | None, Decimal | None]
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


def read_moves(conn: psycopg.Connection, after: int, through: int,
               skus: list[str] | None = None) -> list[LedgerMove]:
    """The item moves with seq in (after, through] (of `skus` only, when given), in seq order,
    with what valuing them needs."""
    rows = conn.execute(_MOVES, {"after": after, "through": through, "skus": skus}).fetchall()
    codes = sorted({c for r in rows for c in (r[6], r[7]) if c is not None})
    where: dict[str, str] = dict(conn.execute(
        "SELECT code, warehouse FROM locations WHERE code = ANY(%s)", (codes,)).fetchall())
    # A dock arrival's task is `receipt:<id>`; a PDA's receive task (`receive-<id>`) names its
    # receipt in work_tasks.reference.
    received = {r[8] for r in rows if r[5] == "receive" and r[8]}
    receipt_of = {t: t[len(RECEIPT_TASK):] for t in received if t.startswith(RECEIPT_TASK)}
    if len(receipt_of) < len(received):
        receipt_of |= dict(conn.execute(
            "SELECT task_id, reference FROM work_tasks WHERE task_id = ANY(%s) "
            "AND kind = 'receive' AND reference IS NOT NULL",
            (sorted(received - receipt_of.keys()),)).fetchall())
    receipts = sorted(set(receipt_of.values()))
    costs: dict[tuple[str, str], dict[str, Cost]] = {}
    for receipt, sku, lot, cost, currency, rate in conn.execute(_RECEIPT_COSTS, (receipts,)):
        costs.setdefault((receipt, sku), {}).setdefault(lot, (cost, currency, rate))
    standard: dict[str, Decimal] = dict(conn.execute(
        "SELECT sku, unit_value FROM skus WHERE sku = ANY(%s) AND unit_value IS NOT NULL",
        (sorted({r[2] for r in rows}),)).fetchall())
    moves = []
    for seq, at, sku, lot, qty, reason, src, dst, task in rows:
        found: Cost | None = None
        if reason == "receive" and task in receipt_of:
            lines = costs.get((receipt_of[task], sku))
            if lines:  # the line of the same lot, else the SKU's first line with a cost
                found = lines.get(lot) or next(iter(lines.values()))
        unit_cost, currency, rate = found if found is not None else (None, None, None)
        moves.append(LedgerMove(seq, at, sku, lot, qty, reason,
                                where.get(src) if src else None,
                                where.get(dst) if dst else None, unit_cost, currency, rate,
                                standard.get(sku), task))
    return paired_transfers(moves)


def _fold(method: Method, base_currency: str, conn: psycopg.Connection, after: int,
          through: int) -> int:
    moves = read_moves(conn, after, through)
    touched: set[tuple[str, str]] = set()
    for m in moves:
        if kind_of(m) is not None:
            for w in (m.from_warehouse, m.to_warehouse):
                if w is not None:
                    touched.add((w, m.sku))
    pairs = sorted(touched)
    book, last_at = _load(conn, method, base_currency, pairs)
    late, history = _late(conn, book, moves, last_at, through)
    entries: list[Entry] = []
    for move in moves:
        if holding_of(move) not in late:
            entries += _value(book, move)
    for again in sorted(late):  # from its first move, in date order
        book.reset(*again)
        for move in sorted(history[again], key=lambda m: (m.occurred_at, m.seq)):
            entries += _value(book, move)
    for move in moves:
        valued = holding_of(move)
        if valued is not None and (valued not in last_at or move.occurred_at > last_at[valued]):
            last_at[valued] = move.occurred_at
    _store(conn, book, pairs, entries, through, last_at, late)
    return len(entries)


def _late(conn: psycopg.Connection, book: Book, moves: list[LedgerMove],
          last_at: dict[tuple[str, str], datetime], through: int
          ) -> tuple[dict[tuple[str, str], LedgerMove], dict[tuple[str, str], list[LedgerMove]]]:
    """The holdings a back-dated move makes fold again, and all their moves up to `through`.
    One with a transfer in its history is coupled to another warehouse: it keeps valuing in
    arrival order, and the back-dated move is listed for review."""
    late = late_holdings(moves, last_at)
    history: dict[tuple[str, str], list[LedgerMove]] = {}
    if not late:
        return late, history
    coupled: set[tuple[str, str]] = set()
    for m in read_moves(conn, 0, through, sorted({sku for _, sku in late})):
        own = holding_of(m)
        if own is not None and own in late:
            history.setdefault(own, []).append(m)
        elif kind_of(m) is Kind.TRANSFER:
            coupled |= {(w, m.sku) for w in (m.from_warehouse, m.to_warehouse)
                        if w is not None} & late.keys()
    for wh, sku in coupled:
        move = late.pop((wh, sku))
        book.flag(Review(move.seq, wh, sku, move.quantity, Decimal(0),
                         "back-dated move valued on arrival: this warehouse/SKU has transfers"))
    return late, history


def _value(book: Book, move: LedgerMove) -> list[Entry]:
    try:
        movement = movement_of(move, book)
        return [] if movement is None else book.apply(movement)
    except ValuationError as exc:  # e.g. a receipt line in a currency without a rate
        book.flag(Review(move.seq, move.from_warehouse or move.to_warehouse or "", move.sku,
                         move.quantity, Decimal(0), f"not valued: {exc.message}"))
        return []


def _columns(pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [w for w, _ in pairs], [s for _, s in pairs]


def _load(conn: psycopg.Connection, method: Method, base_currency: str,
          pairs: list[tuple[str, str]]) -> tuple[Book, dict[tuple[str, str], datetime]]:
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
    last_at: dict[tuple[str, str], datetime] = {}
    for wh, sku, cost, at in conn.execute(
            "SELECT h.warehouse, h.sku, h.last_unit_cost, h.last_at "
            f"FROM valuation_holdings h {_PAIRS.format(t='h')}", (warehouses, skus)):
        book.holding(wh, sku).last_unit_cost = cost
        if at is not None:
            last_at[(wh, sku)] = at
    for sku, cost in conn.execute(
            "SELECT DISTINCT ON (sku) sku, last_unit_cost FROM valuation_holdings "
            "WHERE sku = ANY(%s) AND last_unit_cost IS NOT NULL "
            "ORDER BY sku, updated_seq DESC", (sorted(set(skus)),)):
        book.seed_sku_cost(sku, cost)
    return book, last_at


def _store(conn: psycopg.Connection, book: Book, pairs: list[tuple[str, str]],
           entries: list[Entry], through: int, last_at: dict[tuple[str, str], datetime],
           late: dict[tuple[str, str], LedgerMove]) -> None:
    warehouses, skus = _columns(pairs)
    if late:  # folded again from their first move: their entries and reviews are replaced
        again = _columns(sorted(late))
        for table in ("valuation_entries", "valuation_reviews"):
            conn.execute(f"DELETE FROM {table} t USING unnest(%s::text[], %s::text[]) "
                         "AS p(w, s) WHERE t.warehouse = p.w AND t.sku = p.s", again)
        with conn.cursor().copy("COPY valuation_revaluations (warehouse, sku, from_at, "
                                "move_seq) FROM STDIN") as copy:
            for (wh, sku), move in sorted(late.items()):
                copy.write_row((wh, sku, move.occurred_at, move.seq))
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
    conn.execute("CREATE TEMP TABLE valuation_touched (warehouse text, sku text, "
                 "last_unit_cost numeric, last_at timestamptz) ON COMMIT DROP")
    with conn.cursor().copy("COPY valuation_touched FROM STDIN") as copy:
        for h in holdings:
            copy.write_row((h.warehouse, h.sku, h.last_unit_cost,
                            last_at.get((h.warehouse, h.sku))))
    conn.execute("INSERT INTO valuation_holdings (warehouse, sku, last_unit_cost, updated_seq, "
                 "last_at) SELECT warehouse, sku, last_unit_cost, %s, last_at "
                 "FROM valuation_touched ON CONFLICT (warehouse, sku) DO UPDATE SET "
                 "last_unit_cost = excluded.last_unit_cost, updated_seq = excluded.updated_seq, "
                 "last_at = excluded.last_at", (through,))
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
