#!/usr/bin/env node
'use strict';
// imprint's command-line tool: embed, train, predict, eval, index, search, info, convert.
// Results go to stdout, progress and errors to stderr. Exit codes: 0 success, 1 some inputs
// failed (the rest were processed), 2 usage error, 3 fatal error (nothing useful was done).

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Scan } = require('./cli-scan.cjs');
const { PRESETS, isPreset } = require('./presets.cjs');

/**
 * True when the file is a source model rather than an imprint model file: a TensorFlow Lite
 * flatbuffer ("TFL3" at byte 4) or a TF.js model.json (JSON: its first non-blank byte is '{').
 */
function isSourceModelFile(file) {
  const head = Buffer.alloc(64);
  const fd = fs.openSync(file, 'r');
  try {
    const got = fs.readSync(fd, head, 0, 64, 0);
    if (got >= 8 && head.toString('latin1', 4, 8) === 'TFL3') return true;
    return head.toString('latin1', 0, got).trimStart().startsWith('{');
  } finally {
    fs.closeSync(fd);
  }
}

const EXIT = { OK: 0, PARTIAL: 1, USAGE: 2, FATAL: 3 };

const HELP = {
  main: `imprint — few-shot image embeddings and classification, on this machine

Usage: imprint <command> [options]

Commands:
  embed <images or folders…>            print embeddings as JSON lines (or --out file.f32)
  train <folder> -o head.imprint        learn a classifier: one sub-folder per label
  predict <head.imprint> <images…>      label, confidence and "unknown" for each image
  eval <head.imprint> <folder>          accuracy, per-class accuracy and confusion matrix
  index <images…> -o photos.index      build a similarity index of images (or folders)
  search <photos.index> <images…>       the images of the index most similar to each image
  info [model]                          describe a model (default: the default preset); --models
                                        lists the presets
  convert <model> -o out.imprint        convert a TF.js or TFLite model (imprint convert --help)

Common options:
  --model <name|file>  a preset model (default, or see 'imprint info --models') or an imprint
                    model file
  --progress        show a progress bar with rate and ETA on stderr (embed, train, predict,
                    eval, index, search; the default when stderr is a terminal); --no-progress
                    hides it
  -h, --help        help for a command

Exit codes: 0 success, 1 some inputs failed (reported on stderr, the rest processed), 2 usage
error, 3 fatal (nothing useful could be done).

Run 'imprint <command> --help' for a command's options.`,
  embed: `Usage: imprint embed <images or folders…> [options]

Prints one JSON object per image: {"path", "dim", "vector"}. Folders are searched recursively for
images. Images that fail are reported on stderr and skipped.

Options:
  -o, --out <file>   write the vectors to <file> as little-endian float32, one after another in
                     input order, and print {"path", "dim", "index"} per image instead; the
                     same lines go to <file>.index.jsonl
  --resume           continue an interrupted --out run: inputs already in <file> (by its
                     index) are skipped, and a vector or line left half-written is dropped
  --threads <N>      embed on N worker threads, 1 to 256 (default: every core); the output order
                     is the input order either way
  --progress         progress bar with rate and ETA on stderr (default when stderr is a terminal;
                     --no-progress hides it)
  --model <name|file>  a preset model or an imprint model file`,
  train: `Usage: imprint train <folder> -o <head.imprint> [options]

Each sub-folder of <folder> is a label; its images (searched recursively) are the examples.
Writes the classifier atomically (a temporary file, then a rename).

Options:
  -o, --out <file>   the classifier file to write (required; --output is the same)
  --seed <N>         seed for training's shuffles, 0 to 4294967295 (default 0)
  --no-examples      leave out the example embeddings: a smaller file that predicts the same
                     but cannot learn more (adding examples to it or training it again is
                     refused with SAVED_WITHOUT_EXAMPLES)
  --allow-one-label  train even when only one label has images (refused otherwise: such a
                     classifier gives that label to everything, with confidence 1)
  --progress         progress on stderr (default when stderr is a terminal; --no-progress hides it)
  --model <name|file>  a preset model or an imprint model file`,
  predict: `Usage: imprint predict <head.imprint> <images or folders…> [--json] [--model <file>]

Prints a header line "path<TAB>label<TAB>confidence<TAB>unknown", then one line per image with
those four columns: confidence with 3 decimals, unknown "true" or "false". Backslash, tab, newline
and carriage return in a path or label are written \\\\, \\t, \\n and \\r.

Options:
  --json           JSON lines instead: {"path", "label", "confidence", "unknown", "scores"}
  --progress       progress on stderr (default when stderr is a terminal; --no-progress hides it)
  --model <name|file>  a preset model or an imprint model file`,
  eval: `Usage: imprint eval <head.imprint> <folder> [--json] [--[no-]progress] [--model <file>]

<folder> has one sub-folder per label, as for train. Prints accuracy, per-class accuracy and the
confusion matrix (rows: true label, columns: predicted).`,
  index: `Usage: imprint index <images or folders…> -o <photos.index> [options]

Embeds every image (folders are searched recursively) and writes a similarity index for
'imprint search': each image is an item whose id is its path as found. Writes the index
atomically (a temporary file, then a rename). Images that fail are reported on stderr and left out.

Options:
  -o, --out <file>   the index file to write (required; --output is the same)
  --update           add the images to the existing index <file> (an image already in it by its
                     path is embedded again and replaced) instead of starting a new one
  --threads <N>      embed on N worker threads, 1 to 256 (default: every core)
  --progress         progress on stderr (default when stderr is a terminal; --no-progress hides it)
  --model <name|file>  a preset or an imprint model file (the one the index is made with)`,
  search: `Usage: imprint search <photos.index> <images or folders…> [options]

For each image, the items of the index (made by 'imprint index') most similar to it, best first.
Prints a header line "query<TAB>rank<TAB>id<TAB>similarity", then one line per result: rank from
1, similarity with 3 decimals (about 0 for unrelated images, 1 for the same image). Backslash,
tab, newline and carriage return in a path are written \\\\, \\t, \\n and \\r.

Options:
  -k, --top <N>    results per image, 1 to 1000000 (default 10)
  --json           JSON lines instead: {"query", "results": [{"id", "similarity"}]}
  --progress       progress on stderr (default when stderr is a terminal; --no-progress hides it)
  --model <name|file>  a preset or an imprint model file (the one the index was made with)`,
  info: `Usage: imprint info [model | --model <name|file>] [--layers]
       imprint info --models

Describes a model (default: the default preset): name, input size, embedding, preprocessing, hash
(and every readable layer with --layers). A source model to convert (a TFLite file, or a TF.js
graph or layers model.json with its weight files beside it) is listed layer by layer with
--layers: name, op, output shape and whether the converter supports it (a TFLite file also
operator by operator). --models lists the preset models.`,
  // convert --help prints the converter's own usage (models/convert.js, USAGE).
  convert: 'Usage: imprint convert <model.json|model.tflite> -o <out.imprint> [options]',
};

