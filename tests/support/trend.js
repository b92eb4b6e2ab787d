'use strict';
// Memory trend of a soak run (tests/bench/soak.js, tests/bench/browser-soak.js).

/** Least-squares slope of the points [x, y] (0 for fewer than two distinct x). */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : 0;
}

module.exports = { slope };
