"""Trial statistics: numbers only (their text is :mod:`ldil2.present.format`'s, from ARD rows).

Modules: :mod:`~ldil2.stats.proportions` (one visit: Wilson, Newcombe, Woolf, Fisher),
:mod:`~ldil2.stats.longitudinal` (GEE and mixed models across visits),
:mod:`~ldil2.stats.means` (means by visit, ANCOVA), :mod:`~ldil2.stats.fits` (each model fitted
once per chapter run and once per build).
"""