class UsageError extends Error {}
/** Nothing useful can be done (exit 3); the message is complete, no code is added to it. */
class FatalError extends Error {}

/** One line for an error: its code once (Node's system errors already start with it). */
function describeError(error) {
  if (!error || typeof error !== 'object') return String(error);
  if (!error.code) return error.message || String(error);
  return String(error.message).startsWith(`${error.code}:`) ? error.message : `${error.code}: ${error.message}`;
}

function loadLibrary() {
  return require('./index.cjs');
}

/** Reports what a scan found wrong, noted and left out, on stderr. */
function reportScan(scan) {
  scan.problems.forEach(reportProblem);
  for (const note of scan.notes) process.stderr.write(`imprint: ${note}\n`);
  const summary = scan.summary();
  if (summary) process.stderr.write(`imprint: ${summary}\n`);
}

/** The input files of `paths` (folders searched recursively); none at all is fatal. */
function inputFiles(paths) {
  const scan = new Scan();
  const files = scan.expand(paths);
  reportScan(scan);
  if (files.length === 0) throw new FatalError(`no image to read in ${paths.join(', ')}`);
  return { files, problems: scan.problems };
}

/** { byLabel: [{ label, files }], problems } from a folder with one sub-folder per label. */
function labelledFolder(root) {
  let names;
  try {
    names = fs.readdirSync(root).sort();
  } catch (error) {
    throw new UsageError(`cannot read folder ${root}: ${describeError(error)}`);
  }
  const scan = new Scan();
  const realRoot = fs.realpathSync(root);
  scan.visited.add(realRoot);
  const byLabel = [];
  for (const name of names) {
    const entry = path.join(root, name);
    let readBefore = false; // a second link to a label folder: the scan notes it, no warning here
    try {
      readBefore = scan.visited.has(fs.realpathSync(entry));
    } catch {
      // reported by the scan
    }
    const files = scan.expand([entry], [realRoot]);
    let isFolder = false;
    try {
      isFolder = fs.statSync(entry).isDirectory();
    } catch {
      // reported by the scan
    }
    if (!isFolder) {
      if (files.length) warn(`${entry}: a file at the top level is not an example of any label; ignored`);
    } else if (files.length === 0) {
      if (!readBefore) warn(`${entry}: label folder without images; ignored`);
    } else byLabel.push({ label: name, files });
  }
  reportScan(scan);
  if (byLabel.length === 0)
    throw new UsageError(`${root} has no sub-folder with images; make one sub-folder per label`);
  return { byLabel, problems: scan.problems };
}

