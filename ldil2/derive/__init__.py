"""Derivations: composite indices, response criteria, the analysis table and populations.

Modules: :mod:`~ldil2.derive.indices` (DAS28, CDAI, SDAI, Boolean remission),
:mod:`~ldil2.derive.response` (ACR and EULAR responses), :mod:`~ldil2.derive.analysis` (the
per-visit analysis table chain), :mod:`~ldil2.derive.populations` (population filter, counts per
arm, scheduled visits, non-responder imputation).
"""
