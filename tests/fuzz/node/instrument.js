'use strict';
// Coverage for the JavaScript fuzz targets (tests/fuzz/node/run.js): rewrites a module's source so
// that each function body, each arm of an if / ?: / && || ??, each loop body, switch case and catch
// block increments its own 8-bit counter in `globalThis.__imprintFuzzCounters` (a Uint8Array over
// the counters libFuzzer watches, tests/fuzz/node/libfuzzer_node.c). An if without else gets a
// counter on its empty else, so both outcomes of every condition are distinct features. The
// rewrite inserts text only, on the same lines, so stack traces keep their line numbers.
//
//   const { instrument } = require('./instrument.js');
//   const { code, count } = instrument(source, firstCounter);
const acorn = require('acorn');

const GLOBAL = '__imprintFuzzCounters';
const LOCAL = '__cov$';

function instrument(source, first = 0) {
  const ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
  let next = first;
  const hit = () => `${LOCAL}[${next++}]++`;
  const asBlock = (text) => (text.startsWith('{') ? `{${hit()};${text.slice(1)}` : `{${hit()};${text}}`);
  const asExpression = (text) => `(${hit()}, ${text})`;

  // The node's source with its children rewritten; `role(parent, key, child, text)` wraps a child.
  function rewrite(node) {
    const children = [];
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        value.forEach((child, i) => child && typeof child.type === 'string' && children.push({ key, i, child }));
      } else if (value && typeof value.type === 'string' && key !== 'loc') children.push({ key, child: value });
    }
    // Shorthand properties share a range between key and value: keep the outermost child only.
    children.sort((a, b) => a.child.start - b.child.start || b.child.end - a.child.end);
    let out = '';
    let at = node.start;
    for (const { key, i, child } of children) {
      if (child.start < at) continue;
      out += source.slice(at, child.start) + role(node, key, i, child, rewrite(child));
      at = child.end;
    }
    out += source.slice(at, node.end);
    if (node.type === 'IfStatement' && !node.alternate) out += ` else {${hit()};}`;
    return out;
  }

  function role(parent, key, i, child, text) {
    switch (parent.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (key !== 'body') return text;
        return child.type === 'BlockStatement' ? asBlock(text) : asExpression(text);
      case 'IfStatement':
        return key === 'consequent' || key === 'alternate' ? asBlock(text) : text;
      case 'ConditionalExpression':
        return key === 'consequent' || key === 'alternate' ? asExpression(text) : text;
      case 'LogicalExpression':
        return key === 'right' ? asExpression(text) : text;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
        return key === 'body' ? asBlock(text) : text;
      case 'SwitchCase':
        return key === 'consequent' && i === 0 ? `${hit()};${text}` : text;
      case 'CatchClause':
        return key === 'body' ? asBlock(text) : text;
      default:
        return text;
    }
  }

  let code = rewrite(ast);
  // The counters' local name goes after the directive prologue ('use strict' must stay first).
  let prologueEnd = 0;
  for (const statement of ast.body) {
    if (statement.type !== 'ExpressionStatement' || typeof statement.directive !== 'string') break;
    prologueEnd = statement.end;
  }
  // Offsets before prologueEnd are unchanged by the rewrite (directives hold no counters).
  code = `${code.slice(0, prologueEnd)}const ${LOCAL} = globalThis.${GLOBAL};${code.slice(prologueEnd)}`;
  return { code, count: next - first };
}

module.exports = { instrument, GLOBAL };
