"""The report for the Conseil territorial de santé (`export cts`): to read, project and print.

Sheets: `Synthèse` (the dashboard's key figures, then per engagement and défi: actions by
status, share done and mean progress of the actions that count, late actions, with conditional
colours), `Graphique` (actions by status and défi, the défis named, on one printed page),
`Actions par objectif` (under engagement, défi and objective headings), `Indicateurs` (target
versus latest value, then every value by period with its breakdown; left out when no indicator
is followed, which the synthesis says), `Aidants-répit` (coverage by bassin and public, and the
list of resources) and `Offre de soins` (targets versus existing, under activity and table
headings). Every figure comes from `store.figures`, as on the dashboard.

Every sheet prints in landscape, fitted to the page width, with its header rows repeated and
the department and date in the page header; rows are as high as their wrapped text needs
(`SafeSheet.fit_rows`, in the report's font, Arial). People's names, phone numbers and e-mail
addresses are left out unless `with_contacts` is set.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exports.excel.data import ExportData
from exports.excel.safe import ROW_PIXELS, Formats, SafeSheet
from exports.palette import STATUS_COLOURS
from store import figures
from store.actions import ActionData
from store.fields import ACTION
from store.formatting import counted
from store.views.care_offer import shown
from store.views.dashboard import DUE_SOON_DAYS
from store.vocab import ACTION_STATUS_LABELS, ActionStatus, ResourceStatus, TerritoryKind, Weather
from store.workbook_layout import CTS_ACTIONS_BY_OBJECTIVE, CTS_CHART, CTS_SYNTHESIS

Progress = Callable[[int, int], None]
WEATHER_COLOURS = {Weather.GREEN: "#C6EFCE", Weather.ORANGE: "#FFEB9C", Weather.RED: "#FFC7CE"}
SHEET_SYNTHESIS = CTS_SYNTHESIS
SHEET_CHART = CTS_CHART
SHEET_INDICATORS = "Indicateurs"
WITHOUT_OBJECTIVE = "Actions sans objectif du schéma"
#: Longest label of a défi on the chart, in characters.
CHART_LABEL = 60
#: The chart's size in pixels: an A4 landscape page.
CHART_SIZE = (1000, 640)
#: Words a shortened title does not end with.
_DANGLING = frozenset(
    [
        "à",
        "au",
        "aux",
        "avec",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "ou",
        "par",
        "pour",
        "sa",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "dont",
    ]
)


def short_title(title: str, limit: int = CHART_LABEL) -> str:
    """`title` in at most `limit` characters, cut between words, ending in « … » when cut
    (before a dangling « de », « et », « aux »…)."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    words = title[: limit - 1].split(" ")
    if title[limit - 1] != " " and len(words) > 1:
        words.pop()  # a word cut in the middle
    while len(words) > 1 and (words[-1].lower().strip(",;:") in _DANGLING or re.fullmatch(r"\W*", words[-1])):
        words.pop()
    return " ".join(words).rstrip(",;:– -") + "…"


def _share_bar(sheet: Any, first: int, last: int, column: int, colour: str = "#5B9BD5") -> None:
    """A data bar on a column of shares (0 to 1) from row `first` to `last`."""
    options = {"type": "data_bar", "bar_color": colour, "min_type": "num", "min_value": 0}
    sheet.conditional_format(
        first, column, max(last, first), column, {**options, "max_type": "num", "max_value": 1}
    )


def _header_text(text: str) -> str:
    """Text for an Excel page header: "&" is a control character there."""
    return text.replace("&", "&&")


@dataclass(frozen=True)
class GroupStats:
    """The figures of a group of actions, each from its one definition (`store.figures`)."""

    count: int
    by_status: dict[ActionStatus, int]
    rate: figures.DoneRate
    late: int

    @classmethod
    def of(cls, actions: list[ActionData], today: Any) -> GroupStats:
        return cls(
            len(actions),
            dict(Counter(ActionStatus(a.status) for a in actions)),
            figures.done_rate((a.status, a.progress) for a in actions),  # abandoned ones left out
            sum(1 for a in actions if a.is_late(today)),
        )


