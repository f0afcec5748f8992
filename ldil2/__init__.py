"""ldil2: the analysis library of the Ld-IL2 living publication (trial NCT02467504).

All logic of the book lives here: loading and validating the data release, derivations,
statistics, tables, figures and the build. Chapters hold prose, a few calls and glue.
"""

__version__ = "0.1.0"
