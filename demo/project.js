'use strict';
// What the demo page keeps of a project, outside the classifier: the project in IndexedDB (labels,
// example embeddings, small thumbnails: never the photos themselves), the examples inside a saved
// classifier file, and thumbnails. Loaded before app.js, as the global DemoProject.

(function () {
  const DB_NAME = 'imprint-demo';
  const DB_VERSION = 1;
  const THUMB_SIZE = 96;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function done(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = transaction.onerror = () => reject(transaction.error || new Error('aborted'));
    });
  }

  /**
   * The project store: one project ('current' in `project`: labels, flags) and its examples (one
   * record each: { id, labelId, seq, embedding, thumb, source }). Resolves to null where the
   * browser keeps nothing (IndexedDB missing or refused, as in some private windows).
   */
  async function openStore() {
    if (typeof indexedDB === 'undefined') return null;
    let db;
    try {
      const open = indexedDB.open(DB_NAME, DB_VERSION);
      open.onupgradeneeded = () => {
        open.result.createObjectStore('project');
        open.result.createObjectStore('examples', { keyPath: 'id' });
      };
      db = await request(open);
    } catch {
      return null;
    }
    return {
      /** { project, examples } as last written, or null when nothing is kept. */
      async read() {
        const tx = db.transaction(['project', 'examples'], 'readonly');
        const [project, examples] = await Promise.all([
          request(tx.objectStore('project').get('current')),
          request(tx.objectStore('examples').getAll()),
        ]);
        return project ? { project, examples } : null;
      },
      /** One transaction: optionally everything cleared, then the project and examples written. */
      async write({ project, put = [], remove = [], clear = false }) {
        const tx = db.transaction(['project', 'examples'], 'readwrite');
        const examples = tx.objectStore('examples');
        if (clear) examples.clear();
        for (const id of remove) examples.delete(id);
        for (const record of put) examples.put(record);
        if (project) tx.objectStore('project').put(project, 'current');
        else if (clear) tx.objectStore('project').delete('current');
        await done(tx);
      },
    };
  }

  /**
   * The labels and example embeddings of a classifier file (models/HEAD_FORMAT.md), read after
   * imprint.loadClassifier() accepted it. The library keeps them but has no call that hands them
   * out, and the page needs them to show, check and remove loaded examples one by one.
   * A stored example is z = L2(signed_sqrt(e)); sign(z) * z^2 is e up to a positive factor, which
   * the classifier's transform ignores, so re-adding it gives back the same z. A class saved
   * without examples gets its normalised mean as its one example, as training does after loading.
   * @returns {{ labels: string[], examples: { label: number, embedding: Float32Array, summary: boolean }[] }}
   */
  function readClassifierFile(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u32 = (offset) => view.getUint32(offset, true);
    const floats = (offset, dim) => {
      const out = new Float32Array(dim);
      for (let i = 0; i < dim; i++) out[i] = view.getFloat32(offset + 4 * i, true);
      return out;
    };
    const magic = new TextDecoder().decode(bytes.subarray(0, 8));
    const version = u32(8);
    if (magic !== 'IMPRHEAD' || (version !== 1 && version !== 2)) {
      throw new Error('not an imprint classifier file (version 1 or 2)');
    }
    const flags = u32(12);
    const dim = u32(40);
    const classCount = u32(44);
    const exampleCount = flags & 1 ? u32(48) : 0;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let offset = (version === 1 ? 64 : 72) + 4 * dim; // header (models/HEAD_FORMAT.md), centre
    const labels = [];
    const means = [];
    for (let c = 0; c < classCount; c++) {
      const length = u32(offset);
      offset += 4;
      labels.push(decoder.decode(bytes.subarray(offset, offset + length)));
      offset += (length + 3) & ~3;
      offset += 4; // this class's example count
      means.push(floats(offset, dim));
      offset += 8 * dim + 4; // mean, weights, bias
    }
    const examples = [];
    for (let e = 0; e < exampleCount; e++) {
      const label = u32(offset);
      const mirrored = u32(offset + 4) === 1;
      examples.push({ label, embedding: untransform(floats(offset + 8, dim)), summary: false });
      offset += 8 + 4 * dim * (mirrored ? 2 : 1);
    }
    const withExamples = new Set(examples.map((e) => e.label));
    means.forEach((mean, label) => {
      if (!withExamples.has(label)) examples.push({ label, embedding: untransform(mean), summary: true });
    });
    return { labels, examples };
  }

  function untransform(z) {
    let norm = 0;
    const e = z.map((v) => {
      const x = Math.sign(v) * v * v;
      norm += x * x;
      return x;
    });
    norm = Math.sqrt(norm) || 1;
    return e.map((x) => x / norm);
  }

  /** A small square JPEG of an image (File, Blob, <video>), centre-cropped; null if it cannot be drawn. */
  async function makeThumbnail(source) {
    try {
      const bitmap = source instanceof Blob ? await createImageBitmap(source) : source;
      const width = bitmap.videoWidth || bitmap.width;
      const height = bitmap.videoHeight || bitmap.height;
      if (!width || !height) return null;
      const side = Math.min(width, height);
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = THUMB_SIZE;
      const context = canvas.getContext('2d');
      context.fillStyle = '#fff'; // transparent PNGs as the model sees them: over white
      context.fillRect(0, 0, THUMB_SIZE, THUMB_SIZE);
      context.drawImage(bitmap, (width - side) / 2, (height - side) / 2, side, side, 0, 0, THUMB_SIZE, THUMB_SIZE);
      if (bitmap.close) bitmap.close();
      return await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
    } catch {
      return null;
    }
  }

  window.DemoProject = { openStore, readClassifierFile, makeThumbnail };
})();
