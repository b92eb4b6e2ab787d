'use strict';
// Plain-JS reference math for the few-shot head study (tests/bench/head-study.js): feature transforms,
// class-balanced L2-regularised softmax regression solved with L-BFGS, nearest class mean, temperature
// fitting and calibration error. Bench-only: the shipped head is C (src/), this only decides its recipe.

// ---------------------------------------------------------------------------------------------
// Feature transforms

function l2normalize(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

/**
 * Raw GAP features → embedding: optional element-wise signed sqrt (power transform, as src/head.c's
 * head_prepare: a layer without ReLU keeps its negative values' sign), then L2.
 */
function embedFromRaw(raw, { power = false } = {}) {
  if (!power) return l2normalize(raw);
  const p = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) p[i] = raw[i] >= 0 ? Math.sqrt(raw[i]) : -Math.sqrt(-raw[i]);
  return l2normalize(p);
}

function meanOf(vectors) {
  const D = vectors[0].length;
  const m = new Float64Array(D);
  for (const v of vectors) for (let d = 0; d < D; d++) m[d] += v[d];
  for (let d = 0; d < D; d++) m[d] /= vectors.length;
  return m;
}

/** x - mean, L2-normalised again. */
function centered(v, mean) {
  const out = new Float64Array(v.length);
  for (let d = 0; d < v.length; d++) out[d] = v[d] - mean[d];
  return l2normalize(out);
}

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Softmax regression

function softmaxInPlace(row) {
  let max = -Infinity;
  for (let c = 0; c < row.length; c++) if (row[c] > max) max = row[c];
  let z = 0;
  for (let c = 0; c < row.length; c++) z += row[c] = Math.exp(row[c] - max);
  for (let c = 0; c < row.length; c++) row[c] /= z;
  return row;
}

/**
 * Multinomial logistic regression. Objective: sum_i w_i CE_i / sum_i w_i + lambda/2 ||W||^2 (bias not
 * penalised), w_i = 1 / (examples of class y_i) when balanced, else 1. Solved by L-BFGS (memory 10,
 * backtracking Armijo line search) from zero, until the gradient's max-norm is below tolerance.
 * X: Float64Array[] (n × D), y: class indices. Returns { W (C×D flat), b, iterations, loss }.
 */
function trainSoftmax(
  X,
  y,
  C,
  { lambda = 1e-3, balanced = true, tolerance = 1e-5, maxIterations = 500, init = null } = {},
) {
  const n = X.length;
  const D = X[0].length;
  const P = D * C + C; // parameters: W row-major (C × D), then b
  const counts = new Float64Array(C);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  const w = Float64Array.from(y, (c) => (balanced ? 1 / counts[c] : 1));
  const wsum = w.reduce((s, v) => s + v, 0);
  const logits = new Float64Array(C);

  function evaluate(theta, grad) {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const x = X[i];
      for (let c = 0; c < C; c++) {
        let s = theta[D * C + c];
        const o = c * D;
        for (let d = 0; d < D; d++) s += theta[o + d] * x[d];
        logits[c] = s;
      }
      const zc = logits[y[i]];
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (logits[c] > max) max = logits[c];
      let z = 0;
      for (let c = 0; c < C; c++) z += logits[c] = Math.exp(logits[c] - max);
      loss += (w[i] / wsum) * (Math.log(z) + max - zc);
      for (let c = 0; c < C; c++) {
        const g = (w[i] / wsum) * (logits[c] / z - (c === y[i] ? 1 : 0));
        if (g === 0) continue;
        const o = c * D;
        for (let d = 0; d < D; d++) grad[o + d] += g * x[d];
        grad[D * C + c] += g;
      }
    }
    let reg = 0;
    for (let j = 0; j < D * C; j++) {
      reg += theta[j] * theta[j];
      grad[j] += lambda * theta[j];
    }
    return loss + 0.5 * lambda * reg;
  }

  const theta = init ? Float64Array.from(init) : new Float64Array(P);
  let grad = new Float64Array(P);
  let f = evaluate(theta, grad);
  const m = 10;
  const S = [];
  const Y = [];
  const rho = [];
  const alpha = new Float64Array(m);
  const direction = new Float64Array(P);
  const trial = new Float64Array(P);
  let trialGrad = new Float64Array(P);
  let iterations = 0;
  const maxAbs = (g) => g.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  for (; iterations < maxIterations && maxAbs(grad) > tolerance; iterations++) {
    // Two-loop recursion: direction = -H grad.
    for (let j = 0; j < P; j++) direction[j] = -grad[j];
    for (let h = S.length - 1; h >= 0; h--) {
      alpha[h] = rho[h] * dot(S[h], direction);
      for (let j = 0; j < P; j++) direction[j] -= alpha[h] * Y[h][j];
    }
    const gamma = S.length
      ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1])
      : 1 / Math.max(1, maxAbs(grad) * 10);
    for (let j = 0; j < P; j++) direction[j] *= gamma;
    for (let h = 0; h < S.length; h++) {
      const beta = rho[h] * dot(Y[h], direction);
      for (let j = 0; j < P; j++) direction[j] += S[h][j] * (alpha[h] - beta);
    }
    let slope = dot(grad, direction);
    if (slope >= 0) {
      S.length = Y.length = rho.length = 0;
      for (let j = 0; j < P; j++) direction[j] = -grad[j];
      slope = dot(grad, direction);
    }
    let step = 1;
    let fTrial;
    for (let tries = 0; ; tries++) {
      for (let j = 0; j < P; j++) trial[j] = theta[j] + step * direction[j];
      fTrial = evaluate(trial, trialGrad);
      if (fTrial <= f + 1e-4 * step * slope || tries > 30) break;
      step *= 0.5;
    }
    const s = new Float64Array(P);
    const yy = new Float64Array(P);
    for (let j = 0; j < P; j++) {
      s[j] = trial[j] - theta[j];
      yy[j] = trialGrad[j] - grad[j];
    }
    const sy = dot(s, yy);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yy);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    theta.set(trial);
    [grad, trialGrad] = [trialGrad, grad];
    if (Math.abs(f - fTrial) < 1e-12 * Math.max(1, Math.abs(f))) {
      f = fTrial;
      break;
    }
    f = fTrial;
  }
  return { theta, W: theta.subarray(0, D * C), b: theta.subarray(D * C), D, C, iterations, loss: f };
}

