"""Restricted maximum likelihood (REML) for the random-intercept model of
:func:`ldil2.stats.longitudinal.mixed_change`: the fit, and the pieces of lmerTest's
Satterthwaite degrees of freedom.

:func:`fit_reml` fits statsmodels' MixedLM by REML, started at the optimum of the profiled
REML likelihood (:func:`reml_start`: the root of its slope, which has a closed form for this
model), to a tighter gradient tolerance than statsmodels' default (:data:`REML_GTOL`).
:func:`reml_variance` and :func:`satterthwaite_df` give the t tests of contrasts of the fixed
effects on Satterthwaite degrees of freedom, as R's lmerTest computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import statsmodels.api as sm
from scipy import optimize
from statsmodels.regression.mixed_linear_model import MixedLMParams

REML_GTOL = 1e-7
"""Gradient tolerance of the REML fit (BFGS). statsmodels' default, 1e-5, stops where the REML
surface is still sloping: on the per-protocol CDAI model, iterated from statsmodels' own start,
its Satterthwaite df differ from lmerTest's by 5e-5 (relative), at 1e-7 by 3e-6. Started at the
optimum (:func:`reml_start`) the fit stops there, and the df agree to 3e-7
(tests/test_stats_longitudinal.py)."""


@dataclass(frozen=True)
class _Sums:
    """What the profiled REML log-likelihood of the random-intercept model needs of the data:
    per participant i the rows n_i, the column sums t_i = X_i' 1 and s_i = 1' y_i; and X'X, X'y,
    y'y, N and p."""

    n: np.ndarray
    t: np.ndarray
    s: np.ndarray
    xtx: np.ndarray
    xty: np.ndarray
    yty: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> _Sums:
        _, inverse, n = np.unique(groups, return_inverse=True, return_counts=True)
        t = np.zeros((len(n), x.shape[1]))
        np.add.at(t, inverse, x)
        return cls(n, t, np.bincount(inverse, y), x.T @ x, x.T @ y, float(y @ y))


def reml_slope(ratio: float, sums: _Sums) -> float:
    """d l_R / d gamma: the slope, in the variance ratio gamma = s2_u / s2, of the REML
    log-likelihood of the random-intercept model with s2 profiled out,
    l_R(gamma) = -1/2 [(N - p) log r(gamma) + sum_i log(1 + n_i gamma) + log |A(gamma)|].

    Each participant's block is s2 H_i, H_i = I + gamma J, with H_i^-1 = I - c_i J,
    c_i = gamma / (1 + n_i gamma), so A = X'H^-1 X = X'X - sum_i c_i t_i t_i',
    X'H^-1 y = X'y - sum_i c_i s_i t_i, y'H^-1 y = y'y - sum_i c_i s_i^2 and
    r = y'H^-1 y - (X'H^-1 y)' b, b = A^-1 X'H^-1 y (the GLS fixed effects); dc_i / d gamma =
    1 / (1 + n_i gamma)^2. Nothing of size N is formed.

    References
    ----------
    Harville, J Am Stat Assoc 1977;72:320-338 (REML); Searle, Casella & McCulloch, Variance
    Components (Wiley 1992), section 6.6.
    """
    n, t, s = sums.n, sums.t, sums.s
    c, dc = ratio / (1 + n * ratio), 1 / (1 + n * ratio) ** 2
    a, da = sums.xtx - (t * c[:, None]).T @ t, -(t * dc[:, None]).T @ t
    xhy, dxhy = sums.xty - t.T @ (c * s), -t.T @ (dc * s)
    b = np.linalg.solve(a, xhy)
    r = sums.yty - float((c * s * s).sum()) - float(xhy @ b)
    dr = -float((dc * s * s).sum()) - 2 * float(b @ dxhy) + float(b @ da @ b)
    rows, p = float(n.sum()), len(b)
    trace = float(np.trace(np.linalg.solve(a, da)))
    return -0.5 * ((rows - p) * dr / r + float((n / (1 + n * ratio)).sum()) + trace)


RATIO_BOUNDS = (1e-8, 1e8)
"""The variance ratios s2_u / s2 searched by :func:`reml_start`; an optimum outside (a variance
at or near 0) is left to statsmodels' own start."""


def reml_start(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> MixedLMParams | None:
    """Starting values of the REML fit at the REML optimum itself: the variance ratio
    gamma = s2_u / s2 where the slope of the profiled REML log-likelihood (:func:`reml_slope`)
    is 0 (Brent's root finder on log gamma, to machine precision), and the GLS fixed effects at
    that ratio.

    statsmodels' BFGS, started there, finds its gradient below :data:`REML_GTOL` and stops:
    on the 100-fold release one evaluation of statsmodels' likelihood and score (a Python loop
    over the participants) replaces the five or six of an iterated fit, and the optimum is
    reached to machine precision rather than to the gradient tolerance.

    None when every participant has one row, or the slope does not change sign within
    :data:`RATIO_BOUNDS` (an optimum at a variance of 0): statsmodels' own start is used.
    """
    sums = _Sums.of(x, y, groups)
    if len(sums.n) == len(y) or len(sums.n) < 2:
        return None
    low, high = (math.log(bound) for bound in RATIO_BOUNDS)

    def slope(u: float) -> float:  # in log gamma: the same sign
        return reml_slope(math.exp(u), sums)

    if not slope(low) > 0 > slope(high):
        return None
    ratio = math.exp(optimize.brentq(slope, low, high, xtol=1e-13, rtol=4 * np.finfo(float).eps))
    c = ratio / (1 + sums.n * ratio)
    a = sums.xtx - (sums.t * c[:, None]).T @ sums.t
    beta = np.linalg.solve(a, sums.xty - sums.t.T @ (c * sums.s))
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
