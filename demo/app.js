'use strict';
// The drag-and-drop demo: labels with photos dropped or picked onto them, live predictions, training
// with progress, a held-out confusion matrix, and save/load of the classifier. The model runs in a
// Web Worker (createExtractor({ worker: true })) so the page stays responsive. Photos stay in this
// page: they are embedded here, and only their embeddings are kept (thumbnails use blob: URLs).

(function () {
  const $ = (id) => document.getElementById(id);
  const IMAGE_FILE = /\.(jpe?g|png|gif|bmp|webp|avif|tga|psd|pnm|ppm|pgm|hdr)$/i;
  const MAX_THUMBS = 8;

  const state = {
    extractor: null,
    classifier: null,
    labels: [], // [{ name, examples: [{ embedding, thumb }], loaded: number }]
    busy: 0,
    current: null, // embedding of the photo in "Try it"
    webcam: null, // { stream, timer }
    dirty: false, // examples changed since the last train()
  };

  // ---- status, messages ------------------------------------------------------------------

  function setStatus(text, fraction) {
    $('status-text').textContent = text;
    const bar = $('status-bar');
    if (fraction === null || fraction === undefined) {
      bar.parentElement.classList.add('indeterminate');
    } else {
      bar.parentElement.classList.remove('indeterminate');
      bar.style.setProperty('width', `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`);
    }
  }

  function showMessage(text, kind = 'error') {
    $('message-text').textContent = text;
    $('message').dataset.kind = kind;
    $('message').hidden = false;
  }

  function explain(error) {
    if (error && error.code === 'DECODE_FAILED') return 'it is not an image, or it is damaged';
    if (error && error.code === 'UNSUPPORTED_FORMAT') return 'this browser cannot decode its format';
    if (error && error.code === 'IMAGE_TOO_LARGE') return 'it is too large';
    return error && error.message ? error.message : String(error);
  }

  async function busy(text, fn) {
    state.busy++;
    document.body.classList.add('busy');
    setStatus(text, null);
    try {
      return await fn();
    } finally {
      state.busy--;
      if (!state.busy) {
        document.body.classList.remove('busy');
        setStatus('Ready', 1);
      }
      render();
    }
  }

  // ---- files and folders ----------------------------------------------------------------

  function isImage(file) {
    return (file.type && file.type.startsWith('image/')) || IMAGE_FILE.test(file.name || '');
  }

  function readEntries(reader) {
    return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  }

  async function filesOfEntry(entry, out) {
    if (entry.isFile) {
      out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await readEntries(reader); // returns entries in chunks until empty
        if (!batch.length) break;
        for (const child of batch) await filesOfEntry(child, out);
      }
    }
    return out;
  }

  /** The dropped items as [{ folder: name | null, files: [File] }], folders walked recursively. */
  async function droppedGroups(dataTransfer) {
    const groups = [];
    const loose = [];
    const items = dataTransfer.items ? Array.from(dataTransfer.items) : [];
    const entries = items.map((item) =>
      item.kind === 'file' && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null,
    );
    if (entries.some(Boolean)) {
      const files = items.map((item) => (item.kind === 'file' ? item.getAsFile() : null));
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i];
        if (entry && entry.isDirectory)
          groups.push({ folder: entry.name, files: (await filesOfEntry(entry, [])).filter(isImage) });
        else if (files[i] && isImage(files[i])) loose.push(files[i]);
      }
    } else {
      loose.push(...Array.from(dataTransfer.files || []).filter(isImage));
    }
    if (loose.length) groups.unshift({ folder: null, files: loose });
    return groups;
  }

  // ---- labels ----------------------------------------------------------------------------

  function findLabel(name) {
    return state.labels.find((l) => l.name === name);
  }

  function addLabel(rawName) {
    const name = rawName.trim().replace(/\s+/g, ' ');
    if (!name) return null;
    const existing = findLabel(name);
    if (existing) return existing;
    const label = { name, examples: [], loaded: 0 };
    state.labels.push(label);
    render();
    return label;
  }

  async function removeLabel(label) {
    state.labels = state.labels.filter((l) => l !== label);
    label.examples.forEach((e) => e.thumb && URL.revokeObjectURL(e.thumb));
    if (state.classifier && state.classifier.labels.includes(label.name))
      await state.classifier.removeClass(label.name);
    state.dirty = true;
    await refreshPrediction();
    render();
  }

  async function addExamples(label, files) {
    if (!files.length) {
      showMessage('No images found in what was dropped (JPEG, PNG, GIF, BMP, WebP…).', 'info');
      return;
    }
    const failed = [];
    await busy(`Adding ${files.length} photo${files.length > 1 ? 's' : ''} to “${label.name}”…`, async () => {
      for (let i = 0; i < files.length; i++) {
        setStatus(`Adding photos to “${label.name}”: ${i + 1} of ${files.length}`, i / files.length);
        try {
          const embedding = await state.extractor.embed(files[i]);
          await state.classifier.addEmbedding(embedding, label.name);
          label.examples.push({ embedding, thumb: URL.createObjectURL(files[i]) });
          state.dirty = true;
          renderLabel(label);
          if (i % 4 === 3 || i === files.length - 1) await refreshPrediction();
        } catch (error) {
          failed.push(`${files[i].name || 'photo'}: ${explain(error)}`);
        }
      }
    });
    if (failed.length)
      showMessage(
        `Skipped ${failed.length} file${failed.length > 1 ? 's' : ''}: ${failed.slice(0, 3).join('; ')}${failed.length > 3 ? '…' : ''}`,
      );
  }

  // ---- predictions -----------------------------------------------------------------------

  async function classify(input, thumbUrl) {
    try {
      state.current = await state.extractor.embed(input);
      if (thumbUrl) {
        $('try-image').src = thumbUrl;
        $('try-image').hidden = false;
        $('try-empty').hidden = true;
      }
      await refreshPrediction();
    } catch (error) {
      showMessage(`Cannot classify this photo: ${explain(error)}`);
    }
  }

  async function refreshPrediction() {
    const box = $('prediction');
    const hasExamples = state.classifier && state.classifier.labels.length > 0;
    if (!state.current || !hasExamples) {
      box.dataset.state = 'empty';
      $('prediction-empty').textContent = !hasExamples
        ? 'Predictions appear here once labels have examples.'
        : 'Drop a photo above (or start the webcam) to see a prediction.';
      $('prediction-main').hidden = true;
      $('prediction-empty').hidden = false;
      $('scores').replaceChildren();
      return;
    }
    const result = await state.classifier.predictEmbedding(state.current);
    box.dataset.state = result.unknown ? 'unknown' : 'known';
    box.dataset.label = result.label;
    $('prediction-empty').hidden = true;
    $('prediction-main').hidden = false;
    // "Unknown": the photo is far from every label's examples, whatever the softmax says.
    $('prediction-label').textContent = result.unknown ? 'Unknown' : result.label;
    $('prediction-confidence').textContent = result.unknown
      ? `closest: ${result.label}`
      : `${Math.round(result.confidence * 100)}%`;
    $('prediction-unknown').hidden = !result.unknown;
    const rows = Object.entries(result.scores)
      .sort((a, b) => b[1] - a[1])
      .map(([name, p]) => {
        const li = document.createElement('li');
        li.className = name === result.label ? 'best' : '';
        const title = document.createElement('span');
        title.className = 'score-name';
        title.textContent = name;
        const bar = document.createElement('span');
        bar.className = 'score-bar';
        const fill = document.createElement('span');
        fill.className = 'score-fill';
        fill.style.setProperty('width', `${(p * 100).toFixed(1)}%`);
        bar.append(fill);
        const value = document.createElement('span');
        value.className = 'score-value';
        value.textContent = `${(p * 100).toFixed(0)}%`;
        li.append(title, bar, value);
        return li;
      });
    $('scores').replaceChildren(...rows);
  }

  // ---- webcam ----------------------------------------------------------------------------

  async function toggleWebcam() {
    if (state.webcam) {
      clearInterval(state.webcam.timer);
      state.webcam.stream.getTracks().forEach((t) => t.stop());
      state.webcam = null;
      $('webcam').hidden = true;
      $('webcam-toggle').textContent = 'Start webcam';
      render();
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage('This browser offers no webcam to this page (it needs https or localhost).', 'info');
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment', width: { ideal: 640 } },
        audio: false,
      });
      const video = $('webcam');
      video.srcObject = stream;
      await video.play();
      video.hidden = false;
      $('try-image').hidden = true;
      $('try-empty').hidden = true;
      let running = false;
      const timer = setInterval(async () => {
        if (running || state.busy || video.readyState < 2) return;
        running = true;
        try {
          state.current = await state.extractor.embed(video);
          await refreshPrediction();
        } catch {
          // a frame that could not be read: try the next one
        } finally {
          running = false;
        }
      }, 400);
      state.webcam = { stream, timer };
      $('webcam-toggle').textContent = 'Stop webcam';
      render();
    } catch (error) {
      showMessage(`The webcam is not available: ${error.message || error.name}`, 'info');
    }
  }

  /** A snapshot of the webcam as a File, to add to a label. */
  async function webcamSnapshot() {
    const video = $('webcam');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
    return new File([blob], `webcam-${Date.now()}.jpg`, { type: 'image/jpeg' });
  }

  // ---- training and evaluation -------------------------------------------------------------

  function readyToTrain() {
    return state.classifier && state.classifier.labels.filter((l) => state.classifier.exampleCount(l) > 0).length >= 2;
  }

  async function train() {
    await busy('Training…', async () => {
      const bar = $('train-bar');
      bar.parentElement.classList.add('indeterminate');
      $('train-result').textContent = 'Training…';
      try {
        const matrix = await heldOutEvaluation();
        const result = await state.classifier.train({
          onProgress: ({ step, loss }) => {
            $('train-result').textContent = `Training… step ${step}, loss ${loss.toFixed(3)}`;
          },
        });
        state.dirty = false;
        bar.parentElement.classList.remove('indeterminate');
        bar.style.setProperty('width', '100%');
        $('train-result').textContent =
          `Trained in ${Math.round(result.ms)} ms · ${result.steps} steps · training accuracy ${(result.trainAccuracy * 100).toFixed(0)}%`;
        renderConfusion(matrix);
        await refreshPrediction();
      } catch (error) {
        bar.parentElement.classList.remove('indeterminate');
        $('train-result').textContent = '';
        showMessage(`Training failed: ${explain(error)}`);
      }
    });
  }

  /**
   * Trains a throwaway classifier on 3 of every 4 examples of each label and evaluates it on the
   * 4th: an honest estimate, on photos the classifier did not see.
   */
  async function heldOutEvaluation() {
    const usable = state.labels.filter((l) => l.examples.length >= 4);
    if (usable.length < 2) return null;
    const probe = imprint.createClassifier(state.extractor);
    try {
      const heldOut = [];
      for (const label of state.labels) {
        label.examples.forEach((example, i) => {
          if (label.examples.length >= 4 && i % 4 === 3)
            heldOut.push({ label: label.name, embedding: example.embedding });
        });
        for (let i = 0; i < label.examples.length; i++) {
          if (!(label.examples.length >= 4 && i % 4 === 3))
            await probe.addEmbedding(label.examples[i].embedding, label.name);
        }
      }
      await probe.train();
      return await probe.evaluate(heldOut);
    } finally {
      probe.dispose();
    }
  }

  function renderConfusion(result) {
    const box = $('confusion');
    box.replaceChildren();
    if (!result) {
      const p = document.createElement('p');
      p.className = 'muted small';
      p.textContent = 'Add 4 or more photos to at least two labels to see a confusion matrix on held-out photos.';
      box.append(p);
      return;
    }
    const { labels, matrix } = result.confusion;
    const caption = document.createElement('p');
    caption.className = 'confusion-caption';
    caption.textContent = `Held-out photos: ${result.count} · accuracy ${(result.accuracy * 100).toFixed(0)}% · rows: true label, columns: predicted`;
    const table = document.createElement('table');
    table.id = 'confusion-table';
    table.setAttribute('aria-label', 'Confusion matrix on held-out photos');
    const head = document.createElement('tr');
    head.append(document.createElement('th'));
    for (const l of labels) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = l;
      head.append(th);
    }
    table.append(head);
    matrix.forEach((row, r) => {
      const total = row.reduce((a, b) => a + b, 0);
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = labels[r];
      tr.append(th);
      row.forEach((count, c) => {
        const td = document.createElement('td');
        td.textContent = count;
        const share = total ? count / total : 0;
        td.className = r === c ? 'hit' : count ? 'miss' : '';
        td.style.setProperty('--share', share.toFixed(3));
        tr.append(td);
      });
      table.append(tr);
    });
    box.append(caption, table);
  }

  // ---- save and load ------------------------------------------------------------------------

  async function save() {
    try {
      const bytes = await state.classifier.save();
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'imprint-classifier.imprint';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showMessage(
        `Saved ${state.classifier.labels.length} labels (${(bytes.length / 1024).toFixed(0)} KB). The file holds numbers only, no photos.`,
        'info',
      );
    } catch (error) {
      showMessage(`Cannot save: ${explain(error)}`);
    }
  }

  async function load(file) {
    await busy(`Loading ${file.name}…`, async () => {
      try {
        const loaded = await imprint.loadClassifier(state.extractor, file);
        if (state.classifier) state.classifier.dispose();
        state.classifier = loaded;
        state.labels.forEach((l) => l.examples.forEach((e) => e.thumb && URL.revokeObjectURL(e.thumb)));
        state.labels = loaded.labels.map((name) => ({ name, examples: [], loaded: loaded.exampleCount(name) }));
        state.dirty = !loaded.trained;
        $('confusion').replaceChildren();
        $('train-result').textContent = `Loaded ${file.name}: ${state.labels.length} labels.`;
        await refreshPrediction();
      } catch (error) {
        showMessage(
          error && error.code === 'MODEL_MISMATCH'
            ? 'This classifier was made with another model; it cannot be used here.'
            : error && error.code === 'HEAD_CORRUPT'
              ? `${file.name} is not an imprint classifier file, or it is damaged.`
              : `Cannot load ${file.name}: ${explain(error)}`,
        );
      }
    });
  }

  // ---- rendering ----------------------------------------------------------------------------

  /** A button that opens a hidden file input (photos, or a whole folder) and hands over its images. */
  function filePicker(text, folder, onFiles) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small';
    button.textContent = text;
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.hidden = true;
    if (folder) input.webkitdirectory = true;
    else input.accept = 'image/*';
    input.addEventListener('change', () => {
      onFiles(Array.from(input.files).filter(isImage));
      input.value = '';
    });
    button.addEventListener('click', () => input.click());
    return [button, input];
  }

  function labelCard(label) {
    const card = document.createElement('article');
    card.className = 'label-card';
    card.dataset.drop = 'label';
    card.dataset.label = label.name;
    const head = document.createElement('div');
    head.className = 'label-head';
    const title = document.createElement('h3');
    title.textContent = label.name;
    const count = document.createElement('span');
    count.className = 'count';
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'icon-button';
    remove.title = `Remove “${label.name}”`;
    remove.setAttribute('aria-label', `Remove label ${label.name}`);
    remove.textContent = '×';
    remove.addEventListener('click', () => removeLabel(label));
    head.append(title, count, remove);
    const thumbs = document.createElement('div');
    thumbs.className = 'thumbs';
    const actions = document.createElement('div');
    actions.className = 'label-actions';
    // Real buttons (keyboard and screen readers reach them) that open hidden file inputs.
    const [pick, input] = filePicker('Add photos', false, (files) => addExamples(label, files));
    const [pickFolder, folderInput] = filePicker('Add a folder', true, (files) => addExamples(label, files));
    const snap = document.createElement('button');
    snap.type = 'button';
    snap.className = 'button small snap';
    snap.textContent = 'Snap webcam';
    snap.addEventListener('click', async () => addExamples(label, [await webcamSnapshot()]));
    actions.append(pick, input, pickFolder, folderInput, snap);
    const hint = document.createElement('p');
    hint.className = 'drop-hint';
    hint.textContent = 'Drop photos or folders here';
    card.append(head, thumbs, hint, actions);
    return card;
  }

  function renderLabel(label) {
    let card = $('labels').querySelector(`.label-card[data-label="${CSS.escape(label.name)}"]`);
    if (!card) {
      card = labelCard(label);
      $('labels').append(card);
    }
    const n = label.examples.length + label.loaded;
    card.querySelector('.count').textContent = `${n} example${n === 1 ? '' : 's'}`;
    card.dataset.count = String(n);
    card.querySelector('.snap').hidden = !state.webcam;
    const thumbs = card.querySelector('.thumbs');
    const shown = label.examples.slice(-MAX_THUMBS);
    thumbs.replaceChildren(
      ...shown.map((e) => {
        const img = document.createElement('img');
        img.src = e.thumb;
        img.alt = '';
        img.loading = 'lazy';
        return img;
      }),
    );
    if (label.loaded) {
      const note = document.createElement('span');
      note.className = 'loaded-note';
      note.textContent = `${label.loaded} saved in the loaded file`;
      thumbs.append(note);
    }
    if (label.examples.length > MAX_THUMBS) {
      const more = document.createElement('span');
      more.className = 'more';
      more.textContent = `+${label.examples.length - MAX_THUMBS}`;
      thumbs.append(more);
    }
    card.classList.toggle('empty-label', n === 0);
    card.querySelector('.drop-hint').textContent =
      n === 0 ? 'Drop photos or folders here to teach this label' : 'Drop more photos here';
  }

  function render() {
    const container = $('labels');
    for (const card of container.querySelectorAll('.label-card')) {
      if (!findLabel(card.dataset.label)) card.remove();
    }
    state.labels.forEach(renderLabel);
    $('labels-empty').hidden = state.labels.length > 0;
    const total = state.labels.reduce((s, l) => s + l.examples.length + l.loaded, 0);
    $('totals').textContent = state.labels.length
      ? `${state.labels.length} label${state.labels.length > 1 ? 's' : ''} · ${total} example${total === 1 ? '' : 's'}`
      : '';
    const ready = document.body.dataset.state === 'ready';
    $('train').disabled = !ready || state.busy > 0 || !readyToTrain();
    $('save').disabled = !ready || state.busy > 0 || !state.classifier || state.classifier.labels.length === 0;
    const trained = state.classifier && state.classifier.trained && !state.dirty;
    $('trained-state').textContent = trained
      ? 'trained'
      : state.classifier && state.classifier.labels.length
        ? 'not trained yet'
        : 'no examples';
    $('trained-state').dataset.trained = trained ? 'yes' : 'no';
    $('webcam-toggle').disabled = !ready;
  }

  // ---- drag and drop ---------------------------------------------------------------------------

  function dropTarget(event) {
    return event.target.closest ? event.target.closest('[data-drop]') : null;
  }

  document.addEventListener('dragover', (event) => {
    event.preventDefault(); // never let the browser open a dropped file in place of the page
    const target = dropTarget(event);
    document.querySelectorAll('.drag-over').forEach((el) => el !== target && el.classList.remove('drag-over'));
    if (target && document.body.dataset.state === 'ready') {
      target.classList.add('drag-over');
      event.dataTransfer.dropEffect = 'copy';
    } else {
      event.dataTransfer.dropEffect = 'none';
    }
  });
  document.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) document.querySelectorAll('.drag-over').forEach((el) => el.classList.remove('drag-over'));
  });
  document.addEventListener('drop', async (event) => {
    event.preventDefault();
    document.querySelectorAll('.drag-over').forEach((el) => el.classList.remove('drag-over'));
    const target = dropTarget(event);
    if (!target || document.body.dataset.state !== 'ready') return;
    const groups = await droppedGroups(event.dataTransfer);
    if (target.dataset.drop === 'try') {
      const file = groups.flatMap((g) => g.files)[0];
      if (file) await classify(file, URL.createObjectURL(file));
      else showMessage('Drop an image file to classify it.', 'info');
      return;
    }
    if (target.dataset.drop === 'label') {
      await addExamples(
        findLabel(target.dataset.label),
        groups.flatMap((g) => g.files),
      );
      return;
    }
    // Dropped on the labels area: one new label per folder; loose photos need a label first.
    for (const group of groups) {
      if (group.folder) await addExamples(addLabel(group.folder), group.files);
      else showMessage('Drop loose photos onto a label card (or drop folders here: one label per folder).', 'info');
    }
  });

  // ---- start -----------------------------------------------------------------------------------

  function wire() {
    $('message-close').addEventListener('click', () => ($('message').hidden = true));
    for (const button of document.querySelectorAll('[data-pick]')) {
      button.addEventListener('click', () => $(button.dataset.pick).click());
    }
    $('add-label').addEventListener('submit', (event) => {
      event.preventDefault();
      const label = addLabel($('label-name').value);
      if (label) $('label-name').value = '';
    });
    $('try-file').addEventListener('change', () => {
      const file = $('try-file').files[0];
      if (file) classify(file, URL.createObjectURL(file));
      $('try-file').value = '';
    });
    $('train').addEventListener('click', train);
    $('save').addEventListener('click', save);
    $('load').addEventListener('change', () => {
      const file = $('load').files[0];
      if (file) load(file);
      $('load').value = '';
    });
    $('webcam-toggle').addEventListener('click', toggleWebcam);
  }

  async function start() {
    wire();
    render();
    if (typeof imprint === 'undefined') {
      document.body.dataset.state = 'error';
      setStatus('Could not load imprint.js', 1);
      showMessage(
        'The imprint library did not load. Build it first (scripts/build.sh) and serve this page with node demo/serve.js.',
      );
      return;
    }
    try {
      state.extractor = await imprint.createExtractor({
        worker: typeof Worker === 'function',
        onProgress: (e) => {
          if (e.stage === 'model' && e.total)
            setStatus(
              `Downloading the model: ${(e.loaded / 1e6).toFixed(1)} of ${(e.total / 1e6).toFixed(1)} MB`,
              e.loaded / e.total,
            );
          else if (e.stage === 'core') setStatus('Starting…', null);
        },
      });
      state.classifier = imprint.createClassifier(state.extractor);
      document.body.dataset.state = 'ready';
      setStatus('Ready', 1);
      render();
      $('label-name').focus();
    } catch (error) {
      document.body.dataset.state = 'error';
      setStatus('The model could not be loaded', 1);
      showMessage(`The model could not be loaded: ${explain(error)}. Reload the page to try again.`);
    }
  }

  start();
})();