/** Logits of x under a trained softmax model. */
function softmaxLogits(model, x) {
  const { W, b, D, C } = model;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = b[c];
    const o = c * D;
    for (let d = 0; d < D; d++) s += W[o + d] * x[d];
    out[c] = s;
  }
  return out;
}

/** Nearest class mean by cosine: logits = cos(x, normalised class mean) (times a scale for probabilities). */
function trainNearestMean(X, y, C) {
  const D = X[0].length;
  const means = Array.from({ length: C }, () => new Float64Array(D));
  X.forEach((x, i) => {
    for (let d = 0; d < D; d++) means[y[i]][d] += x[d];
  });
  const normalized = means.map(l2normalize);
  return { logits: (x) => Float64Array.from(normalized, (m) => dot(m, x)) };
}

function argmax(v) {
  let best = 0;
  for (let c = 1; c < v.length; c++) if (v[c] > v[best]) best = c;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Calibration

/** Temperature T minimising the mean negative log-likelihood of softmax(logits / T), by golden section on log T. */
function fitTemperature(logitRows, labels) {
  const nll = (T) => {
    let s = 0;
    logitRows.forEach((row, i) => {
      const p = softmaxInPlace(Float64Array.from(row, (v) => v / T));
      s -= Math.log(Math.max(p[labels[i]], 1e-12));
    });
    return s / logitRows.length;
  };
  let lo = Math.log(0.05);
  let hi = Math.log(100);
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = nll(Math.exp(a));
  let fb = nll(Math.exp(b));
  for (let it = 0; it < 60; it++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = nll(Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = nll(Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/**
 * Expected calibration error (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017):
 * confidences in `bins` equal-width bins, sum over bins of |accuracy - mean confidence| × bin share.
 */
function expectedCalibrationError(confidences, correct, bins = 15) {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  confidences.forEach((p, i) => {
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    conf[b] += p;
    acc[b] += correct[i] ? 1 : 0;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(acc[b] - conf[b]);
  return ece / confidences.length;
}

module.exports = {
  l2normalize,
  embedFromRaw,
  meanOf,
  centered,
  dot,
  softmaxInPlace,
  trainSoftmax,
  softmaxLogits,
  trainNearestMean,
  argmax,
  fitTemperature,
  expectedCalibrationError,
};
