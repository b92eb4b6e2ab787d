'use strict';
// Which files the demo page can use, and why not the others: images by name, type and first bytes
// (HEIC, TIFF, SVG, JPEG XL and camera RAW named with advice), the size limit stated, failures
// grouped by reason, and the files of a drop with folders walked. Loaded before app.js, as the
// global DemoFiles.

(function () {
  // Images by extension, including the formats this page cannot read (reported, not ignored).
  const IMAGE_FILE =
    /\.(jpe?g|jfif|jpe|png|gif|bmp|webp|avif|tga|psd|pnm|ppm|pgm|hdr|heic|heif|tiff?|svg|jxl|dng|cr2|nef|arw)$/i;
  // The limits the page asks the library for, so messages can state them.
  const LIMITS = { maxWidth: 16384, maxHeight: 16384, maxPixels: 8192 * 8192 };

  const FORMATS = [
    {
      name: 'HEIC',
      ext: /\.(heic|heif)$/i,
      type: /^image\/hei[cf]/,
      advice:
        'HEIC photos (the iPhone default) cannot be read in this browser: export them as JPEG (on the iPhone: Settings › Camera › Formats › Most Compatible)',
    },
    {
      name: 'TIFF',
      ext: /\.tiff?$/i,
      type: /^image\/tiff/,
      advice: 'TIFF images cannot be read in this browser: save them as PNG or JPEG',
    },
    {
      name: 'SVG',
      ext: /\.svg$/i,
      type: /^image\/svg/,
      advice: 'SVG drawings are not photos the model can read: export them as PNG',
    },
    {
      name: 'JPEG XL',
      ext: /\.jxl$/i,
      type: /^image\/jxl/,
      advice: 'JPEG XL images cannot be read in this browser: save them as JPEG or PNG',
    },
    {
      name: 'RAW',
      ext: /\.(dng|cr2|nef|arw)$/i,
      type: /^image\/x-(adobe-dng|canon|nikon|sony)/,
      advice: 'camera RAW files cannot be read: export them as JPEG',
    },
  ];

  /** The format a file's first bytes show, for the formats above. */
  async function sniffFormat(file) {
    try {
      const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
      const ascii = (a, b) => String.fromCharCode(...head.subarray(a, b));
      if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return FORMATS[1];
      if (ascii(4, 8) === 'ftyp' && /^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(ascii(8, 12))) return FORMATS[0];
      if (/<svg|<\?xml/i.test(ascii(0, 64))) return FORMATS[2];
      if (head[0] === 0xff && head[1] === 0x0a) return FORMATS[3];
    } catch {
      /* unreadable: say what the library said */
    }
    return null;
  }

  function formatByName(file) {
    return FORMATS.find((f) => f.ext.test(file.name || '') || f.type.test(file.type || '')) || null;
  }

  const SIZE_LIMIT = `${LIMITS.maxWidth.toLocaleString('en')} pixels on a side and ${Math.round(LIMITS.maxPixels / 1e6)} megapixels`;

  async function reasonFor(file, error) {
    const format = (await sniffFormat(file)) || formatByName(file);
    if (format && error.code !== 'IMAGE_TOO_LARGE') return format.advice;
    if (error.code === 'IMAGE_TOO_LARGE') return `larger than this page reads (at most ${SIZE_LIMIT}): shrink it`;
    if (error.code === 'DECODE_FAILED') return 'not an image, or damaged';
    if (error.code === 'UNSUPPORTED_FORMAT') return 'this browser cannot read its format: save it as JPEG or PNG';
    return error && error.message ? error.message : String(error);
  }

  function explain(error) {
    if (error && error.code === 'DECODE_FAILED') return 'it is not an image, or it is damaged';
    if (error && error.code === 'UNSUPPORTED_FORMAT')
      return 'this browser cannot read its format (save it as JPEG or PNG)';
    if (error && error.code === 'IMAGE_TOO_LARGE') return `it is larger than this page reads (at most ${SIZE_LIMIT})`;
    return error && error.message ? error.message : String(error);
  }

  function groupFailures(failed) {
    const groups = new Map();
    for (const { file, reason } of failed) {
      if (!groups.has(reason)) groups.set(reason, []);
      groups.get(reason).push(file);
    }
    return [...groups].map(([reason, files]) => ({ reason, files }));
  }

  function isImage(file) {
    return (file.type && file.type.startsWith('image/')) || IMAGE_FILE.test(file.name || '');
  }

  function readEntries(reader) {
    return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  }

  async function filesOfEntry(entry, out, onFound) {
    if (entry.isFile) {
      out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
      onFound(out.length);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await readEntries(reader); // entries come in chunks until an empty one
        if (!batch.length) break;
        for (const child of batch) await filesOfEntry(child, out, onFound);
      }
    }
    return out;
  }

  /**
   * What was dropped, as [{ folder: name | null, files: [File] }] with folders walked recursively.
   * The entries are taken before the first await: a DataTransfer is emptied once its event ends.
   */
  function droppedGroups(dataTransfer, onFound) {
    const items = dataTransfer.items ? Array.from(dataTransfer.items) : [];
    const entries = items.map((item) =>
      item.kind === 'file' && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null,
    );
    const files = entries.some(Boolean)
      ? items.map((item) => (item.kind === 'file' ? item.getAsFile() : null))
      : Array.from(dataTransfer.files || []);
    return (async () => {
      const groups = [];
      const loose = [];
      let found = 0;
      for (let i = 0; i < files.length; i++) {
        const entry = entries[i];
        if (entry && entry.isDirectory) {
          const before = found;
          const inFolder = await filesOfEntry(entry, [], (n) => onFound((found = before + n)));
          groups.push({ folder: entry.name, files: inFolder.filter(isImage) });
        } else if (files[i] && isImage(files[i])) {
          loose.push(files[i]);
          onFound(++found);
        }
      }
      if (loose.length) groups.unshift({ folder: null, files: loose });
      return groups;
    })();
  }

  window.DemoFiles = { LIMITS, isImage, formatByName, reasonFor, explain, groupFailures, droppedGroups };
})();
