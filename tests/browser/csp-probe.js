// Proves that the test server's Content-Security-Policy is enforced in this browser, so that the
// library pages' "no violations" means the library runs under it, not that nothing was checked.
const blockedAsEval = (attempt) => {
  try {
    attempt();
    return false;
  } catch (error) {
    return error instanceof EvalError;
  }
};
window.cspProbe = (async () => ({
  evalBlocked: blockedAsEval(() => (0, eval)('1')),
  newFunctionBlocked: blockedAsEval(() => new Function('return 1')),
  inlineScriptRan: window.inlineScriptRan === true,
  // 'wasm-unsafe-eval' allows WebAssembly (the smallest valid module: magic number and version).
  wasmCompiles: await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
    () => true,
    () => false,
  ),
}))();
