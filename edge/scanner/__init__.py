"""Fixed serial barcode scanners: byte stream -> scan lines -> GS1 labels -> StockMoved."""

from edge.scanner.lines import LineSplitter, ScanLine
from edge.scanner.station import LabelRejected, station_move

__all__ = ["LabelRejected", "LineSplitter", "ScanLine", "station_move"]
