"""The numbered tables, figures and listings of the book in ICH E3 order (the TLF appendix),
and the RTF file of each table.

ICH E3 section 14 holds the tables and figures referred to but not included in the text: 14.1
demographic data, 14.2 efficacy data, 14.3 safety data; section 16.2 the patient data listings,
whose numbers are the guideline's own (16.2.1 discontinued patients, 16.2.6 individual efficacy
response data, 16.2.7 adverse event listings). :data:`OUTPUTS` lists every output with the page
and glue name it comes from; tables and figures are numbered in that order within their section
(Table 14.2.1, Figure 14.2.1, ...). :func:`rtf_files` is called by
:func:`ldil2.book.common.glue_result`: every listed table a chapter glues is also glued as an RTF
file under a reserved name (:data:`ldil2.results.format.FILE_GLUE_PREFIX`), which the build
copies to the site (``tlf/``) and zips per edition.

References
----------
ICH E3, Structure and content of clinical study reports (1995), sections 14 and 16.2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ldil2.present.rtf import table_rtf
from ldil2.results.format import FILE_GLUE_PREFIX, TLF_DIR

SECTIONS: dict[str, str] = {
    "14.1": "Demographic data",
    "14.2": "Efficacy data",
    "14.3": "Safety data",
    "16.2": "Patient data listings",
}
"""The ICH E3 sections of the appendix, in order."""

KINDS = ("Table", "Figure", "Listing")


@dataclass(frozen=True)
class Output:
    """One numbered output.

    Attributes
    ----------
    section : one of SECTIONS
    kind : Table, Figure or Listing
    document : the page it is on (toc name, e.g. ``chapters/primary``)
    name : its glue name on that page
    title : what it shows, in a few words (the full caption is on the page and in the RTF)
    anchor : the figure's target name on the page (figures only)
    number : the listing's ICH E3 number (listings only; tables and figures are numbered by
        order, :func:`numbered`)
    """

    section: str
    kind: str
    document: str
    name: str
    title: str
    anchor: str = ""
    number: str = ""


def _tables(section: str, page: str, entries: list[tuple[str, str]]) -> list[Output]:
    return [Output(section, "Table", f"chapters/{page}", name, title) for name, title in entries]


def _figures(section: str, page: str, entries: list[tuple[str, str, str]]) -> list[Output]:
    return [
        Output(section, "Figure", f"chapters/{page}", name, title, anchor)
        for name, title, anchor in entries
    ]


OUTPUTS: tuple[Output, ...] = (
    *_tables("14.1", "participants", [
        ("baseline_table", "Demographic and baseline characteristics"),
        ("withdrawal_table", "Withdrawals by reason"),
        ("exposure_table", "Study-drug exposure"),
    ]),
    *_figures("14.1", "participants", [("consort_fig", "Participant flow", "fig-consort")]),
    *_tables("14.2", "primary", [
        ("acr20_table", "ACR20 response by visit"),
        ("acr20_gee_table", "ACR20 across visits, logistic GEE"),
        ("das28_table", "DAS28-ESR remission at week 24"),
        ("cdai_table", "Change in CDAI by visit"),
        ("sdai_table", "Change in SDAI by visit"),
    ]),
    *_tables("14.2", "secondary", [
        ("acr50_70_table", "ACR50 and ACR70 response"),
        ("das28_crp_table", "Change in DAS28-CRP by visit"),
        ("remission_lda_table", "Remission and low disease activity"),
        ("eular_table", "EULAR response"),
        ("boolean_table", "ACR/EULAR Boolean remission"),
        ("haq_table", "Change in HAQ-DI by visit"),
        ("forest_table", "Binary endpoints at week 24"),
    ]),
    *_tables("14.2", "estimands", [
        ("estimand_results_table", "Estimands and sensitivity analyses"),
    ]),
    *_tables("14.2", "individual", [
        ("tte_table", "Time to first ACR20 response"),
        ("subgroup_acr20_table", "ACR20 at week 24 by subgroup"),
        ("subgroup_cdai_table", "Change in CDAI at week 24 by subgroup"),
    ]),
    *_tables("14.2", "biomarkers", [
        ("bio_change_table", "Change in immunological markers"),
        ("bio_association_table", "Baseline markers and response"),
    ]),
    *_figures("14.2", "primary", [
        ("acr20_by_visit_fig", "ACR20 response by visit", "fig-acr20-by-visit"),
        ("cdai_sdai_change_fig", "Mean change in CDAI and SDAI", "fig-cdai-sdai-change"),
        ("individual_change_fig", "Individual change in CDAI and SDAI", "fig-individual-change"),
    ]),
    *_figures("14.2", "secondary", [
        ("acr50_fig", "ACR50 response by visit", "fig-acr50"),
        ("acr70_fig", "ACR70 response by visit", "fig-acr70"),
        ("das28_crp_fig", "Mean change in DAS28-CRP", "fig-das28-crp"),
        ("eular_fig", "EULAR response categories", "fig-eular"),
        ("components_fig", "ACR core-set components", "fig-components"),
        ("forest_fig", "Binary endpoints at week 24", "fig-forest"),
    ]),
    *_figures("14.2", "estimands", [
        ("cdai_tipping_fig", "Tipping-point analysis of CDAI", "fig-cdai-tipping-point"),
    ]),
    *_figures("14.2", "individual", [
        ("tte_fig", "Time to first ACR20 response", "fig-time-to-acr20"),
        ("trajectories_fig", "Individual DAS28-ESR and CDAI", "fig-trajectories"),
        ("waterfall_fig", "Change in CDAI at week 24 per participant", "fig-waterfall-cdai"),
        ("subgroup_fig", "Effects by subgroup", "fig-subgroups"),
    ]),
    *_figures("14.2", "biomarkers", [
        ("bio_treg_fig", "Treg cells by visit", "fig-bio-treg"),
        ("bio_ratio_fig", "Th17 cells by visit", "fig-bio-th17"),
        ("bio_roc_fig", "Baseline markers: ROC curves", "fig-bio-roc"),
    ]),
    *_tables("14.3", "safety", [
        ("safety_exposure_table", "Exposure by dosing cycle"),
        ("safety_overview_table", "Adverse events: overview"),
        ("safety_terms_table", "Adverse events by organ class and term"),
        ("safety_shift_table", "Laboratory shifts"),
    ]),
    *_figures("14.3", "safety", [
        ("safety_onset_fig", "Adverse-event onset and dosing", "fig-safety-onset"),
        ("safety_labs_fig", "Safety laboratory values", "fig-safety-labs"),
    ]),
    Output("16.2", "Listing", "chapters/listings", "listing_discontinued",
           "Participants who discontinued", number="16.2.1"),
    Output("16.2", "Listing", "chapters/listings", "listing_efficacy",
           "Individual efficacy responses", number="16.2.6"),
    Output("16.2", "Listing", "chapters/listings", "listing_adverse_events",
           "Adverse events by participant", number="16.2.7"),
)  # fmt: skip
"""Every numbered output, in ICH E3 order (tables before figures within a section)."""


def numbered() -> list[tuple[str, Output]]:
    """Every output with its number ("Table 14.2.3", "Figure 14.1.1", "Listing 16.2.6"), in
    :data:`OUTPUTS` order: tables and figures counted from 1 within their section and kind."""
    counts: dict[tuple[str, str], int] = {}
    out = []
    for output in OUTPUTS:
        if output.number:
            out.append((f"{output.kind} {output.number}", output))
            continue
        key = (output.section, output.kind)
        counts[key] = counts.get(key, 0) + 1
        out.append((f"{output.kind} {output.section}.{counts[key]}", output))
    return out


def rtf_path(number: str) -> str:
    """The RTF file of a numbered table on the site: ``tlf/table-14.2.3.rtf``."""
    return f"{TLF_DIR}/{number.lower().replace(' ', '-')}.rtf"


_NUMBERS = {output.name: number for number, output in numbered() if output.kind != "Figure"}


def rtf_files(tables: Mapping[str, Any]) -> dict[str, str]:
    """The glue name and RTF text of every table in `tables` that the appendix numbers:
    ``{FILE_GLUE_PREFIX + rtf_path(number): rtf}``; tables it does not number give nothing."""
    return {
        f"{FILE_GLUE_PREFIX}{rtf_path(_NUMBERS[name])}": table_rtf(table, _NUMBERS[name])
        for name, table in tables.items()
        if name in _NUMBERS
    }
