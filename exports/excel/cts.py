"""The report for the Conseil territorial de santé (`export cts`): to read, project and print.

Sheets: `Synthèse` (per engagement and défi: actions by status, share done and mean progress
of the actions not abandoned, late actions, with conditional colours and a chart), `Actions
par objectif`, `Indicateurs`
(target versus latest value), `Aidants-répit` (coverage by bassin and public, and the
list of resources) and `Offre de soins` (targets versus existing). Every sheet prints in
landscape, fitted to the page width, with its header rows repeated and the department and
date in the page header. People's names, phone numbers and e-mail addresses are left out
unless `with_contacts` is set.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from exports.excel.data import ExportData
from exports.excel.safe import Formats, SafeSheet
from store import figures
from store.actions import ActionData
from store.fields import ACTION
from store.vocab import ACTION_STATUS_LABELS, ActionStatus, ResourceStatus, TerritoryKind, Weather

Progress = Callable[[int, int], None]
STATUS_COLOURS = {
    ActionStatus.TODO: "#BDD7EE",
    ActionStatus.IN_PROGRESS: "#2E75B6",
    ActionStatus.DONE: "#70AD47",
    ActionStatus.POSTPONED: "#FFC000",
    ActionStatus.ABANDONED: "#A5A5A5",
    ActionStatus.UNKNOWN: "#E7E6E6",
}
WEATHER_COLOURS = {Weather.GREEN: "#C6EFCE", Weather.ORANGE: "#FFEB9C", Weather.RED: "#FFC7CE"}


def _header_text(text: str) -> str:
    """Text for an Excel page header: "&" is a control character there."""
    return text.replace("&", "&&")


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
        self.group = f.get(bold=True, bg_color="#DDEBF7", text_wrap=True, valign="top")
        self.cell = f.get(text_wrap=True, valign="top", border=1)
        self.number = f.get(valign="top", border=1)
        self.percent = f.get(num_format="0 %", valign="top", border=1)
        self.date = f.get(num_format="dd/mm/yyyy", valign="top", border=1)
        self.total = f.get(bold=True, top=2, valign="top")
        self.total_percent = f.get(bold=True, top=2, num_format="0 %")
        self.today = data.exported_at.date()
        self.truncated = 0
        self.objective_challenge = {o.code: o for o in data.objectives}
        self.organisations = dict(data.organisations)

    def _page(self, sheet: Any, title: str, header_rows: tuple[int, int]) -> None:
        d = self.data
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(*header_rows)
        sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        sheet.set_header(
            f"&L{_header_text(f'{d.department} {d.department_name}')}&C&B{_header_text(title)}"
            f"&R{d.exported_at:%d/%m/%Y}"
        )
        sheet.set_footer("&LSuivi STS — rapport au CTS&RPage &P / &N")

    def _finish_table(
        self,
        sheet: Any,
        safe: SafeSheet,
        title: str,
        *,
        rows: int,
        share_column: int,
        bar: str,
        widths: tuple[int, ...],
    ) -> None:
        """A data bar on the share column (0-1), column widths, frozen header, page set-up."""
        options = {"type": "data_bar", "bar_color": bar, "min_type": "num", "min_value": 0}
        sheet.conditional_format(
            1, share_column, max(rows, 1), share_column, {**options, "max_type": "num", "max_value": 1}
        )
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        self._page(sheet, title, (0, 0))
        self.truncated += safe.truncated

    def _safe(self, sheet: Any, max_width: int = 60) -> SafeSheet:
        return SafeSheet(self.formats, sheet, max_width=max_width, blank_formats=True)

    def write(self) -> None:
        steps = 5
        for done, step in enumerate(
            (self._synthesis, self._actions, self._indicators, self._resources, self._care_offer), 1
        ):
            step()
            if self.progress is not None:
                self.progress(done, steps)

    # --- Synthèse -------------------------------------------------------------------------

    def _challenge_of(self, action: ActionData) -> tuple[str, str, str, str]:
        main = self.objective_challenge.get(action.objectives[0]) if action.objectives else None
        if main is None:
            return ("—", "Sans objectif", "—", "Actions sans objectif du schéma")
        return (main.engagement_code, main.engagement_title, main.challenge_code, main.challenge_title)

    def _synthesis(self) -> None:
        sheet = self.book.add_worksheet("Synthèse")
        safe = self._safe(sheet)
        d = self.data
        safe.write(0, 0, f"Rapport au CTS — {d.department} {d.department_name}", self.title)
        safe.write(1, 0, f"Situation au {d.exported_at:%d/%m/%Y} : {len(d.actions)} actions suivies.")
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
        top = 3
        safe.write_row(top, headers, [self.header] * len(headers))
        by_challenge: dict[tuple[str, str, str, str], list[ActionData]] = defaultdict(list)
        for action in d.actions:
            by_challenge[self._challenge_of(action)].append(action)
        order: dict[tuple[str, str, str, str], int] = {}
        for o in d.objectives:
            order.setdefault(
                (o.engagement_code, o.engagement_title, o.challenge_code, o.challenge_title), len(order)
            )
        keys = sorted(set(order) | set(by_challenge), key=lambda k: order.get(k, len(order)))
        row = top
        challenge_rows: list[int] = []
        current_engagement = None
        for key in keys:
            if key[0] != current_engagement:
                current_engagement = key[0]
                row += 1
                engagement_actions = [a for k, acts in by_challenge.items() if k[0] == key[0] for a in acts]
                self._stat_row(safe, row, key[0], key[1], engagement_actions, statuses, self.engagement)
            row += 1
            self._stat_row(safe, row, key[2], key[3], by_challenge.get(key, []), statuses, self.cell)
            challenge_rows.append(row)
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
        sheet.conditional_format(
            first,
            mean_col,
            last,
            mean_col,
            {
                "type": "data_bar",
                "bar_color": "#5B9BD5",
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            },
        )
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
        sheet.set_column(0, 0, 10)
        sheet.set_column(1, 1, 60)
        sheet.set_column(2, last_col, 11)
        sheet.freeze_panes(top + 1, 2)
        self._page(sheet, "Synthèse", (top, top))
        if challenge_rows:
            chart = self.book.add_chart({"type": "bar", "subtype": "stacked"})
            for index, status in enumerate(statuses):
                column = 3 + index
                chart.add_series(
                    {
                        "name": ["Synthèse", top, column],
                        "categories": ["Synthèse", first, 0, last, 0],
                        "values": ["Synthèse", first, column, last, column],
                        "fill": {"color": STATUS_COLOURS[status]},
                        "gap": 60,
                    }
                )
            chart.set_title({"name": "Actions par statut, par engagement et défi"})
            chart.set_y_axis({"reverse": True})
            chart.set_x_axis({"name": "Actions"})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 760, "height": max(320, 22 * (last - first + 1) + 120)})
            sheet.insert_chart(row + 2, 1, chart)
        self.truncated += safe.truncated

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
        counts = Counter(ActionStatus(a.status) for a in actions)
        count = len(actions)
        rate = figures.done_rate((a.status, a.progress) for a in actions)  # abandoned ones left out
        share = rate.share
        mean = rate.mean_progress / 100 if rate.mean_progress is not None else None
        late = sum(1 for a in actions if a.is_late(self.today))
        percent = self.total_percent if total else self.percent
        number = fmt if fmt is not self.cell else self.number
        safe.write(row, 0, code, fmt)
        safe.write(row, 1, label, fmt)
        safe.write(row, 2, count, number)
        for index, status in enumerate(statuses):
            safe.write(row, 3 + index, counts[status], number)
        base = 3 + len(statuses)
        safe.write(row, base, share, percent if share is not None else number)
        safe.write(row, base + 1, mean, percent if mean is not None else number)
        safe.write(row, base + 2, late, number)

    # --- Actions par objectif ---------------------------------------------------------------

    def _actions(self) -> None:
        sheet = self.book.add_worksheet("Actions par objectif")
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
        safe.write_row(0, headers, [self.header] * len(headers))
        by_objective: dict[str | None, list[ActionData]] = defaultdict(list)
        for action in self.data.actions:
            by_objective[action.objectives[0] if action.objectives else None].append(action)
        row = 0
        groups: list[tuple[str | None, str]] = [
            (o.code, f"{o.code} — {o.title}") for o in self.data.objectives
        ]
        groups.append((None, "Actions sans objectif du schéma"))
        for code, title in groups:
            actions = by_objective.get(code, [])
            if not actions:
                continue
            row += 1
            sheet.merge_range(row, 0, row, len(headers) - 1, "", self.group)
            safe.write(row, 0, title, self.group)
            sheet.set_row(row, 30 if len(title) > 110 else None)
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
                    [
                        self.cell,
                        self.cell,
                        self.cell,
                        self.cell,
                        self.cell,
                        self.cell,
                        self.percent,
                        self.date,
                        self.cell,
                    ],
                )
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
        self._finish_table(
            sheet,
            safe,
            "Actions par objectif",
            rows=row,
            share_column=6,
            bar="#5B9BD5",
            widths=(10, 55, 24, 24, 12, 9, 11, 11, 9),
        )

    # --- Indicateurs -----------------------------------------------------------------------

    def _indicators(self) -> None:
        sheet = self.book.add_worksheet("Indicateurs")
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
        latest: dict[str, tuple[str, float]] = {}
        for key, number in self.data.values.items():
            if key.category == "":
                known = latest.get(key.indicator)
                if known is None or key.period > known[0]:
                    latest[key.indicator] = (key.period, number)
        row = 0
        for indicator in self.data.indicators:
            row += 1
            found = latest.get(indicator.code)
            period, value = found if found else (None, None)
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
                [
                    self.cell,
                    self.cell,
                    self.cell,
                    self.cell,
                    self.number,
                    self.number,
                    self.number,
                    self.cell,
                    self.percent,
                ],
            )
        if row == 0:  # not a blank page below the headers
            row = 1
            safe.write(row, 0, "Aucun indicateur n'est suivi pour l'instant.")
        self._finish_table(
            sheet,
            safe,
            "Indicateurs",
            rows=row,
            share_column=8,
            bar="#63BE7B",
            widths=(12, 50, 18, 14, 12, 10, 12, 10, 12),
        )

    # --- Aidants-répit ---------------------------------------------------------------------

    def _resources(self) -> None:
        sheet = self.book.add_worksheet("Aidants-répit")
        safe = self._safe(sheet)
        d = self.data
        safe.write(
            0,
            0,
            "Couverture par bassin et public (ressources existantes ; celles de tout le département "
            "comptent dans chaque bassin)",
            self.title,
        )
        top = 2
        columns = figures.coverage_columns("public")
        headers = ["Bassin", *columns, "Toutes"]
        safe.write_row(top, headers, [self.header] * len(headers))
        kinds = d.territory_kinds
        basins = [code for code, _name in d.territories if kinds.get(code) == TerritoryKind.BASIN.value]
        whole = {code for code, kind in kinds.items() if kind == TerritoryKind.DEPARTMENT.value}
        items = [figures.CoverageItem(r.status, r.kind, r.audiences, r.territories) for r in d.resources]
        counts = figures.coverage_counts(items, basins, whole, columns)
        row = top
        for code, name in d.territories:
            if code not in basins:
                continue
            row += 1
            cells = [counts.get((code, column), 0) for column in columns]
            safe.write_row(
                row,
                [f"{name} ({code})", *cells, figures.covering(items, code, basins, whole)],
                [self.cell] + [self.number] * (len(cells) + 1),
            )
        if row > top:
            sheet.conditional_format(
                top + 1,
                1,
                row,
                len(columns),
                {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#63BE7B"},
            )
        row += 2
        safe.write(row, 0, "Ressources", self.title)
        row += 1
        list_top = row
        columns = ["Nom", "Type", "Public", "Territoires", "Commune", "Capacité", "Statut"]
        if self.with_contacts:
            columns += ["Téléphone", "Courriel", "Contact"]
        safe.write_row(row, columns, [self.header] * len(columns))
        for resource in self.data.resources:
            row += 1
            values: list[Any] = [
                resource.name,
                resource.kind,
                ", ".join(resource.audiences) or None,
                ", ".join(resource.territories) or None,
                resource.commune,
                resource.capacity,
                ResourceStatus(resource.status).label,
            ]
            if self.with_contacts:
                values += [resource.phone, resource.email, resource.contact_name]
            safe.write_row(row, values, [self.cell] * len(values))
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, len(headers), 16)
        self._page(sheet, "Aidants et répit", (list_top, list_top))
        self.truncated += safe.truncated

    # --- Offre de soins ---------------------------------------------------------------------

    def _care_offer(self) -> None:
        sheet = self.book.add_worksheet("Offre de soins")
        safe = self._safe(sheet)
        headers = ["Activité", "Tableau", "Zone", "Modalité", "Mention", "Existant", "Cible"]
        safe.write_row(0, headers, [self.header] * len(headers))
        row = 0
        for activity in self.data.care_offer:
            for table in activity.get("tableaux") or []:  # type: ignore[attr-defined]
                for line in table["lignes"]:
                    row += 1
                    safe.write_row(
                        row,
                        [
                            activity["activite"],
                            table["titre"],
                            line["zone"],
                            line["modalite"],
                            line["mention"],
                            line["existant"],
                            line["cible"],
                        ],
                        [self.cell] * 7,
                    )
        for index, width in enumerate((26, 50, 8, 30, 22, 10, 10)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(row, 1), len(headers) - 1)
        self._page(sheet, "Offre de soins : cibles et existant", (0, 0))
        self.truncated += safe.truncated
