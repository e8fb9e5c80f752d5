"""出荷指示 files for the label software of each carrier (CarrierFormat): one module per
layout, each a HEADER and `cells(parcel, settings)`; `common` checks and renders them."""

from collections.abc import Callable
from dataclasses import dataclass

from oms.models import CarrierFormat
from oms.services.carrier_files import b2, ehiden, yupri
from oms.services.carrier_files.common import Cell, Parcel, Settings


@dataclass(frozen=True)
class Layout:
    header: list[str]
    cells: Callable[[Parcel, Settings], list[Cell]]
    # The carrier_time_slots column holding this layout's code.
    slot_code: str
    # Encodings the label software reads (csvfiles.ENCODINGS keys); the first is default.
    encodings: tuple[str, ...]


LAYOUTS = {
    CarrierFormat.b2: Layout(b2.HEADER, b2.cells, "b2_code", ("cp932",)),
    CarrierFormat.ehiden2: Layout(ehiden.HEADER, ehiden.cells, "ehiden_code", ("cp932",)),
    CarrierFormat.yupri: Layout(yupri.HEADER, yupri.cells, "yupri_code", ("cp932", "utf8")),
}
