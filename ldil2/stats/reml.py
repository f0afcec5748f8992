"""Restricted maximum likelihood (REML) for the random-intercept model of
:func:`ldil2.stats.longitudinal.mixed_change`: the fit, and the pieces of lmerTest's
Satterthwaite degrees of freedom.

:func:`fit_reml` fits statsmodels' MixedLM by REML from moment starting values
(:func:`reml_start`) to a tighter gradient tolerance than statsmodels' default
(:data:`REML_GTOL`). :func:`reml_variance` and :func:`satterthwaite_df` give the t tests of
contrasts of the fixed effects on Satterthwaite degrees of freedom, as R's lmerTest computes
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import statsmodels.api as sm
from statsmodels.regression.mixed_linear_model import MixedLMParams

REML_GTOL = 1e-7
"""Gradient tolerance of the REML fit (BFGS). statsmodels' default, 1e-5, stops where the REML
surface is still sloping: on the per-protocol CDAI model its Satterthwaite df differ from
lmerTest's by 5e-5 (relative), at 1e-7 by 3e-6 (tests/test_stats_longitudinal.py)."""


def reml_start(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> MixedLMParams | None:
    """Starting values of the REML fit: the OLS fixed effects and, as the variance ratio
    s2_u / s2, the one-way ANOVA (moment) estimator on the OLS residuals, at least 1e-3.

    With residuals r, k participants with n_i rows each, N rows: s2 = SSW / (N - k),
    s2_u = (SSB / (k - 1) - s2) / n0, n0 = (N - sum n_i^2 / N) / (k - 1), where SSW and SSB are
    the within- and between-participant sums of squares. None when every participant has one
    row (no within-participant variance): statsmodels' own start is used.

    From there BFGS needs about half the iterations of statsmodels' default start on the
    100-fold release (2.3 s against 4.2 s a fit), and it ends at the same optimum.

    References
    ----------
    Searle, Casella & McCulloch, Variance Components (Wiley 1992), section 3.5.
    """
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    r = y - x @ beta
    _, inverse, n = np.unique(groups, return_inverse=True, return_counts=True)
    k, total = len(n), len(r)
    if total == k or k < 2:
        return None
    means = np.bincount(inverse, r) / n
    within = float(((r - means[inverse]) ** 2).sum() / (total - k))
    if within <= 0:
        return None
    n0 = (total - float((n**2).sum()) / total) / (k - 1)
    between = (float((n * (means - r.mean()) ** 2).sum()) / (k - 1) - within) / n0
    ratio = max(between / within, 1e-3)
    return MixedLMParams.from_components(fe_params=beta, cov_re=np.array([[ratio]]))


def fit_reml(y: Any, x: Any, groups: Any) -> Any:
    """statsmodels MixedLM (random intercept per group) fitted by REML from :func:`reml_start`
    to :data:`REML_GTOL`; its results object."""
    start = reml_start(np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(groups))
    model = sm.MixedLM(y, x, groups=groups)
    return model.fit(reml=True, start_params=start, gtol=REML_GTOL)


def _blocks_by_size(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The rows of each participant, stacked by block size: (n, X blocks of shape
    (participants, n, p), y blocks of shape (participants, n)) for each number of rows n."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = []
    for n in np.unique(counts):
        first = starts[counts == n]
        rows = order[first[:, None] + np.arange(n)]  # (participants, n)
        out.append((int(n), x[rows], y[rows]))
    return out


@dataclass(frozen=True)
class RemlVariance:
    """The pieces of the Satterthwaite approximation for a random-intercept model at the REML
    estimate of theta = (s2_u, s2): the covariance of the fixed effects and how it moves.

    Attributes
    ----------
    phi : Phi(theta) = (X' V^-1 X)^-1, the covariance of the fixed effects
    dphi : dPhi/dtheta_k for k = s2_u, s2
    theta_cov : A, the asymptotic covariance of (s2_u, s2): the inverse of the observed REML
        information (minus the Hessian of the REML log-likelihood)
    """

    phi: np.ndarray
    dphi: tuple[np.ndarray, np.ndarray]
    theta_cov: np.ndarray


def reml_variance(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, s2_u: float, s2: float
) -> RemlVariance:
    """Phi(theta), its derivatives and the REML covariance A of theta for the model
    y = X b + u_group + e, V = s2_u Z Z' + s2 I, computed participant by participant.

    Notes
    -----
    With V_k = dV/dtheta_k (Z Z' and I), W = V^-1 and P = W - W X Phi X' W:
    dPhi/dtheta_k = Phi G_k Phi, G_k = X' W V_k W X; the REML log-likelihood
    l = -1/2 (log|V| + log|X' W X| + y' P y) has the Hessian
    d2l/dtheta_k dtheta_l = 1/2 tr(P V_k P V_l) - y' P V_k P V_l P y, with
    tr(P V_k P V_l) = tr(W V_k W V_l) - 2 tr(Phi X' W V_k W V_l W X) + tr(Phi G_k Phi G_l) and
    P y = W (y - X b_GLS); A = (-Hessian)^-1. V and W are block diagonal (one block per
    participant), so nothing of size N x N is formed; a block of n rows has the closed-form
    inverse W = (I - c J) / s2, c = s2_u / (s2 + n s2_u), and the participants with the same
    number of rows are computed together (:func:`_blocks_by_size`).

    Raises
    ------
    ValueError : the REML information is not positive definite (a variance at its boundary 0)

    References
    ----------
    Harville, J Am Stat Assoc 1977;72:320-338; Kuznetsova et al., J Stat Softw 2017;82(13).
    """
    p = x.shape[1]
    info, xwy = np.zeros((p, p)), np.zeros(p)
    g, g2, trace = np.zeros((2, p, p)), np.zeros((2, 2, p, p)), np.zeros((2, 2))
    blocks = _blocks_by_size(x, y, groups)
    for n, xb, yb in blocks:  # xb: (participants, n, p), yb: (participants, n)
        c = s2_u / (s2 + n * s2_u)  # W = (I - c J) / s2 for a block of n rows
        ones_w = (1 - c * n) / s2  # W 1 = ones_w 1
        wx = (xb - c * xb.sum(axis=1, keepdims=True)) / s2
        t = wx.sum(axis=1)  # 1' W X, per participant
        info += np.einsum("bnp,bnq->pq", xb, wx)
        xwy += np.einsum("bnp,bn->p", wx, yb)
        g[0] += t.T @ t  # X' W J W X
        g[1] += np.einsum("bnp,bnq->pq", wx, wx)  # X' W W X
        jwx = np.broadcast_to(ones_w * t[:, None, :], wx.shape)  # W J W X: each row ones_w t
        w_vm_wx = (jwx, (wx - c * t[:, None, :]) / s2)  # W J W X, W W X
        for m in (0, 1):
            g2[0, m] += t.T @ w_vm_wx[m].sum(axis=1)
            g2[1, m] += np.einsum("bnp,bnq->pq", wx, w_vm_wx[m])
        cross = n * ones_w**2  # tr(W J W I)
        squares = (n - 2 * c * n + c**2 * n**2) / s2**2  # tr(W I W I)
        trace += len(xb) * np.array([[(n * ones_w) ** 2, cross], [cross, squares]])
    phi = np.linalg.inv(info)
    beta = phi @ xwy
    quad, xwa = np.zeros((2, 2)), np.zeros((2, p))
    for n, xb, yb in blocks:
        c = s2_u / (s2 + n * s2_u)
        ones_w = (1 - c * n) / s2
        e = yb - xb @ beta
        r = (e - c * e.sum(axis=1, keepdims=True)) / s2  # the blocks of P y
        rs = r.sum(axis=1, keepdims=True)
        a = (np.broadcast_to(rs, r.shape), r)  # J r, I r
        wa = (ones_w * np.broadcast_to(rs, r.shape), (r - c * rs) / s2)  # W J r, W r
        for k in (0, 1):
            xwa[k] += np.einsum("bnp,bn->p", xb, wa[k])
            for m in (0, 1):
                quad[k, m] += float((a[k] * wa[m]).sum())
    hessian = np.array(
        [[0.5 * (trace[k, m] - 2 * np.trace(phi @ g2[k, m]) + np.trace(phi @ g[k] @ phi @ g[m]))
          - (quad[k, m] - xwa[k] @ phi @ xwa[m]) for m in (0, 1)] for k in (0, 1)]
    )  # fmt: skip
    information = -hessian
    if np.any(np.linalg.eigvalsh(information) <= 0):
        raise ValueError(
            f"mixed model: REML information {information.tolist()} violates 'positive definite'"
            " (a variance component at 0); Satterthwaite degrees of freedom undefined"
        )
    return RemlVariance(phi, (phi @ g[0] @ phi, phi @ g[1] @ phi), np.linalg.inv(information))


def satterthwaite_df(vector: np.ndarray, parts: RemlVariance) -> float:
    """Satterthwaite degrees of freedom of the contrast c'b, as R's lmerTest computes them.

    Notes
    -----
    df = 2 (c' Phi c)^2 / (g' A g), g_k = c' (dPhi/dtheta_k) c, A the REML covariance of the
    variance parameters (:func:`reml_variance`). lmerTest differentiates over another
    parameterisation (relative standard deviations); at the REML optimum the result is the same.

    References
    ----------
    Satterthwaite, Biometrics Bull 1946;2:110-114; Kuznetsova et al., J Stat Softw 2017;82(13).
    """
    variance = float(vector @ parts.phi @ vector)
    gradient = np.array([vector @ d @ vector for d in parts.dphi])
    return float(2 * variance**2 / (gradient @ parts.theta_cov @ gradient))