function warn(message) {
  process.stderr.write(`imprint: warning: ${message}\n`);
}

function reportProblem(problem) {
  process.stderr.write(`imprint: ${problem.path}: ${problem.code}: ${problem.message}\n`);
}

/** Whether to show progress: --progress / --no-progress, else only when stderr is a terminal. */
function showProgress(options) {
  if (options.progress && options['no-progress']) throw new UsageError('give --progress or --no-progress, not both');
  if (options.progress) return true;
  if (options['no-progress']) return false;
  return Boolean(process.stderr.isTTY);
}

function formatDuration(seconds) {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60);
  const two = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * A progress bar on stderr with rate and ETA: redrawn in place (at most 10 times a second) on a
 * terminal, a line every 10% otherwise. A no-op when progress is off.
 */
function progressBar(label, total, enabled) {
  if (!enabled) return () => {};
  const tty = process.stderr.isTTY;
  const start = performance.now();
  let lastDraw = -Infinity;
  let lastTenth = -1;
  return (done) => {
    const now = performance.now();
    const finished = done >= total;
    const tenth = total ? Math.floor((done / total) * 10) : 10;
    if (tty ? !finished && now - lastDraw < 100 : !finished && tenth === lastTenth) return;
    lastDraw = now;
    lastTenth = tenth;
    const seconds = (now - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    const eta = finished
      ? `in ${formatDuration(seconds)}`
      : rate > 0
        ? `ETA ${formatDuration((total - done) / rate)}`
        : 'ETA ?';
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s ${eta}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

/** A model's load error, with the file's name in front when it came from --model. */
function nameModel(error, file) {
  if (file !== undefined && error && error.code && !String(error.message).includes(file))
    error.message = `${file}: ${error.message}`;
  return error;
}

async function withExtractor(options, fn) {
  const { createExtractor } = loadLibrary();
  const extractor = await createExtractor(options.model ? { model: options.model } : {}).catch((error) => {
    throw nameModel(error, options.model);
  });
  try {
    return await fn(extractor);
  } finally {
    extractor.dispose();
  }
}

function writeAtomically(file, bytes) {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Opens a file to write results to (`flags` 'w' or 'a'); failing is fatal (exit 3) and says which file. */
function openOutput(file, flags = 'w') {
  try {
    return fs.openSync(file, flags);
  } catch (error) {
    throw new FatalError(`cannot write ${file}: ${describeError(error)}`);
  }
}

/**
 * What an earlier `embed --out` left in `out` and its index (`<out>.index.jsonl`, one
 * {"path", "dim", "index"} line per vector, written after the vector). Both files are cut back to
 * the last vector that has its whole index line, which drops whatever an interruption left half
 * written; returns { count, dim, done: Set of resolved paths }.
 */
function resumeOutput(out, indexFile) {
  const haveOut = fs.existsSync(out),
    haveIndex = fs.existsSync(indexFile);
  if (!haveOut && !haveIndex) return { count: 0, dim: null, done: new Set() };
  if (!haveOut || !haveIndex)
    throw new FatalError(
      `cannot resume ${out}: ${haveOut ? indexFile : out} is missing (start again without --resume)`,
    );
  const text = fs.readFileSync(indexFile, 'utf8');
  const entries = [];
  const ends = [0]; // ends[i]: byte length of the index's first i lines
  for (let start = 0, newline; (newline = text.indexOf('\n', start)) !== -1; start = newline + 1) {
    let entry;
    try {
      entry = JSON.parse(text.slice(start, newline));
    } catch {
      break;
    }
    const dim = entries.length ? entries[0].dim : entry && entry.dim;
    if (!entry || typeof entry.path !== 'string' || entry.index !== entries.length || entry.dim !== dim || !(dim > 0))
      break;
    entries.push(entry);
    ends.push(ends[ends.length - 1] + Buffer.byteLength(text.slice(start, newline + 1)));
  }
  const dim = entries.length ? entries[0].dim : null;
  const vectors = dim ? Math.floor(fs.statSync(out).size / (dim * 4)) : 0;
  const count = Math.min(entries.length, vectors);
  fs.truncateSync(out, count * (dim || 0) * 4);
  fs.truncateSync(indexFile, ends[count]);
  return { count, dim, done: new Set(entries.slice(0, count).map((e) => path.resolve(e.path))) };
}

async function cmdEmbed(args, options) {
  if (args.length === 0) throw new UsageError('embed needs at least one image or folder');
  if (options.resume && options.out === undefined) throw new UsageError('embed: --resume needs -o/--out');
  const scanned = inputFiles(args);
  const problems = scanned.problems;
  let files = scanned.files;
  // Open the output before starting any worker, and close both on every path: an output that
  // cannot be opened used to throw between the two and leave the workers keeping the process alive.
  let out = null,
    index = null,
    resumed = { count: 0, dim: null, done: new Set() };
  if (options.out !== undefined) {
    const indexFile = `${options.out}.index.jsonl`;
    if (options.resume) {
      resumed = resumeOutput(options.out, indexFile);
      const before = files.length;
      files = files.filter((f) => !resumed.done.has(path.resolve(f)));
      if (resumed.count)
        process.stderr.write(
          `imprint: resuming ${options.out}: ${before - files.length} of the inputs are in it already, ${files.length} to go\n`,
        );
    }
    out = openOutput(options.out, options.resume ? 'a' : 'w');
    try {
      index = openOutput(indexFile, options.resume ? 'a' : 'w');
    } catch (error) {
      fs.closeSync(out);
      throw error;
    }
  }
  let embedder = null;
  try {
    if (files.length === 0) return problems.length ? EXIT.PARTIAL : EXIT.OK;
    const { createBatchEmbedder } = require('./batch.cjs');
    embedder = createBatchEmbedder({ model: options.model, threads: options.threads });
    let next = resumed.count;
    const progress = progressBar(
      `embed (${embedder.threads} thread${embedder.threads > 1 ? 's' : ''})`,
      files.length,
      showProgress(options),
    );
    const info = await embedder.info.catch((error) => {
      throw nameModel(error, options.model);
    });
    if (resumed.dim !== null && resumed.dim !== info.dim)
      throw new FatalError(
        `cannot resume ${options.out}: it holds ${resumed.dim}-d vectors, this model makes ${info.dim}-d`,
      );
    let done = 0;
    for await (const result of embedder.embed(files)) {
      const file = result.input;
      if (result.error) {
        if (!result.error.code) throw result.error;
        problems.push({ path: file, code: result.error.code, message: result.error.message });
        reportProblem(problems[problems.length - 1]);
      } else if (out !== null) {
        const v = result.vector;
        const line = `${JSON.stringify({ path: file, dim: v.length, index: next++ })}\n`;
        try {
          // The vector first, then its index line: --resume trusts a vector only once its line is whole.
          fs.writeSync(out, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          fs.writeSync(index, line);
        } catch (error) {
          throw new FatalError(`cannot write ${options.out}: ${describeError(error)}`);
        }
        process.stdout.write(line);
      } else {
        process.stdout.write(
          `${JSON.stringify({ path: file, dim: result.vector.length, vector: Array.from(result.vector) })}\n`,
        );
      }
      progress(++done);
    }
  } finally {
    if (out !== null) fs.closeSync(out);
    if (index !== null) fs.closeSync(index);
    if (embedder !== null) await embedder.close();
  }
  return problems.length ? EXIT.PARTIAL : EXIT.OK;
}

async function cmdTrain(args, options) {
  if (args.length !== 1) throw new UsageError('train needs exactly one folder (one sub-folder per label)');
  if (!options.out) throw new UsageError('train needs -o <head.imprint>');
  // Fail before embedding every example, not after.
  const outputFolder = path.dirname(path.resolve(options.out));
  if (!fs.existsSync(outputFolder)) throw new FatalError(`cannot write ${options.out}: no folder ${outputFolder}`);
  const { byLabel, problems } = labelledFolder(args[0]);
  if (byLabel.length < 2 && !options['allow-one-label'])
    throw new UsageError(
      `train needs at least two labels with images; found ${byLabel.map((l) => l.label).join(', ')} (--allow-one-label to train on one)`,
    );
  const { createClassifier } = loadLibrary();
  return withExtractor(options, async (extractor) => {
    const classifier = createClassifier(extractor);
    try {
      const total = byLabel.reduce((s, l) => s + l.files.length, 0);
      const progress = progressBar('embed', total, showProgress(options));
      let done = 0;
      for (const { label, files } of byLabel) {
        for (const file of files) {
          try {
            await classifier.addExample(file, label);
          } catch (error) {
            if (!error.code) throw error;
            problems.push({ path: file, code: error.code, message: error.message });
            reportProblem(problems[problems.length - 1]);
          }
          progress(++done);
        }
      }
      const labels = classifier.labels;
      if (labels.length === 0) throw new FatalError('no image could be read; nothing to train');
      if (labels.length < 2 && !options['allow-one-label'])
        throw new FatalError(`only the label ${labels[0]} has images that could be read; nothing to tell apart`);
      let lastStep = 0;
      const result = await classifier.train({
        seed: options.seed === undefined ? 0 : options.seed,
        onProgress: ({ step }) => {
          if (showProgress(options) && step - lastStep >= 50) {
            lastStep = step;
            process.stderr.write(`train: step ${step}\r`);
          }
        },
      });
      try {
        writeAtomically(options.out, classifier.save({ examples: !options['no-examples'] }));
      } catch (error) {
        throw new FatalError(`cannot write ${options.out}: ${describeError(error)}`);
      }
      if (lastStep > 0) process.stderr.write('\n');
      const summary = {
        output: options.out,
        classes: Object.fromEntries(labels.map((l) => [l, classifier.exampleCount(l)])),
        trainAccuracy: result.trainAccuracy,
        loss: result.loss,
        ms: Math.round(result.ms),
      };
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return problems.length ? EXIT.PARTIAL : EXIT.OK;
    } finally {
      classifier.dispose();
    }
  });
}

async function openHead(extractor, file) {
  requireReadableFile(file, 'the classifier file');
  const bytes = fs.readFileSync(file);
  const { loadClassifier } = loadLibrary();
  try {
    return await loadClassifier(extractor, bytes);
  } catch (error) {
    if (error.code) error.message = `${file}: ${error.message}`;
    throw error;
  }
}

/** A tab-separated field: one line, no tab (the escapes of PostgreSQL's and MySQL's text format). */
function tsvField(text) {
  return String(text).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]);
}

async function cmdPredict(args, options) {
  if (args.length < 2) throw new UsageError('predict needs a classifier file and at least one image or folder');
  requireReadableFile(args[0], 'the classifier file');
  const { files, problems } = inputFiles(args.slice(1));
  return withExtractor(options, async (extractor) => {
    const classifier = await openHead(extractor, args[0]);
    try {
      if (!options.json) process.stdout.write('path\tlabel\tconfidence\tunknown\n');
      const progress = progressBar('predict', files.length, showProgress(options));
      let done = 0;
      for (const file of files) {
        try {
          const p = await classifier.predict(file);
          if (options.json) {
            process.stdout.write(
              `${JSON.stringify({ path: file, label: p.label, confidence: p.confidence, unknown: p.unknown, scores: p.scores })}\n`,
            );
          } else {
            process.stdout.write(`${tsvField(file)}\t${tsvField(p.label)}\t${p.confidence.toFixed(3)}\t${p.unknown}\n`);
          }
        } catch (error) {
          if (!error.code) throw error;
          problems.push({ path: file, code: error.code, message: error.message });
          reportProblem(problems[problems.length - 1]);
        }
        progress(++done);
      }
      return problems.length ? EXIT.PARTIAL : EXIT.OK;
    } finally {
      classifier.dispose();
    }
  });
}

async function cmdEval(args, options) {
  if (args.length !== 2) throw new UsageError('eval needs a classifier file and a folder (one sub-folder per label)');
  requireReadableFile(args[0], 'the classifier file');
  const { byLabel, problems } = labelledFolder(args[1]);
  return withExtractor(options, async (extractor) => {
    const classifier = await openHead(extractor, args[0]);
    try {
      const known = new Set(classifier.labels);
      const items = [];
      const total = byLabel.reduce((s, l) => s + l.files.length, 0);
      const progress = progressBar('eval', total, showProgress(options));
      let done = 0;
      for (const { label, files } of byLabel) {
        for (const file of files) {
          if (!known.has(label)) {
            problems.push({ path: file, code: 'UNKNOWN_LABEL', message: `the classifier has no label "${label}"` });
            reportProblem(problems[problems.length - 1]);
          } else {
            try {
              items.push({ label, embedding: await extractor.embed(file) });
            } catch (error) {
              if (!error.code) throw error;
              problems.push({ path: file, code: error.code, message: error.message });
              reportProblem(problems[problems.length - 1]);
            }
          }
          progress(++done);
        }
      }
      if (items.length === 0) throw new FatalError('no image could be evaluated');
      const result = await classifier.evaluate(items);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        const { labels, matrix } = result.confusion;
        const lines = [`accuracy ${(result.accuracy * 100).toFixed(1)}% (${result.count} images)`, '', 'per class:'];
        for (const [label, c] of Object.entries(result.perClass)) {
          lines.push(`  ${label}: ${(c.accuracy * 100).toFixed(1)}% (${c.correct}/${c.count})`);
        }
        const width = Math.max(5, ...labels.map((l) => l.length));
        lines.push('', 'confusion (rows: true, columns: predicted):');
        lines.push(`${''.padStart(width)} ${labels.map((l) => l.padStart(width)).join(' ')}`);
        labels.forEach((l, r) =>
          lines.push(`${l.padStart(width)} ${matrix[r].map((v) => String(v).padStart(width)).join(' ')}`),
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      return problems.length ? EXIT.PARTIAL : EXIT.OK;
    } finally {
      classifier.dispose();
    }
  });
}

async function openIndex(extractor, file) {
  requireReadableFile(file, 'the index file');
  const { loadIndex } = loadLibrary();
  try {
    return await loadIndex(extractor, fs.readFileSync(file));
  } catch (error) {
    if (error.code) error.message = `${file}: ${error.message}`;
    throw error;
  }
}

async function cmdIndex(args, options) {
  if (args.length === 0) throw new UsageError('index needs at least one image or folder');
  if (!options.out) throw new UsageError('index needs -o <photos.index>');
  const outputFolder = path.dirname(path.resolve(options.out));
  if (!fs.existsSync(outputFolder)) throw new FatalError(`cannot write ${options.out}: no folder ${outputFolder}`);
  if (options.update) requireReadableFile(options.out, 'the index file to update');
  const { files, problems } = inputFiles(args);
  return withExtractor(options, async (extractor) => {
    const { createIndex } = loadLibrary();
    const index = options.update ? await openIndex(extractor, options.out) : createIndex(extractor);
    const before = index.size;
    let embedder = null;
    try {
      const { createBatchEmbedder } = require('./batch.cjs');
      embedder = createBatchEmbedder({ model: options.model, threads: options.threads });
      const progress = progressBar(
        `index (${embedder.threads} thread${embedder.threads > 1 ? 's' : ''})`,
        files.length,
        showProgress(options),
      );
      let done = 0;
      for await (const result of embedder.embed(files)) {
        if (result.error) {
          if (!result.error.code) throw result.error;
          problems.push({ path: result.input, code: result.error.code, message: result.error.message });
          reportProblem(problems[problems.length - 1]);
        } else {
          index.addEmbedding(result.vector, result.input);
        }
        progress(++done);
      }
      if (index.size === 0) throw new FatalError('no image could be read; nothing to index');
      try {
        writeAtomically(options.out, index.save());
      } catch (error) {
        throw new FatalError(`cannot write ${options.out}: ${describeError(error)}`);
      }
      const summary = { output: options.out, items: index.size, added: index.size - before, failed: problems.length };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return problems.length ? EXIT.PARTIAL : EXIT.OK;
    } finally {
      if (embedder !== null) await embedder.close();
      index.dispose();
    }
  });
}

async function cmdSearch(args, options) {
  if (args.length < 2) throw new UsageError('search needs an index file and at least one image or folder');
  requireReadableFile(args[0], 'the index file');
  const { files, problems } = inputFiles(args.slice(1));
  const k = options.top === undefined ? 10 : options.top;
  return withExtractor(options, async (extractor) => {
    const index = await openIndex(extractor, args[0]);
    try {
      if (index.size === 0) throw new FatalError(`${args[0]}: the index is empty; nothing to search`);
      if (!options.json) process.stdout.write('query\trank\tid\tsimilarity\n');
      const progress = progressBar('search', files.length, showProgress(options));
      let done = 0;
      for (const file of files) {
        try {
          const results = await index.query(file, { k });
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ query: file, results })}\n`);
          } else {
            const lines = results.map(
              (r, rank) => `${tsvField(file)}\t${rank + 1}\t${tsvField(r.id)}\t${r.similarity.toFixed(3)}\n`,
            );
            process.stdout.write(lines.join(''));
          }
        } catch (error) {
          if (!error.code) throw error;
          problems.push({ path: file, code: error.code, message: error.message });
          reportProblem(problems[problems.length - 1]);
        }
        progress(++done);
      }
      return problems.length ? EXIT.PARTIAL : EXIT.OK;
    } finally {
      index.dispose();
    }
  });
}

async function cmdInfo(args, options) {
  if (args.length > 1) throw new UsageError('info takes at most one model file');
  if (args.length === 1 && options.model !== undefined)
    throw new UsageError('info: give the model once (as an argument or with --model)');
  if (options.models) {
    if (args.length || options.model !== undefined || options.layers)
      throw new UsageError('info --models takes no model and no other option');
    const { presetModelPath } = require('./core.cjs');
    const list = Object.entries(PRESETS).map(([name, p]) => {
      let bytes = null;
      try {
        bytes = fs.statSync(presetModelPath(name)).size;
      } catch {
        // not built: scripts/build.sh
      }
      return { name, file: p.file, bytes, description: p.description };
    });
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return EXIT.OK;
  }
  if (args.length === 1 && !isPreset(args[0])) requireReadableFile(args[0], 'the model file');
  const model = args[0] || options.model;
  if (model && !isPreset(model) && isSourceModelFile(model)) {
    // A source model (TFLite, TF.js graph or layers model.json): list its layers, so --embed can
    // name one when converting.
    const { listSourceLayers } = require(path.join(__dirname, '..', 'models', 'convert.js'));
    let listed;
    try {
      listed = listSourceLayers(model);
    } catch (error) {
      throw new FatalError(`cannot read the source model ${model}: ${error.message}`);
    }
    const { format, layers, operators } = listed;
    const unsupported = [...new Set(layers.filter((l) => !l.supported && !l.needs).map((l) => l.op))];
    const out = { format, ...(operators ? { operators } : {}) };
    if (options.layers) out.layers = layers;
    else Object.assign(out, { layers: `${layers.length} (show them with --layers)`, unsupportedOps: unsupported });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT.OK;
  }
  return withExtractor({ model }, async (extractor) => {
    const { info } = extractor;
    const out = { ...info, layers: options.layers ? info.layers : `${info.layers.length} (show them with --layers)` };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT.OK;
  });
}

async function cmdConvert(argv) {
  const convert = require(path.join(__dirname, '..', 'models', 'convert.js'));
  try {
    return convert.main(argv) === 0 ? EXIT.OK : EXIT.USAGE;
  } catch (error) {
    process.stderr.write(`imprint convert: ${error.message}\n`);
    return EXIT.FATAL;
  }
}

// One option table per command; util.parseArgs (strict) refuses anything not in it, and check()
// validates each value. Every refusal is a UsageError: exit 2 with one line on stderr.
const MODEL = { model: { type: 'string' } };
const PROGRESS = { progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } };
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } };
const OPTIONS = {
  embed: {
    ...MODEL,
    ...PROGRESS,
    out: { type: 'string', short: 'o' },
    resume: { type: 'boolean' },
    threads: { type: 'string' },
  },
  train: {
    ...MODEL,
    ...PROGRESS,
    out: { type: 'string', short: 'o' },
    output: { type: 'string' },
    seed: { type: 'string' },
    'no-examples': { type: 'boolean' },
    'allow-one-label': { type: 'boolean' },
  },
  predict: { ...MODEL, ...PROGRESS, json: { type: 'boolean' } },
  eval: { ...MODEL, ...PROGRESS, json: { type: 'boolean' } },
  index: {
    ...MODEL,
    ...PROGRESS,
    out: { type: 'string', short: 'o' },
    output: { type: 'string' },
    update: { type: 'boolean' },
    threads: { type: 'string' },
  },
  search: { ...MODEL, ...PROGRESS, top: { type: 'string', short: 'k' }, json: { type: 'boolean' } },
  info: { ...MODEL, layers: { type: 'boolean' }, models: { type: 'boolean' } },
};

/** A whole number from `min` to `max` written in decimal digits, or a UsageError naming `name`. */
function integerOption(name, text, min, max) {
  if (text === undefined) return undefined;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max))
    throw new UsageError(`${name} takes a whole number from ${min} to ${max}; got '${text}'`);
  return value;
}

function parseCommandLine(command, args) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: { ...OPTIONS[command], ...HELP_OPTION },
    });
  } catch (error) {
    // parseArgs' own messages are one line and name the option; drop its advice about '--'.
    if (String(error.code).startsWith('ERR_PARSE_ARGS_'))
      throw new UsageError(`${command}: ${error.message.split('\n')[0].replace(/\. To specify a positional.*$/, '')}`);
    throw error;
  }
  const options = parsed.values;
  // parseArgs keeps the last of a repeated option; a repeated option is more likely a mistake.
  const seen = new Set();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const name = token.name === 'output' ? 'out' : token.name;
    if (seen.has(name)) throw new UsageError(`${command}: give ${token.rawName} once`);
    seen.add(name);
  }
  for (const [name, value] of Object.entries(options)) {
    if (OPTIONS[command][name] && OPTIONS[command][name].type === 'string' && value === '')
      throw new UsageError(`${command}: --${name} needs a value`);
  }
  if (options.progress && options['no-progress'])
    throw new UsageError(`${command}: give --progress or --no-progress, not both`);
  if (options.output !== undefined) {
    if (options.out !== undefined) throw new UsageError(`${command}: give -o/--out once`);
    options.out = options.output;
    delete options.output;
  }
  options.threads = integerOption('--threads', options.threads, 1, 256);
  options.seed = integerOption('--seed', options.seed, 0, 4294967295);
  options.top = integerOption('-k/--top', options.top, 1, 1000000);
  return { options, positionals: parsed.positionals };
}

/** A file named on the command line (model, classifier) must be readable: else a usage error. */
function requireReadableFile(file, what) {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.code || error.message}`,
    );
  }
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${what} ${file} is a folder, not a file`);
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process[command ? 'stdout' : 'stderr'].write(`${HELP.main}\n`);
    return command ? EXIT.OK : EXIT.USAGE;
  }
  if (!HELP[command] || command === 'main') {
    process.stderr.write(`imprint: unknown command '${command}'\n\n${HELP.main}\n`);
    return EXIT.USAGE;
  }
  if (command === 'convert') return cmdConvert(rest);
  const { options, positionals } = parseCommandLine(command, rest);
  if (options.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return EXIT.OK;
  }
  if (options.model !== undefined && !isPreset(options.model)) requireReadableFile(options.model, 'the model file');
  const commands = {
    embed: cmdEmbed,
    train: cmdTrain,
    predict: cmdPredict,
    eval: cmdEval,
    index: cmdIndex,
    search: cmdSearch,
    info: cmdInfo,
  };
  return commands[command](positionals, options);
}

if (require.main === module) {
  // `imprint embed … | head` closes stdout early: stop quietly, as Unix tools do. Any other write
  // error (a full disk, a closed descriptor) is one line on stderr and exit 3.
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(EXIT.OK);
    process.stderr.write(`imprint: cannot write the output: ${describeError(error)}\n`);
    process.exit(EXIT.FATAL);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`imprint: ${error.message} (see 'imprint --help')\n`);
        process.exitCode = EXIT.USAGE;
      } else if (error instanceof FatalError || (error && error.code)) {
        process.stderr.write(`imprint: ${error instanceof FatalError ? error.message : describeError(error)}\n`);
        process.exitCode = EXIT.FATAL;
      } else {
        // Not an expected failure: a bug. Its stack says where.
        process.stderr.write(`imprint: ${(error && error.stack) || error}\n`);
        process.exitCode = EXIT.FATAL;
      }
    },
  );
}

module.exports = { main, EXIT };
