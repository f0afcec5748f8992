"""The data-contract appendix: every file and column rule of a release, generated from the
schemas that validate it (:func:`ldil2.data.schemas.contract_table`)."""

from __future__ import annotations

from typing import Any

from ldil2.book.common import Result, footnote
from ldil2.data.schemas import contract_table, metadata_table
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard

CHAPTER = "data_contract"


def data_contract(ch: Any) -> Result:
    """Tables ``contract_table`` (:func:`ldil2.data.schemas.contract_table`) and
    ``metadata_table`` (:func:`ldil2.data.schemas.metadata_table`) and the numbers of
    files and of column rules (glue values ``contract_n_files``, ``contract_n_columns``; ARD
    rows of analysis ``edition``)."""
    frame = contract_table()
    ard = Ard(CHAPTER, ch.population)
    files = ard.record(
        "contract_files", "Files of the data contract", "edition",
        {"count": frame["file"].nunique()}, unit="files",
    )  # fmt: skip
    columns = ard.record(
        "contract_columns", "Column rules of the data contract", "edition",
        {"count": len(frame)}, unit="columns",
    )  # fmt: skip
    note = footnote(
        ch, "Generated from the pandera schemas in ldil2.data that validate every release."
    )
    table = HtmlTable.from_frame(
        frame.rename(columns=str.capitalize), "The data contract: files and columns", note
    )
    return Result(
        values={
            "contract_n_files": int(ard.get(files, "count")),
            "contract_n_columns": int(ard.get(columns, "count")),
        },
        tables={
            "contract_table": table,
            "metadata_table": HtmlTable.from_frame(
                metadata_table().rename(columns=str.capitalize),
                "The data contract: keys of metadata.yml",
                footnote(ch, "Generated from the rules that validate metadata.yml."),
            ),
        },
        ard=ard,
    )
