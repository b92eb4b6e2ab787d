// imprint — ES module entry for Node: the same objects as the CommonJS entry (one instance of the
// library however it is loaded). Node reads the named exports from js/index.cjs's module.exports.
export * from './index.cjs';
export { default } from './index.cjs';
