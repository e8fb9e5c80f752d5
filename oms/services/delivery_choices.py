"""The 配送業者 / 配送方法 / お届け時間 selects (edit screen, 配送方法 bulk operation), from
配送業者管理.

Without JavaScript the method and time lists hold every active carrier's, grouped by
carrier, and the server checks that they go with the carrier chosen
(`carriers.delivery_problems`); with htmx they follow the chosen carrier.
"""

from collections.abc import Sequence

from wtforms import SelectChoice, SelectField

from oms.models import Carrier


class GroupedSelectField(SelectField):
    """Options grouped by carrier. A label several carriers offer (午前中) is marked chosen
    once: under `group`, the chosen carrier, when it has it (else where it first appears,
    so a refused choice is shown as it was sent)."""

    group: str | None = None

    def iter_groups(self):
        groups = list(super().iter_groups())
        mine = any(c.selected and optgroup == self.group for optgroup, group in groups
                   for c in group)
        shown = False
        for optgroup, group in groups:
            marked = []
            for choice in group:
                selected = choice.selected and not shown and (
                    not mine or optgroup in (None, self.group))
                shown = shown or selected
                marked.append(choice._replace(selected=selected))
            yield optgroup, marked


def carrier_options(offered: Sequence[Carrier], current: str | None,
                    blank: str) -> list[SelectChoice]:
    """The active carriers, and the one an order already names even if since deactivated."""
    names = [carrier.name for carrier in offered]
    if current and current not in names:
        names.append(current)
    return [SelectChoice("", blank), *(SelectChoice(name, name) for name in names)]


def part_options(offered: Sequence[Carrier], part: str, blank: str, *, grouped: bool = True,
                 current: tuple[str | None, str | None] = (None, None)) -> list[SelectChoice]:
    """The active services (`part="services"`) or time slots (`"time_slots"`) of the
    carriers offered, grouped by carrier; `current` (carrier, value) is what an order
    holds, offered under its carrier even if since deactivated or never listed (in a flat
    list, only when that carrier is the one offered)."""
    attr = "name" if part == "services" else "label"
    choices = [SelectChoice("", blank)]
    for carrier in offered:
        choices += [SelectChoice(getattr(row, attr), getattr(row, attr),
                                 optgroup=carrier.name if grouped else None)
                    for row in getattr(carrier, part) if row.active]
    current_carrier, value = current
    group = current_carrier if grouped else None
    mine = grouped or current_carrier in {carrier.name for carrier in offered}
    if value and mine and not any(c.value == value and c.optgroup == group for c in choices):
        # Right after its carrier's own: an optgroup is one run of options.
        at = max((i for i, c in enumerate(choices) if c.optgroup == group), default=None)
        choices.insert(len(choices) if at is None else at + 1,
                       SelectChoice(value, value, optgroup=group))
    return choices
