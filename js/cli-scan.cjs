'use strict';
// The command-line tool's folder scan: which files of a folder tree are inputs. One bad entry (a
// dangling symlink, a symlink loop, a folder that cannot be read) is reported and skipped, never
// fatal; symlinks are followed but no folder is visited twice; every file left out is counted
// with its reason, so that nothing is dropped silently.

const fs = require('node:fs');
const path = require('node:path');

// Formats the decoder reads (see README's Inputs), by extension; .jfif and .jpe are JPEG.
const IMAGE = /\.(jpe?g|jfif|jpe|png|bmp|gif|tga|psd|pnm|ppm|pgm|hdr|pic)$/i;
// Image formats the decoder refuses with UNSUPPORTED_FORMAT, by extension.
const UNSUPPORTED = [
  [/\.webp$/i, 'WebP'],
  [/\.(heic|heif)$/i, 'HEIC'],
  [/\.avif$/i, 'AVIF'],
  [/\.tiff?$/i, 'TIFF'],
  [/\.jxl$/i, 'JPEG XL'],
];

/** What the first bytes of a file without a known extension say: 'image', a format name, or null. */
function sniff(file) {
  const head = Buffer.alloc(16);
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    fs.readSync(fd, head, 0, 16, 0);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  const ascii = (start, end) => head.toString('latin1', start, end);
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image'; // JPEG
  if (ascii(1, 4) === 'PNG' || ascii(0, 4) === 'GIF8' || ascii(0, 4) === '8BPS') return 'image';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'TIFF';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
    if (['heic', 'heix', 'heif', 'mif1', 'msf1'].includes(brand)) return 'HEIC';
  }
  if ((head[0] === 0xff && head[1] === 0x0a) || ascii(4, 8) === 'JXL ') return 'JPEG XL';
  return null;
}

class Scan {
  constructor() {
    this.problems = []; // { path, code, message }: inputs that failed (exit 1)
    this.notes = []; // one-line remarks that are not failures (a folder reached twice)
    this.skipped = new Map(); // reason -> count of files left out
    this.visited = new Set(); // real paths of the folders read
  }

  #skip(reason) {
    this.skipped.set(reason, (this.skipped.get(reason) || 0) + 1);
  }

  /**
   * Expands the paths given (folders recursively, sorted) into input files; files are kept as
   * given. `ancestors` are the real paths of folders these paths are inside (for loop detection).
   */
  expand(paths, ancestors = []) {
    const out = [];
    for (const p of paths) {
      const stat = this.#stat(p, 'FILE_NOT_FOUND');
      if (stat === null) continue;
      if (stat.isDirectory()) this.#folder(p, ancestors, out);
      else out.push(p);
    }
    return out;
  }

  /** Reads `folder` into `out`; `ancestors` are the real paths of the folders above it. */
  #folder(folder, ancestors, out) {
    let real;
    try {
      real = fs.realpathSync(folder);
    } catch (error) {
      this.problems.push({ path: folder, code: error.code, message: `cannot resolve this folder, skipped` });
      return;
    }
    if (ancestors.includes(real)) {
      this.problems.push({ path: folder, code: 'ELOOP', message: `symlink loop back to ${real}, skipped` });
      return;
    }
    if (this.visited.has(real)) {
      this.notes.push(`${folder}: already read as ${real}, skipped`);
      return;
    }
    this.visited.add(real);
    let names;
    try {
      names = fs.readdirSync(folder).sort();
    } catch (error) {
      this.problems.push({ path: folder, code: error.code, message: `cannot read this folder, skipped` });
      return;
    }
    for (const name of names) {
      const entry = path.join(folder, name);
      const stat = this.#stat(entry);
      if (stat === null) continue;
      if (stat.isDirectory()) this.#folder(entry, [...ancestors, real], out);
      else if (!stat.isFile()) this.#skip('not a regular file');
      else this.#file(entry, out);
    }
  }

  /** fs.stat following symlinks; a missing entry, dangling or looping symlink is a problem, and null. */
  #stat(entry, code) {
    try {
      return fs.statSync(entry);
    } catch (error) {
      let message = error.code === 'ENOENT' ? 'no such file' : `cannot read this entry (${error.code}), skipped`;
      let isLink = false;
      try {
        if (fs.lstatSync(entry).isSymbolicLink()) {
          isLink = true;
          const target = fs.readlinkSync(entry);
          message =
            error.code === 'ELOOP' ? `symlink loop (${target}), skipped` : `dangling symlink to ${target}, skipped`;
        }
      } catch {
        // No entry at all, or it went away while we looked at it: the first message stands.
      }
      // A path named on the command line that does not exist is FILE_NOT_FOUND, as the library says;
      // a bad symlink or folder entry keeps the system's code (ENOENT, ELOOP, EACCES).
      this.problems.push({ path: entry, code: (!isLink && code) || error.code, message });
      return null;
    }
  }

  #file(file, out) {
    if (IMAGE.test(file)) {
      out.push(file);
      return;
    }
    const byName = UNSUPPORTED.find(([pattern]) => pattern.test(file));
    const format = byName ? byName[1] : sniff(file);
    if (format === 'image') {
      out.push(file); // an image with an unusual name: the decoder reads it by its content
    } else if (format) {
      this.#skip(`${format} (UNSUPPORTED_FORMAT)`);
      this.problems.push({
        path: file,
        code: 'UNSUPPORTED_FORMAT',
        message: `${format} images cannot be decoded; convert them to PNG or JPEG`,
      });
    } else {
      this.#skip('not an image');
    }
  }

  /** "skipped 3 files: 2 WebP (UNSUPPORTED_FORMAT), 1 not an image", or null when none was. */
  summary() {
    if (this.skipped.size === 0) return null;
    const total = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    const parts = [...this.skipped]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([reason, n]) => `${n} ${reason}`);
    return `skipped ${total} file${total > 1 ? 's' : ''}: ${parts.join(', ')}`;
  }
}

module.exports = { Scan, IMAGE };