class ReportWriter:
    def __init__(
        self,
        workbook: Any,
        data: ExportData,
        *,
        with_contacts: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.book = workbook
        self.data = data
        self.with_contacts = with_contacts
        self.progress = progress
        self.formats = Formats(workbook)
        f = self.formats
        self.header = f.get(
            bold=True, font_color="#FFFFFF", bg_color="#1F4E78", text_wrap=True, valign="top", border=1
        )
        self.title = f.get(bold=True, font_size=14, font_color="#1F4E78")
        self.engagement = f.get(bold=True, bg_color="#D9E1F2", text_wrap=True, valign="top", border=1)
        self.section = f.get(
            bold=True, font_color="#FFFFFF", bg_color="#2F5597", text_wrap=True, valign="top", border=1
        )
        self.group = f.get(bold=True, bg_color="#DDEBF7", text_wrap=True, valign="top", border=1)
        self.subgroup = f.get(italic=True, bg_color="#F2F2F2", text_wrap=True, valign="top", border=1)
        self.cell = f.get(text_wrap=True, valign="top", border=1)
        self.plain = f.get(text_wrap=True, valign="top")
        self.number = f.get(valign="top", border=1)
        self.percent = f.get(num_format="0 %", valign="top", border=1)
        self.date = f.get(num_format="dd/mm/yyyy", valign="top", border=1, align="left", text_wrap=True)
        self.centred = f.get(valign="top", border=1, align="center")
        self.total = f.get(bold=True, top=2, valign="top", text_wrap=True)
        self.total_percent = f.get(bold=True, top=2, num_format="0 %")
        self.figure_label = f.get(text_wrap=True, valign="top", bottom=1, bottom_color="#BFBFBF")
        self.figure = f.get(bold=True, valign="top", bottom=1, bottom_color="#BFBFBF", align="right")
        self.figure_percent = f.get(
            bold=True, valign="top", bottom=1, bottom_color="#BFBFBF", num_format="0 %", align="right"
        )
        self.today = data.exported_at.date()
        self.truncated = 0
        self.objective_challenge = {o.code: o for o in data.objectives}
        self.organisations = dict(data.organisations)
        self.territory_names = dict(data.territories)

    def _page(self, sheet: Any, title: str, header_rows: tuple[int, int] | None) -> None:
        d = self.data
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        if header_rows is not None:
            sheet.repeat_rows(*header_rows)
        sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        sheet.set_header(
            f"&L{_header_text(f'{d.department} {d.department_name}')}&C&B{_header_text(title)}"
            f"&R{d.exported_at:%d/%m/%Y}"
        )
        sheet.set_footer("&LSuivi STS — rapport au CTS&RPage &P / &N")

    def _safe(self, sheet: Any, max_width: int = 60) -> SafeSheet:
        return SafeSheet(self.formats, sheet, max_width=max_width, blank_formats=True, fit_rows=True)

    def _done(self, safe: SafeSheet) -> None:
        safe.fit_rows()
        self.truncated += safe.truncated

    def write(self) -> None:
        steps = (
            self._synthesis,
            self._chart,
            self._actions,
            *((self._indicators,) if self.data.indicators else ()),
            self._resources,
            self._care_offer,
        )
        for done, step in enumerate(steps, 1):
            step()
            if self.progress is not None:
                self.progress(done, len(steps))

    # --- Synthèse -------------------------------------------------------------------------

    def _challenge_of(self, action: ActionData) -> tuple[str, str, str, str]:
        main = self.objective_challenge.get(action.objectives[0]) if action.objectives else None
        if main is None:
            return ("—", "Sans objectif", "—", WITHOUT_OBJECTIVE)
        return (main.engagement_code, main.engagement_title, main.challenge_code, main.challenge_title)

    def _by_challenge(self) -> list[tuple[tuple[str, str, str, str], list[ActionData]]]:
        """Every défi of the scheme in order (an action under its first, main, objective), then
        the actions without objective."""
        grouped: dict[tuple[str, str, str, str], list[ActionData]] = defaultdict(list)
        for action in self.data.actions:
            grouped[self._challenge_of(action)].append(action)
        order: dict[tuple[str, str, str, str], int] = {}
        for o in self.data.objectives:
            order.setdefault(
                (o.engagement_code, o.engagement_title, o.challenge_code, o.challenge_title), len(order)
            )
        keys = sorted(set(order) | set(grouped), key=lambda k: order.get(k, len(order)))
        return [(key, grouped.get(key, [])) for key in keys]

    def _key_figures(self, safe: SafeSheet, row: int) -> int:
        """The dashboard's figures (store.figures), one per line; returns the next free row."""
        d = self.data
        stats = GroupStats.of(d.actions, self.today)
        soon = sum(
            1 for a in d.actions if figures.is_due_soon(a.status, a.due_date, self.today, DUE_SOON_DAYS)
        )
        gaps = sum(1 for count in self._coverage()[1].values() if not count)
        lines: list[tuple[str, Any, Any]] = [
            ("Actions suivies", stats.count, self.figure),
            (
                f"Part réalisée ({stats.rate.done} sur {stats.rate.counted}, hors abandonnées et "
                "« Non renseigné »)",
                stats.rate.share,
                self.figure_percent,
            ),
            (
                "Avancement moyen (des mêmes actions, quand il est connu)",
                None if stats.rate.mean_progress is None else stats.rate.mean_progress / 100,
                self.figure_percent,
            ),
            ("Actions en retard", stats.late, self.figure),
            (f"Actions à échéance sous {DUE_SOON_DAYS} jours", soon, self.figure),
            ("Manques d'offre de répit (bassin × public sans ressource existante)", gaps, self.figure),
        ]
        for label, value, fmt in lines:
            safe.write(row, 1, label, self.figure_label)
            safe.write(row, 2, "—" if value is None else value, fmt if value is not None else self.figure)
            row += 1
        notes = ["Le graphique des actions par statut et par défi est sur la feuille « Graphique »."]
        if not d.indicators:
            notes.append(
                "Aucun indicateur n'est suivi pour l'instant : le rapport n'a pas de feuille « Indicateurs »."
            )
        for note in notes:
            safe.merge(row, 1, 8, note, self.plain)
            row += 1
        return row

    def _synthesis(self) -> None:
        sheet = self.book.add_worksheet(SHEET_SYNTHESIS)
        safe = self._safe(sheet)
        d = self.data
        safe.write(0, 0, f"Rapport au CTS — {d.department} {d.department_name}", self.title)
        safe.write(1, 0, f"Situation au {d.exported_at:%d/%m/%Y}.")
        statuses = list(ActionStatus)
        headers = [
            "Code",
            "Engagement / défi",
            "Actions",
            *(ACTION_STATUS_LABELS[s] for s in statuses),
            "Part réalisée",
            "Avancement moyen",
            "En retard",
        ]
        top = self._key_figures(safe, 3) + 1
        safe.write_row(top, headers, [self.header] * len(headers))
        row = top
        current_engagement = None
        groups = self._by_challenge()
        for key, actions in groups:
            if key[2] == "—":  # the actions without objective: one line, not a heading and its copy
                row += 1
                self._stat_row(safe, row, "—", WITHOUT_OBJECTIVE, actions, statuses, self.engagement)
                continue
            if key[0] != current_engagement:
                current_engagement = key[0]
                row += 1
                engagement_actions = [a for k, acts in groups if k[0] == key[0] for a in acts]
                self._stat_row(safe, row, key[0], key[1], engagement_actions, statuses, self.engagement)
            row += 1
            self._stat_row(safe, row, key[2], key[3], actions, statuses, self.cell)
        row += 1
        self._stat_row(safe, row, "Total", "Toutes les actions", d.actions, statuses, self.total, total=True)
        last_col = len(headers) - 1
        share_col, mean_col, late_col = last_col - 2, last_col - 1, last_col
        first, last = top + 1, row - 1
        sheet.conditional_format(
            first,
            share_col,
            last,
            share_col,
            {
                "type": "3_color_scale",
                "min_color": "#F8696B",
                "mid_color": "#FFEB84",
                "max_color": "#63BE7B",
                "min_type": "num",
                "min_value": 0,
                "mid_type": "num",
                "mid_value": 0.5,
                "max_type": "num",
                "max_value": 1,
            },
        )
        _share_bar(sheet, first, last, mean_col)
        sheet.conditional_format(
            first,
            late_col,
            last,
            late_col,
            {
                "type": "cell",
                "criteria": ">",
                "value": 0,
                "format": self.formats.get(bg_color="#FFC7CE", font_color="#9C0006"),
            },
        )
        safe.set_widths((8, 58, 9, *([11.5] * (last_col - 2))))
        sheet.freeze_panes(top + 1, 2)
        self._page(sheet, "Synthèse", (top, top))
        sheet.fit_to_pages(1, 1)  # the synthesis on one page
        self._done(safe)

    def _stat_row(
        self,
        safe: SafeSheet,
        row: int,
        code: str,
        label: str,
        actions: list[ActionData],
        statuses: list[ActionStatus],
        fmt: Any,
        total: bool = False,
    ) -> None:
        stats = GroupStats.of(actions, self.today)
        share = stats.rate.share
        mean = stats.rate.mean_progress / 100 if stats.rate.mean_progress is not None else None
        percent = self.total_percent if total else self.percent
        number = fmt if fmt is not self.cell else self.number
        safe.write(row, 0, code, fmt)
        safe.write(row, 1, label, fmt)
        safe.write(row, 2, stats.count, number)
        for index, status in enumerate(statuses):
            safe.write(row, 3 + index, stats.by_status.get(status, 0), number)
        base = 3 + len(statuses)
        safe.write(row, base, share, percent if share is not None else number)
        safe.write(row, base + 1, mean, percent if mean is not None else number)
        safe.write(row, base + 2, stats.late, number)

    # --- Graphique --------------------------------------------------------------------------

    def _chart(self) -> None:
        """Actions by status per défi, the défis named (shortened), on a page of its own; the
        figures it draws are written under it (outside the printed area)."""
        sheet = self.book.add_worksheet(SHEET_CHART)
        safe = self._safe(sheet)
        statuses = list(ActionStatus)
        groups = self._by_challenge()
        widths = (50, 10, *([11] * len(statuses)))
        safe.set_widths(widths)
        # The chart covers the top of the sheet; its data starts below it.
        chart_rows = CHART_SIZE[1] // ROW_PIXELS + 2
        top = chart_rows + 1
        safe.write(top - 1, 0, "Données du graphique", self.title)
        headers = ["Défi", "Code", *(ACTION_STATUS_LABELS[s] for s in statuses)]
        safe.write_row(top, headers, [self.header] * len(headers))
        row = top
        for (_e, _et, code, title), actions in groups:
            row += 1
            stats = GroupStats.of(actions, self.today)
            safe.write_row(
                row,
                [short_title(title), code, *(stats.by_status.get(s, 0) for s in statuses)],
                [self.cell, self.cell, *([self.number] * len(statuses))],
            )
        if row > top:
            chart = self.book.add_chart({"type": "bar", "subtype": "stacked"})
            for index, status in enumerate(statuses):
                column = 2 + index
                chart.add_series(
                    {
                        "name": [SHEET_CHART, top, column],
                        "categories": [SHEET_CHART, top + 1, 0, row, 0],
                        "values": [SHEET_CHART, top + 1, column, row, column],
                        "fill": {"color": STATUS_COLOURS[status]},
                        "border": {"color": "#FFFFFF", "width": 0.5},
                        "gap": 50,
                    }
                )
            chart.set_title(
                {
                    "name": f"Actions par statut et par défi ({counted(len(self.data.actions), 'action')})",
                    "name_font": {"name": "Arial", "size": 14, "bold": True, "color": "#1F4E78"},
                }
            )
            font = {"name": "Arial", "size": 10}
            top_count = max(len(actions) for _key, actions in groups)
            chart.set_y_axis({"reverse": True, "num_font": font})
            chart.set_x_axis(
                {
                    "name": "Nombre d'actions",
                    "name_font": {**font, "bold": True},
                    "num_font": font,
                    "min": 0,
                    "max": top_count + 1,
                    # whole actions: a step of 1 where Excel would choose 0.1 or 0.5
                    **({"major_unit": 1} if top_count < 10 else {}),
                    "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                }
            )
            chart.set_legend({"position": "bottom", "font": font})
            chart.set_size({"width": CHART_SIZE[0], "height": CHART_SIZE[1]})
            chart.set_chartarea({"border": {"none": True}})
            sheet.insert_chart(0, 0, chart, {"object_position": 3})
        # The printed page is the chart alone: the columns and rows it covers.
        pixels, last_column = 0, 0
        for index, width in enumerate(widths):
            pixels += int(width * 7 + 5)
            last_column = index
            if pixels >= CHART_SIZE[0]:
                break
        sheet.print_area(0, 0, chart_rows - 1, last_column)
        self._page(sheet, "Actions par statut et par défi", None)
        sheet.fit_to_pages(1, 1)
        self._done(safe)

    # --- Actions par objectif ---------------------------------------------------------------

    def _actions(self) -> None:
        sheet = self.book.add_worksheet(CTS_ACTIONS_BY_OBJECTIVE)
        safe = self._safe(sheet)
        headers = [
            "Code",
            "Intitulé",
            "Pilote",
            "Partenaires",
            "Statut",
            "Météo",
            "Avancement",
            "Échéance",
            "En retard",
        ]
        last = len(headers) - 1
        safe.write_row(0, headers, [self.header] * len(headers))
        by_objective: dict[str | None, list[ActionData]] = defaultdict(list)
        for action in self.data.actions:
            by_objective[action.objectives[0] if action.objectives else None].append(action)
        row = 0
        engagement = challenge = None
        for o in self.data.objectives:
            actions = by_objective.get(o.code, [])
            if not actions:
                continue
            if o.engagement_code != engagement:
                engagement = o.engagement_code
                row += 1
                safe.merge(
                    row, 0, last, f"Engagement {o.engagement_code} — {o.engagement_title}", self.section
                )
            if o.challenge_code != challenge:
                challenge = o.challenge_code
                row += 1
                safe.merge(row, 0, last, f"Défi {o.challenge_code} — {o.challenge_title}", self.group)
            row += 1
            safe.merge(row, 0, last, f"Objectif {o.code} — {o.title}", self.subgroup)
            row = self._action_rows(safe, row, actions)
        if by_objective.get(None):
            row += 1
            safe.merge(row, 0, last, WITHOUT_OBJECTIVE, self.section)
            row = self._action_rows(safe, row, by_objective[None])
        if not self.data.actions:
            row += 1
            safe.merge(row, 0, last, "Aucune action.", self.cell)
        for weather, colour in WEATHER_COLOURS.items():
            sheet.conditional_format(
                1,
                5,
                max(row, 1),
                5,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{weather.label}"',
                    "format": self.formats.get(bg_color=colour),
                },
            )
        sheet.conditional_format(
            1,
            8,
            max(row, 1),
            8,
            {
                "type": "cell",
                "criteria": "==",
                "value": '"Oui"',
                "format": self.formats.get(bg_color="#FFC7CE", font_color="#9C0006"),
            },
        )
        _share_bar(sheet, 1, row, 6)
        # The codes on one line: the Ariège's « ACT-001 » as an ARS numbering « ARS09-2025-0042 ».
        code_width = min(24, max((len(a.code) + 2 for a in self.data.actions), default=9))
        safe.set_widths((max(9, code_width), 50, 24, 24, 12, 8, 11, 13, 8))
        sheet.freeze_panes(1, 0)
        self._page(sheet, "Actions par objectif", (0, 0))
        self._done(safe)

    def _action_rows(self, safe: SafeSheet, row: int, actions: list[ActionData]) -> int:
        for action in actions:
            row += 1
            lead = self.organisations.get(action.lead, action.lead) if action.lead else None
            partners = ", ".join(self.organisations.get(p, p) for p in action.partners) or None
            safe.write_row(
                row,
                [
                    action.code,
                    action.title,
                    lead,
                    partners,
                    ActionStatus(action.status).label,
                    Weather(action.weather).label if action.weather else None,
                    None if action.progress is None else action.progress / 100,
                    ACTION["due_date"].cell_value(action.due_date),
                    "Oui" if action.is_late(self.today) else None,
                ],
                [*([self.cell] * 6), self.percent, self.date, self.cell],
            )
        return row

    # --- Indicateurs -----------------------------------------------------------------------

    def _indicators(self) -> None:
        """One line per indicator (target versus latest value), then every value by period."""
        sheet = self.book.add_worksheet(SHEET_INDICATORS)
        safe = self._safe(sheet)
        headers = [
            "Code",
            "Intitulé",
            "Rattachement",
            "Unité",
            "Valeur initiale",
            "Cible",
            "Dernière valeur",
            "Période",
            "Atteinte de la cible",
        ]
        safe.write_row(0, headers, [self.header] * len(headers))
        by_indicator: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for key, number in self.data.values.items():
            by_indicator[key.indicator][key.period][key.category] = number
        row = 0
        for indicator in self.data.indicators:
            row += 1
            periods = by_indicator.get(indicator.code, {})
            period = max((p for p, found in periods.items() if "" in found), default=None)
            value = periods[period][""] if period is not None else None
            reached = value / indicator.target if value is not None and indicator.target else None
            owner = f"Action {indicator.action}" if indicator.action else f"Objectif {indicator.objective}"
            safe.write_row(
                row,
                [
                    indicator.code,
                    indicator.label,
                    owner,
                    indicator.unit,
                    indicator.baseline,
                    indicator.target,
                    value,
                    period,
                    reached,
                ],
                [*([self.cell] * 4), self.number, self.number, self.number, self.centred, self.percent],
            )
        summary_rows = row
        categories = sorted({key.category for key in self.data.values if key.category})
        if by_indicator:
            row += 2
            safe.write(row, 0, "Valeurs par période", self.title)
            row += 1
            value_headers = ["Code", "Indicateur", "Période", "Total", *categories]
            safe.write_row(row, value_headers, [self.header] * len(value_headers))
            for indicator in self.data.indicators:
                for period, found in sorted(by_indicator.get(indicator.code, {}).items()):
                    row += 1
                    safe.write_row(
                        row,
                        [
                            indicator.code,
                            indicator.label,
                            period,
                            found.get(""),
                            *(found.get(c) for c in categories),
                        ],
                        [self.cell, self.cell, self.centred, *([self.number] * (1 + len(categories)))],
                    )
        _share_bar(sheet, 1, summary_rows, 8, "#63BE7B")
        safe.set_widths((12, 50, 18, 14, 12, 10, 12, 10, 12))
        sheet.freeze_panes(1, 0)
        self._page(sheet, "Indicateurs", (0, 0))
        self._done(safe)

    # --- Aidants-répit ---------------------------------------------------------------------

    def _coverage(self) -> tuple[list[tuple[str, str]], dict[tuple[str, str], int], list[str]]:
        """The bassins (code, name), the counts per (bassin, public) and the publics, counted as
        the app's coverage matrix counts them (`store.figures`)."""
        d = self.data
        kinds = d.territory_kinds
        basins = [
            (code, name) for code, name in d.territories if kinds.get(code) == TerritoryKind.BASIN.value
        ]
        whole = {code for code, kind in kinds.items() if kind == TerritoryKind.DEPARTMENT.value}
        items = [figures.CoverageItem(r.status, r.kind, r.audiences, r.territories) for r in d.resources]
        columns = figures.coverage_columns("public")
        counts = figures.coverage_counts(items, [code for code, _n in basins], whole, columns)
        cells = {(code, column): counts.get((code, column), 0) for code, _n in basins for column in columns}
        return basins, cells, columns

    def _resources(self) -> None:
        sheet = self.book.add_worksheet("Aidants-répit")
        safe = self._safe(sheet)
        d = self.data
        safe.write(0, 0, "Couverture par bassin et public", self.title)
        safe.write(
            1,
            0,
            "Ressources existantes seulement ; une ressource de tout le département compte dans "
            "chaque bassin, une ressource « Tous publics » dans chaque public.",
        )
        top = 3
        basins, counts, columns = self._coverage()
        headers = ["Bassin", *columns, "Toutes"]
        safe.write_row(top, headers, [self.header] * len(headers))
        kinds = d.territory_kinds
        whole = {code for code, kind in kinds.items() if kind == TerritoryKind.DEPARTMENT.value}
        items = [figures.CoverageItem(r.status, r.kind, r.audiences, r.territories) for r in d.resources]
        codes = [code for code, _n in basins]
        row = top
        for code, name in basins:
            row += 1
            cells = [counts[(code, column)] for column in columns]
            safe.write_row(
                row,
                [f"{name} ({code})", *cells, figures.covering(items, code, codes, whole)],
                [self.cell] + [self.number] * (len(cells) + 1),
            )
        if row > top:
            sheet.conditional_format(
                top + 1,
                1,
                row,
                len(columns),
                {"type": "2_color_scale", "min_color": "#FFC7CE", "max_color": "#63BE7B"},
            )
        row += 2
        safe.write(row, 0, "Ressources", self.title)
        row += 1
        list_top = row
        names = ["Nom", "Type", "Public", "Territoires", "Commune", "Capacité", "Statut"]
        if self.with_contacts:
            names += ["Téléphone", "Courriel", "Contact"]
        safe.write_row(row, names, [self.header] * len(names))
        if not d.resources:
            row += 1
            safe.merge(row, 0, len(names) - 1, "Aucune ressource.", self.cell)
        for resource in d.resources:
            row += 1
            values: list[Any] = [
                resource.name,
                resource.kind,
                ", ".join(resource.audiences) or None,
                ", ".join(self.territory_names.get(t, t) for t in resource.territories) or None,
                resource.commune,
                resource.capacity,
                ResourceStatus(resource.status).label,
            ]
            if self.with_contacts:
                values += [resource.phone, resource.email, resource.contact_name]
            safe.write_row(row, values, [self.cell] * 5 + [self.number, self.cell] + [self.cell] * 3)
        safe.set_widths((34, 24, 20, 18, 16, 14, 12, 14, 22, 20)[: max(len(headers), len(names))])
        self._page(sheet, "Aidants et répit", (list_top, list_top))
        self._done(safe)

    # --- Offre de soins ---------------------------------------------------------------------

    def _care_offer(self) -> None:
        """Existing against target per modality, under a heading per activity and per table."""
        sheet = self.book.add_worksheet("Offre de soins")
        safe = self._safe(sheet)
        headers = ["Modalité", "Mention", "Existant", "Cible", "Manque"]
        last = len(headers) - 1
        safe.write_row(0, headers, [self.header] * len(headers))
        row = 0
        activity = table = None
        for line in self.data.care_offer:
            if line.activity != activity:
                activity, table = line.activity, None
                row += 1
                safe.merge(row, 0, last, line.activity, self.section)
            if line.table != table:
                table = line.table
                row += 1
                safe.merge(row, 0, last, line.table, self.subgroup)
            row += 1
            gap = line.gap
            safe.write_row(
                row,
                [
                    line.modality,
                    line.mention,
                    shown(line.existing),
                    shown(line.target),
                    "au-delà de la cible" if line.above_target else gap,
                ],
                [self.cell, self.cell, self.centred, self.centred, self.centred],
            )
        sheet.conditional_format(
            1,
            last,
            max(row, 1),
            last,
            {
                "type": "cell",
                "criteria": "between",  # numbers only (a text compares above every number)
                "minimum": 1,
                "maximum": 1_000_000,
                "format": self.formats.get(bg_color="#FFC7CE", font_color="#9C0006", bold=True),
            },
        )
        safe.set_widths((58, 40, 10, 10, 16))
        # Existing and target kept as written (« 3 », « 0 / 1 »): no « number stored as text » mark.
        sheet.ignore_errors({"number_stored_as_text": f"C2:D{max(row, 1) + 1}"})
        sheet.freeze_panes(1, 0)
        self._page(sheet, "Offre de soins : cibles et existant", (0, 0))
        self._done(safe)
