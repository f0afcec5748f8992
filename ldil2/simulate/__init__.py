"""Simulate a data release of NCT02467504 from a scenario file and a seed.

The individual patient data of the trial are not public. This package draws a release that obeys
the data contract and is consistent with the published record. It simulates raw components only
(joint counts, globals, pain, HAQ-DI, ESR, CRP, laboratory values, cells, cytokines, adverse
events, exposure); every index, response and p-value of the book is computed from them by the ldil2
derivations. Every unpublished assumption is a named entry of the scenario's ``assumptions`` with a
value and a one-line ``why`` (:func:`~ldil2.simulate.scenario.assumptions_table`).

Model (all parameters are scenario entries):

- Each participant has a latent fractional improvement ``f(t) = (1 - exp(-t / tau)) * (p + a *
  d * (1 + g * m)) + u + e(t)``: ``p`` placebo plateau, ``d`` extra plateau on Ld-IL2 (``a`` = 1 on
  Ld-IL2), ``m`` the standardized effect modifier (low baseline Treg %, high baseline IL-21),
  ``u`` a participant intercept, ``e`` AR(1) visit noise. Each core-set component improves by
  ``f(t)`` plus its own noise: ``visit = baseline * (1 - improvement)``, rounded to its grid.
- Published ACR20 counts (per-protocol, weeks 12 and 24) are targets: at those visits the
  completers of each arm are ranked by ``f(t)``; the top ``k`` get components that meet the ACR20
  definition with a margin (tender and swollen counts and three other measures improved by at
  least 30%, rounded towards improvement), the others a tender or swollen count improved by at
  most 10% (rounded against). The responses themselves are computed later by the library.
- Treg % rises at the end of each Ld-IL2 dosing cycle and falls back during the break.

Output is written with fixed decimals per column, so a run with the same scenario and seed is
byte-for-byte identical.

Modules: :mod:`~ldil2.simulate.scenario` (reading a scenario, its assumptions table, the
targets), :mod:`~ldil2.simulate.clinical` (participants, baseline, latent improvement, clinical
assessments), :mod:`~ldil2.simulate.markers` (immunology and laboratory values),
:mod:`~ldil2.simulate.treatment` (exposure and adverse events), :mod:`~ldil2.simulate.release`
(the release: :func:`~ldil2.simulate.release.simulate`, writing it and ``python -m ldil2
simulate``).
"""
