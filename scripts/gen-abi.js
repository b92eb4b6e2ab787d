#!/usr/bin/env node
'use strict';
// Reads include/imprint.h, the one source of the C ABI, and writes what the other side of the
// wasm boundary needs, so that nothing in js/ or web/ repeats a struct offset or a status number:
//   --exports FILE   the JSON list of exported functions for emcc (every imprint_* function the
//                    header declares, plus malloc and free)
//   --js FILE        a CommonJS module: status names → values, IMPRINT_* constants, and the
//                    wasm32 layout (size, field offsets and types) of every struct the header defines
//   --check FILE     a C file of _Static_asserts that the compiler's layout is the one written to
//                    --js (compiled into the wasm core, so a parser mistake fails the build)
// Files are only rewritten when their content changes, so an unchanged header relinks nothing.
//
//   node scripts/gen-abi.js [--header include/imprint.h] --exports F --js F --check F

const fs = require('node:fs');
const path = require('node:path');

/** wasm32 sizes of the scalar types the header uses (alignment = size). */
const SCALARS = {
  uint8_t: { size: 1, type: 'u8' },
  int: { size: 4, type: 'i32' },
  int32_t: { size: 4, type: 'i32' },
  uint32_t: { size: 4, type: 'u32' },
  float: { size: 4, type: 'f32' },
  size_t: { size: 4, type: 'u32' },
  uint64_t: { size: 8, type: 'u64' },
};
const POINTER = { size: 4, type: 'ptr' };

function fail(message) {
  throw new Error(`gen-abi: include/imprint.h: ${message}`);
}

function withoutComments(text) {
  // Each comment becomes a space plus the line breaks it held, so #define lines stay lines.
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => ` ${c.replace(/[^\n]/g, '')}`).replace(/\/\/[^\n]*/g, ' ');
}

/** Value of a #define's integer or float literal expression: literals, + - * /, parentheses. */
function evaluate(expression, name) {
  const tokens = expression.match(/\d+(?:\.\d*)?(?:[eE][-+]?\d+)?[uUlLfF]*|[-+*/()]|\S/g) || [];
  let at = 0;
  const literal = (token) => {
    const match = /^(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)[uUlLfF]*$/.exec(token || '');
    if (!match) fail(`#define ${name} is not a number or a simple arithmetic expression: ${expression}`);
    return Number(match[1]);
  };
  const primary = () => {
    const token = tokens[at++];
    if (token === '(') {
      const value = sum();
      if (tokens[at++] !== ')') fail(`#define ${name}: unbalanced parentheses`);
      return value;
    }
    if (token === '-') return -primary();
    return literal(token);
  };
  const product = () => {
    let value = primary();
    while (tokens[at] === '*' || tokens[at] === '/')
      value = tokens[at++] === '*' ? value * primary() : value / primary();
    return value;
  };
  const sum = () => {
    let value = product();
    while (tokens[at] === '+' || tokens[at] === '-')
      value = tokens[at++] === '+' ? value + product() : value - product();
    return value;
  };
  const value = sum();
  if (at !== tokens.length) fail(`#define ${name}: cannot read ${expression}`);
  return value;
}

function parseStatus(code) {
  const match = /typedef\s+enum\s+imprint_status\s*\{([^}]*)\}\s*imprint_status\s*;/.exec(code);
  if (!match) fail('no `typedef enum imprint_status { ... } imprint_status;`');
  const status = {};
  for (const entry of match[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const item = /^IMPRINT_(?:ERR_)?([A-Z0-9_]+)\s*=\s*(\d+)$/.exec(entry);
    if (!item) fail(`status \`${entry}\` needs an explicit value (IMPRINT_ERR_NAME = N): the values are ABI`);
    status[item[1]] = Number(item[2]);
  }
  return status;
}

