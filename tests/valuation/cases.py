"""Hand-computed replay cases shared by the core and CLI tests: CSV rows in, totals out."""

from __future__ import annotations

from dataclasses import dataclass

HEADER = "date,warehouse,sku,kind,quantity,unit_cost,currency,rate,to_warehouse,ref,amount"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    rows: tuple[str, ...]
    # method -> ([(warehouse, sku, quantity, value)], cogs, adjustments)
    fifo: tuple[list[tuple[str, str, str, str]], str, str]
    avco: tuple[list[tuple[str, str, str, str]], str, str]


CASES = [
    Case("two receipts, one issue across both layers",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,receipt,10,3,,,,R2,",
          "2026-01-03,WH1,A,issue,15,,,,,,"),
         # FIFO: 10 x 2 + 5 x 3 = 35; AVCO: 50 / 20 = 2.50 each, 15 x 2.50 = 37.50
         ([("WH1", "A", "5", "15.00")], "35.00", "0.00"),
         ([("WH1", "A", "5", "12.50")], "37.50", "0.00")),
    Case("rows are applied in date order, not file order",
         ("2026-01-03,WH1,A,issue,5,,,,,,", "2026-01-01,WH1,A,receipt,10,2,,,,,"),
         ([("WH1", "A", "5", "10.00")], "10.00", "0.00"),
         ([("WH1", "A", "5", "10.00")], "10.00", "0.00")),
    Case("same date: file order decides (cheap layer first)",
         ("2026-01-01,WH1,A,receipt,10,1,,,,,", "2026-01-01,WH1,A,receipt,10,2,,,,,",
          "2026-01-01,WH1,A,issue,10,,,,,,"),
         ([("WH1", "A", "10", "20.00")], "10.00", "0.00"),
         ([("WH1", "A", "10", "15.00")], "15.00", "0.00")),
    Case("a datetime with an offset is ordered in UTC",
         # 01:00+08:00 on the 2nd is 17:00 UTC on the 1st: before 18:00 on the 1st
         ("2026-01-01T18:00:00,WH1,A,receipt,10,5,,,,,",
          "2026-01-02T01:00:00+08:00,WH1,A,receipt,10,1,,,,,",
          "2026-01-03,WH1,A,issue,10,,,,,,"),
         ([("WH1", "A", "10", "50.00")], "10.00", "0.00"),
         ([("WH1", "A", "10", "30.00")], "30.00", "0.00")),
    Case("a receipt in another currency at its rate",
         ("2026-01-01,WH1,A,receipt,10,1.50,USD,7.2,,,",  # 10 x 1.50 x 7.2 = 108
          "2026-01-01,WH1,B,receipt,4,2.5,cny,1,,,"),  # base currency, rate 1 accepted
         ([("WH1", "A", "10", "108.00"), ("WH1", "B", "4", "10.00")], "0.00", "0.00"),
         ([("WH1", "A", "10", "108.00"), ("WH1", "B", "4", "10.00")], "0.00", "0.00")),
    Case("half-up rounding of a receipt's value (float would say 1.00)",
         ("2026-01-01,WH1,A,receipt,3,0.335,,,,,",),  # 1.005 -> 1.01
         ([("WH1", "A", "3", "1.01")], "0.00", "0.00"),
         ([("WH1", "A", "3", "1.01")], "0.00", "0.00")),
    Case("thirds: each issue in cents, the last takes what is left, nothing is lost",
         ("2026-01-01,WH1,A,receipt,3,3.333333333,,,,,",  # 9.999999999 -> 10.00
          "2026-01-02,WH1,A,issue,1,,,,,,",  # 10.00 / 3 = 3.33
          "2026-01-03,WH1,A,issue,1,,,,,,",  # 6.67 / 2 = 3.335 -> 3.34 (AVCO)
          "2026-01-04,WH1,A,issue,1,,,,,,"),  # the rest, 3.33
         ([], "10.00", "0.00"), ([], "10.00", "0.00")),
    Case("fractional quantities (kilograms)",
         ("2026-01-01,WH1,A,receipt,2.5,4,,,,,", "2026-01-02,WH1,A,issue,0.75,,,,,,"),
         ([("WH1", "A", "1.75", "7.00")], "3.00", "0.00"),
         ([("WH1", "A", "1.75", "7.00")], "3.00", "0.00")),
    Case("an emptied position is not listed; a zero-cost one is",
         ("2026-01-01,WH1,A,receipt,5,2,,,,,", "2026-01-02,WH1,A,issue,5,,,,,,",
          "2026-01-02,WH1,B,receipt,5,0,,,,,"),
         ([("WH1", "B", "5", "0.00")], "10.00", "0.00"),
         ([("WH1", "B", "5", "0.00")], "10.00", "0.00")),
    Case("a FIFO transfer keeps its layer's receipt date: the destination issues it first",
         ("2026-01-01,WH1,A,receipt,10,1,,,,,", "2026-01-02,WH2,A,receipt,10,5,,,,,",
          "2026-01-03,WH1,A,receipt,10,2,,,,,", "2026-01-04,WH1,A,transfer,5,,,,WH2,,",
          "2026-01-05,WH2,A,issue,5,,,,,,"),
         # FIFO: the 5 x 1 layer of 1 Jan goes before WH2's own 10 x 5 of 2 Jan
         ([("WH1", "A", "15", "25.00"), ("WH2", "A", "10", "50.00")], "5.00", "0.00"),
         # AVCO: WH1 20 for 30 (1.50); 5 x 1.50 = 7.50 joins WH2: 15 for 57.50;
         # issue 5 = 57.50 / 3 = 19.17, WH2 keeps 38.33; WH1 15 x 1.50 = 22.50
         ([("WH1", "A", "15", "22.50"), ("WH2", "A", "10", "38.33")], "19.17", "0.00")),
    Case("adjust_in at its cost, adjust_out valued like an issue and totalled apart",
         ("2026-01-01,WH1,A,receipt,10,2,,,,,", "2026-01-02,WH1,A,adjust_in,2,3,,,,,",
          "2026-01-03,WH1,A,adjust_out,11,,,,,,", "2026-01-04,WH1,B,receipt,1,7,,,,,",
          "2026-01-05,WH1,B,issue,1,,,,,,"),
         # FIFO: 10 x 2 + 1 x 3 = 23; AVCO: 26 x 11/12 = 23.83, 2.17 stays
         ([("WH1", "A", "1", "3.00")], "7.00", "23.00"),
         ([("WH1", "A", "1", "2.17")], "7.00", "23.83")),
    Case("landed cost after part of the receipt was issued",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,issue,4,,,,,,",
          "2026-01-03,,,landed_cost,,,,,,R1,5"),
         # FIFO: 0.50 a unit: 6 in stock +3.00, 4 issued +2.00 to COGS
         ([("WH1", "A", "6", "15.00")], "10.00", "0.00"),
         # AVCO: the whole 5 joins the pool
         ([("WH1", "A", "6", "17.00")], "8.00", "0.00")),
    Case("landed cost spread over a receipt's lines by quantity",
         ("2026-01-01,WH1,A,receipt,10,1,,,,R1,", "2026-01-01,WH1,B,receipt,30,1,,,,R1,",
          "2026-01-02,,,landed_cost,,,,,,R1,8"),
         ([("WH1", "A", "10", "12.00"), ("WH1", "B", "30", "36.00")], "0.00", "0.00"),
         ([("WH1", "A", "10", "12.00"), ("WH1", "B", "30", "36.00")], "0.00", "0.00")),
    Case("landed cost naming one SKU of the receipt",
         ("2026-01-01,WH1,A,receipt,10,1,,,,R1,", "2026-01-01,WH1,B,receipt,30,1,,,,R1,",
          "2026-01-02,,B,landed_cost,,,,,,R1,3"),
         ([("WH1", "A", "10", "10.00"), ("WH1", "B", "30", "33.00")], "0.00", "0.00"),
         ([("WH1", "A", "10", "10.00"), ("WH1", "B", "30", "33.00")], "0.00", "0.00")),
    Case("landed cost follows FIFO layers that were transferred",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,transfer,4,,,,WH2,,",
          "2026-01-03,,,landed_cost,,,,,,R1,10"),
         ([("WH1", "A", "6", "18.00"), ("WH2", "A", "4", "12.00")], "0.00", "0.00"),
         # AVCO: the receipt's warehouse pool takes it all
         ([("WH1", "A", "6", "22.00"), ("WH2", "A", "4", "8.00")], "0.00", "0.00")),
    Case("landed cost on layers transferred and then partly issued at the destination",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,transfer,6,,,,WH2,,",
          "2026-01-03,WH2,A,issue,4,,,,,,", "2026-01-04,,,landed_cost,,,,,,R1,10"),
         # FIFO: 1.00 a unit: 4 left in WH1 +4, 2 left in WH2 +2, 4 issued in WH2 +4 to COGS
         ([("WH1", "A", "4", "12.00"), ("WH2", "A", "2", "6.00")], "12.00", "0.00"),
         # AVCO: all 10 join the receipt warehouse's pool
         ([("WH1", "A", "4", "18.00"), ("WH2", "A", "2", "4.00")], "8.00", "0.00")),
    Case("landed cost on goods all gone: COGS",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,issue,10,,,,,,",
          "2026-01-03,,,landed_cost,,,,,,R1,5"),
         ([], "25.00", "0.00"), ([], "25.00", "0.00")),
    Case("landed cost on goods partly adjusted out: that part to adjustments (FIFO)",
         ("2026-01-01,WH1,A,receipt,10,2,,,,R1,", "2026-01-02,WH1,A,adjust_out,5,,,,,,",
          "2026-01-03,,,landed_cost,,,,,,R1,10"),
         ([("WH1", "A", "5", "15.00")], "0.00", "15.00"),
         ([("WH1", "A", "5", "20.00")], "0.00", "10.00")),
    Case("landed cost in thirds: cumulative rounding, the parts add up to the amount",
         ("2026-01-01,WH1,A,receipt,1,0,,,,R1,", "2026-01-01,WH1,B,receipt,1,0,,,,R1,",
          "2026-01-01,WH1,C,receipt,1,0,,,,R1,", "2026-01-02,,,landed_cost,,,,,,R1,1"),
         ([("WH1", "A", "1", "0.33"), ("WH1", "B", "1", "0.34"), ("WH1", "C", "1", "0.33")],
          "0.00", "0.00"),
         ([("WH1", "A", "1", "0.33"), ("WH1", "B", "1", "0.34"), ("WH1", "C", "1", "0.33")],
          "0.00", "0.00")),
    Case("an issue beyond stock: the rest at the last cost, settled when goods arrive",
         ("2026-01-01,WH1,A,receipt,5,2,,,,,", "2026-01-02,WH1,A,issue,8,,,,,,",
          "2026-01-03,WH1,A,receipt,10,3,,,,,"),
         # 10 + 3 x 2 (estimate) = 16; the receipt's first 3 cost 9: +3 -> 19; 7 x 3 stay
         ([("WH1", "A", "7", "21.00")], "19.00", "0.00"),
         ([("WH1", "A", "7", "21.00")], "19.00", "0.00")),
    Case("an issue beyond stock stays negative at no value until goods arrive",
         ("2026-01-01,WH1,A,receipt,5,2,,,,,", "2026-01-02,WH1,A,issue,8,,,,,,"),
         ([("WH1", "A", "-3", "0.00")], "16.00", "0.00"),
         ([("WH1", "A", "-3", "0.00")], "16.00", "0.00")),
    Case("an adjust_out beyond stock settles into adjustments",
         ("2026-01-01,WH1,A,receipt,5,2,,,,,", "2026-01-02,WH1,A,adjust_out,8,,,,,,",
          "2026-01-03,WH1,A,receipt,10,3,,,,,"),
         ([("WH1", "A", "7", "21.00")], "0.00", "19.00"),
         ([("WH1", "A", "7", "21.00")], "0.00", "19.00")),
    Case("issued before any cost is known: valued 0, settled by the receipt",
         ("2026-01-01,WH1,A,issue,5,,,,,,", "2026-01-01,WH1,A,receipt,10,2,,,,,"),
         ([("WH1", "A", "5", "10.00")], "10.00", "0.00"),
         ([("WH1", "A", "5", "10.00")], "10.00", "0.00")),
    Case("a shortfall in another warehouse takes the SKU's last cost",
         ("2026-01-01,WH1,A,receipt,5,4,,,,,", "2026-01-02,WH2,A,issue,2,,,,,,"),
         ([("WH1", "A", "5", "20.00"), ("WH2", "A", "-2", "0.00")], "8.00", "0.00"),
         ([("WH1", "A", "5", "20.00"), ("WH2", "A", "-2", "0.00")], "8.00", "0.00")),
    Case("a transfer into a warehouse that owes goods settles its shortfall",
         ("2026-01-01,WH2,A,receipt,1,5,,,,,", "2026-01-02,WH2,A,issue,3,,,,,,",
          "2026-01-03,WH1,A,receipt,10,2,,,,,", "2026-01-04,WH1,A,transfer,4,,,,WH2,,"),
         # WH2: 5 + 2 x 5 (estimate) = 15; 4 x 2 arrive: 2 settle (4 - 10 = -6), 2 stay
         ([("WH1", "A", "6", "12.00"), ("WH2", "A", "2", "4.00")], "9.00", "0.00"),
         ([("WH1", "A", "6", "12.00"), ("WH2", "A", "2", "4.00")], "9.00", "0.00")),
]