function parseConstants(code) {
  const constants = {};
  for (const match of code.matchAll(/^[ \t]*#define[ \t]+IMPRINT_([A-Z0-9_]+)[ \t]+([^\n]+)$/gm)) {
    if (match[1] === 'H' || match[1].startsWith('ERR_')) continue; // the include guard, status aliases
    constants[match[1]] = evaluate(match[2].trim(), `IMPRINT_${match[1]}`);
  }
  return constants;
}

function parseStructs(code) {
  const structs = {};
  for (const match of code.matchAll(/typedef\s+struct\s+imprint_(\w+)\s*\{([^}]*)\}\s*imprint_\1\s*;/g)) {
    const [, name, body] = match;
    const fields = {};
    let offset = 0;
    let align = 1;
    for (const declaration of body
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const parts = /^((?:const\s+)?[A-Za-z_]\w*)\s+(.+)$/.exec(declaration);
      if (!parts) fail(`struct imprint_${name}: cannot read \`${declaration}\``);
      for (const declarator of parts[2].split(',').map((s) => s.trim())) {
        const field = /^(\*?)\s*([A-Za-z_]\w*)$/.exec(declarator);
        const scalar = SCALARS[parts[1].replace(/^const\s+/, '')];
        if (!field || (!field[1] && !scalar))
          fail(`struct imprint_${name}: unsupported field \`${parts[1]} ${declarator}\``);
        const { size, type } = field[1] ? POINTER : scalar;
        offset = Math.ceil(offset / size) * size;
        fields[field[2]] = { offset, type };
        offset += size;
        align = Math.max(align, size);
      }
    }
    structs[name] = { size: Math.ceil(offset / align) * align, fields };
  }
  return structs;
}

function parseFunctions(code) {
  return [...new Set([...code.matchAll(/\b(imprint_[a-z0-9_]+)\s*\(/g)].map((m) => m[1]))].sort();
}

function parseHeader(file) {
  const text = fs.readFileSync(file, 'utf8');
  const code = withoutComments(text);
  return {
    status: parseStatus(code),
    constants: parseConstants(code),
    structs: parseStructs(code),
    functions: parseFunctions(code),
  };
}

function exportsJson(abi) {
  return `${JSON.stringify([...abi.functions.map((f) => `_${f}`), '_malloc', '_free'])}\n`;
}

function jsModule(abi) {
  const { status, constants, structs } = abi;
  return `'use strict';
// Generated by scripts/gen-abi.js from include/imprint.h at build time: do not edit.
// status: imprint_status names (without IMPRINT_ / IMPRINT_ERR_) → values; constants: the header's
// IMPRINT_* #defines; structs: wasm32 layout of each imprint_* struct (checked by the compiler).
module.exports = ${JSON.stringify({ status, constants, structs }, null, 2)};
`;
}

function checkSource(abi) {
  const lines = [
    '/* Generated by scripts/gen-abi.js from include/imprint.h: do not edit. The struct layout the JS',
    ' * side reads and writes (dist/imprint-abi.cjs) is the one the compiler uses, or the build fails. */',
    '#include <stddef.h>',
    '#include "imprint.h"',
    '#if defined(__wasm32__)',
  ];
  for (const [name, { size, fields }] of Object.entries(abi.structs)) {
    lines.push(`_Static_assert(sizeof(imprint_${name}) == ${size}, "imprint_${name}: size");`);
    for (const [field, { offset }] of Object.entries(fields)) {
      lines.push(
        `_Static_assert(offsetof(imprint_${name}, ${field}) == ${offset}, "imprint_${name}.${field}: offset");`,
      );
    }
  }
  for (const [name, value] of Object.entries(abi.status)) {
    const symbol = name === 'OK' ? 'IMPRINT_OK' : `IMPRINT_ERR_${name}`;
    lines.push(`_Static_assert(${symbol} == ${value}, "${symbol}");`);
  }
  lines.push('#endif', 'typedef int imprint_abi_check_nonempty;', '');
  return lines.join('\n');
}

function writeIfChanged(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function main(argv) {
  const options = { header: path.join(__dirname, '..', 'include', 'imprint.h') };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['header', 'exports', 'js', 'check'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`gen-abi: usage: gen-abi.js [--header F] [--exports F] [--js F] [--check F]; got ${argv[i]}`);
    }
    options[key] = argv[i + 1];
  }
  const abi = parseHeader(options.header);
  if (options.exports) writeIfChanged(options.exports, exportsJson(abi));
  if (options.js) writeIfChanged(options.js, jsModule(abi));
  if (options.check) writeIfChanged(options.check, checkSource(abi));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}

module.exports = { parseHeader };
