'use strict';
// The demo page: labels with photos added by drag-and-drop, pickers or webcam bursts, live
// predictions, training with an honest held-out check, save/load of the classifier, and the
// project kept in this browser (IndexedDB) so a reload loses nothing. The model runs in a Web
// Worker (createExtractor({ worker: true })). Photos stay in this page: only their embeddings
// and small thumbnails are kept.
//
// The page's own state (state.labels) is the project; the classifier follows it. Every change to
// the classifier, and every read of it, runs through serial() in order, so an edit made while
// photos are still being added (a label removed, an example removed) is never undone by them.
//
// Loaded before it: project.js (IndexedDB, the classifier file's examples, thumbnails), files.js
// (which files can be used, and why not) and notes.js (messages, announcements, progress bars).

(function () {
  const $ = (id) => document.getElementById(id);
  const { LIMITS, isImage, formatByName, reasonFor, explain, groupFailures, droppedGroups } = window.DemoFiles;
  const { setProgress, announce, note, progressIn, plural, quote } = window.DemoNotes;
  const THUMBS_SHOWN = 11;
  const FEW_EXAMPLES = 5;
  const SAVED_NAME = 'imprint-classifier.imprint';
  const TOUCH = window.matchMedia && matchMedia('(pointer: coarse)').matches;
  // Ids made in this tab: two tabs of the page writing the same project never reuse each other's.
  const TAB = Math.random().toString(36).slice(2, 8);

  const state = {
    extractor: null,
    classifier: null,
    labels: [], // [{ id, name, examples: [{ id, seq, embedding, thumb, url, source }], removed }]
    nextId: 1,
    nextSeq: 1,
    busy: 0, // batches of photos, recordings, trainings in progress
    training: false,
    current: null, // { embedding, source: 'photo' | 'webcam' } shown in "Try it"
    webcam: null, // { stream, timer }
    recording: null, // { label, stop }
    version: 0, // bumped whenever the examples change
    trainedVersion: -1, // version of the last training
    savedVersion: 0, // version last saved to (or loaded from) a file
    lastTrain: null, // { result, matrix, examples }
    pendingDuplicate: null,
    expanded: new Set(), // label ids whose every example is shown
  };

  // ---- one classifier operation at a time ----------------------------------------------------

  let queue = Promise.resolve();
  /** Runs fn after every operation queued before it; never await serial() inside fn. */
  function serial(fn) {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  }

  // ---- status, announcements, notes --------------------------------------------------------

  function setStatus(text, fraction) {
    $('status-text').textContent = text;
    setProgress($('status-bar'), fraction);
  }

  function showFatal(text) {
    $('message-text').textContent = text;
    $('message').hidden = false;
  }

  // ---- labels and examples -----------------------------------------------------------------

  function findLabel(name) {
    return state.labels.find((l) => l.name === name);
  }

  function cleanName(raw) {
    return raw.trim().replace(/\s+/g, ' ');
  }

  function newLabel(name) {
    const label = { id: `l${TAB}-${state.nextId++}`, name, examples: [], removed: false };
    state.labels.push(label);
    persistSoon();
    render();
    return label;
  }

  /** From the form: trimmed, an existing label reused, a label differing only in case added on a second try. */
  function addLabelFromForm() {
    const input = $('label-name');
    const name = cleanName(input.value);
    if (!name) {
      input.value = '';
      note('labels-notes', { text: 'A label needs a name (spaces alone do not count).', kind: 'warn', key: 'label' });
      return;
    }
    const same = findLabel(name);
    if (same) {
      note('labels-notes', { text: `${quote(name)} is a label already: add photos to it below.`, key: 'label' });
      cardOf(same).querySelector('.add-photos').focus();
      input.value = '';
      return;
    }
    const lower = name.toLocaleLowerCase();
    const similar = state.labels.find((l) => l.name.toLocaleLowerCase() === lower);
    if (similar && state.pendingDuplicate !== name) {
      state.pendingDuplicate = name;
      note('labels-notes', {
        text: `${quote(similar.name)} is a label already, and ${quote(name)} differs from it only in case. Press Add label again to keep both, or add photos to ${quote(similar.name)}.`,
        kind: 'warn',
        key: 'label',
      });
      return;
    }
    state.pendingDuplicate = null;
    input.value = '';
    $('labels-notes')
      .querySelectorAll('.note[data-key="label"]')
      .forEach((n) => n.remove());
    newLabel(name);
  }

  /** Adds one example to a label (unless it was removed meanwhile); true when added. */
  function addExample(label, embedding, thumb, source) {
    return serial(async () => {
      if (label.removed) return false;
      await state.classifier.addEmbedding(embedding, label.name);
      const example = { id: `e${TAB}-${state.nextSeq}`, seq: state.nextSeq++, embedding, thumb, url: null, source };
      label.examples.push(example);
      state.version++;
      persistExample(label, example);
      renderLabel(label);
      return true;
    });
  }

  function revoke(example) {
    if (example.url) URL.revokeObjectURL(example.url);
    example.url = null;
  }

  function removeLabel(label) {
    if (label.removed) return;
    label.removed = true;
    state.labels = state.labels.filter((l) => l !== label);
    const had = label.examples.length;
    if (had) state.version++;
    serial(async () => {
      if (state.classifier.labels.includes(label.name)) await state.classifier.removeClass(label.name);
      await refreshNow();
    });
    persist.remove.push(...label.examples.map((e) => e.id));
    persistSoon();
    render();
    const undone = note('labels-notes', {
      text: `Removed ${quote(label.name)}${had ? ` and its ${plural(had, 'example')}` : ''}.`,
      key: 'removed',
      actions: [{ text: 'Undo', label: `Undo removing ${label.name}`, run: () => restoreLabel(label) }],
    });
    undone.querySelector('.note-actions button').focus(); // focus stays near where it was, not on <body>
  }

  function restoreLabel(label) {
    if (!label.removed || findLabel(label.name)) return;
    label.removed = false;
    state.labels.push(label);
    const examples = label.examples;
    label.examples = [];
    for (const example of examples) {
      serial(async () => {
        await state.classifier.addEmbedding(example.embedding, label.name);
        label.examples.push(example);
        state.version++;
        persistExample(label, example);
      });
    }
    serial(refreshNow).then(() => {
      render();
      announce(`${quote(label.name)} is back with ${plural(label.examples.length, 'example')}.`);
    });
    persistSoon();
    render();
    cardOf(label).querySelector('.add-photos').focus();
  }

  /** Removes one example: the classifier is rebuilt from the page's examples (it cannot drop one). */
  function removeExample(label, example) {
    const index = label.examples.indexOf(example);
    if (index < 0) return;
    label.examples.splice(index, 1);
    revoke(example);
    state.version++;
    persist.remove.push(example.id);
    persistSoon();
    serial(async () => {
      await rebuildClassifier();
      await refreshNow();
    });
    render();
    const card = cardOf(label);
    const next = card.querySelectorAll('.remove-example')[Math.min(index, label.examples.length - 1)];
    (next || card.querySelector('.add-photos')).focus();
    announce(`Removed an example from ${quote(label.name)}; ${plural(label.examples.length, 'example')} left.`);
  }

  /** Clears the classifier and adds every example again, in the order they were first added. */
  async function rebuildClassifier() {
    await state.classifier.clear();
    const all = state.labels.flatMap((label) => label.examples.map((example) => ({ label, example })));
    all.sort((a, b) => a.example.seq - b.example.seq);
    for (const { label, example } of all) await state.classifier.addEmbedding(example.embedding, label.name);
  }

  /**
   * Adds files to labels: jobs = [{ label, files }]. Progress shows in `place.progress` (already
   * visible since the drop), one message with every skipped file and its reason goes to
   * `place.notes`, and one announcement is made for the whole batch.
   */
  async function addFiles(jobs, place) {
    const total = jobs.reduce((s, j) => s + j.files.length, 0);
    const failed = [];
    const perLabel = new Map();
    let removedMeanwhile = 0;
    if (!total) {
      place.progress.finish();
      note(place.notes, {
        text: 'No images found in what was added (JPEG, PNG, GIF, BMP, WebP, AVIF…).',
        kind: 'warn',
        key: 'added',
      });
      return;
    }
    state.busy++;
    render();
    let done = 0;
    try {
      for (const { label, files } of jobs) {
        for (const file of files) {
          const line = `Adding photos to ${quote(label.name)}: ${done + 1} of ${total}`;
          place.progress.set(done, total, line);
          setStatus(line, done / total);
          if (label.removed) {
            removedMeanwhile++;
          } else {
            const format = formatByName(file);
            if (format) {
              failed.push({ file: file.name, reason: format.advice });
            } else {
              try {
                // The thumbnail is decoded by the browser while the worker embeds.
                const [embedding, thumb] = await Promise.all([
                  state.extractor.embed(file),
                  DemoProject.makeThumbnail(file),
                ]);
                if (await addExample(label, embedding, thumb, 'photo'))
                  perLabel.set(label, (perLabel.get(label) || 0) + 1);
                else removedMeanwhile++;
              } catch (error) {
                failed.push({ file: file.name || 'photo', reason: await reasonFor(file, error) });
              }
            }
          }
          done++;
          if (done % 8 === 0) serial(refreshNow);
        }
      }
    } finally {
      place.progress.finish();
      await serial(refreshNow); // also when the last file failed: new labels get their bar
      state.busy--;
      setStatus('Ready', 1);
      persistSoon();
      render();
    }
    const added = [...perLabel].map(([label, n]) => `${n} to ${quote(label.name)}`);
    const addedCount = [...perLabel.values()].reduce((a, b) => a + b, 0);
    let text = addedCount
      ? `Added ${plural(addedCount, 'photo')}${jobs.length > 1 ? ` (${added.join(', ')})` : ''}.`
      : 'No photo was added.';
    if (failed.length) text += ` Skipped ${plural(failed.length, 'file')}.`;
    if (removedMeanwhile) text += ` ${plural(removedMeanwhile, 'photo')} not added: the label was removed.`;
    if (failed.length) note(place.notes, { text, kind: 'warn', groups: groupFailures(failed), key: 'added' });
    else if (jobs.length > 1 || removedMeanwhile) note(place.notes, { text, key: 'added' });
    else announce(text);
  }

  function addToLabel(label, files) {
    const card = cardOf(label);
    return addFiles([{ label, files }], {
      progress: progressIn(card.querySelector('.card-progress'), `Adding photos to ${quote(label.name)}…`),
      notes: card.querySelector('.notes'),
    });
  }

  // ---- webcam ---------------------------------------------------------------------------------

  async function startWebcam() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      note('try-notes', {
        text: 'This browser offers no webcam to this page (it needs https or localhost).',
        kind: 'warn',
      });
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment', width: { ideal: 640 } },
        audio: false,
      });
    } catch (error) {
      note('try-notes', {
        text: `The webcam could not be started: ${error && error.name === 'NotAllowedError' ? 'permission was refused' : explain(error)}.`,
        kind: 'error',
      });
      return;
    }
    const video = $('webcam');
    video.srcObject = stream;
    await video.play();
    state.webcam = { stream, timer: 0 };
    showTry('webcam');
    let running = false;
    state.webcam.timer = setInterval(async () => {
      if (running || state.recording || !state.webcam || video.readyState < 2) return;
      running = true;
      try {
        const embedding = await state.extractor.embed(video);
        if (!state.webcam) return;
        state.current = { embedding, source: 'webcam' };
        await serial(refreshNow);
      } catch {
        /* a frame that could not be read: the next one will do */
      } finally {
        running = false;
      }
    }, 400);
    $('webcam-toggle').textContent = 'Stop webcam';
    render();
  }

  function stopWebcam() {
    if (!state.webcam) return;
    clearInterval(state.webcam.timer);
    state.webcam.stream.getTracks().forEach((t) => t.stop());
    state.webcam = null;
    stopRecording();
    const video = $('webcam');
    video.srcObject = null;
    if (state.current && state.current.source === 'webcam') state.current = null;
    showTry('nothing');
    $('webcam-toggle').textContent = 'Start webcam';
    serial(refreshNow);
    render();
  }

  async function recordInto(label, button) {
    if (state.recording || !state.webcam) return;
    const recording = { label, stop: false, count: 0 };
    state.recording = recording;
    state.busy++;
    button.classList.add('recording');
    button.setAttribute('aria-pressed', 'true');
    render();
    try {
      do {
        const video = $('webcam');
        const started = performance.now();
        try {
          const thumb = await DemoProject.makeThumbnail(video); // the frame that is embedded next
          const embedding = await state.extractor.embed(video);
          if (await addExample(label, embedding, thumb, 'webcam')) recording.count++;
        } catch (error) {
          note(cardOf(label).querySelector('.notes'), {
            text: `A frame could not be read: ${explain(error)}`,
            kind: 'warn',
          });
          break;
        }
        const rest = 150 - (performance.now() - started);
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      } while (!recording.stop && state.webcam && !label.removed);
    } finally {
      state.recording = null;
      state.busy--;
      button.classList.remove('recording');
      button.setAttribute('aria-pressed', 'false');
      await serial(refreshNow);
      persistSoon();
      render();
      announce(`Recorded ${plural(recording.count, 'frame')} into ${quote(label.name)}.`);
    }
  }

  function stopRecording() {
    if (state.recording) state.recording.stop = true;
  }

  /** Hold to record (pointer, Space or Enter held); a screen reader's click records one frame. */
  function recordButton(label) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small record';
    button.setAttribute('aria-pressed', 'false');
    let held = false;
    button.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      held = true;
      button.setPointerCapture(event.pointerId);
      recordInto(label, button);
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'])
      button.addEventListener(type, stopRecording);
    button.addEventListener('keydown', (event) => {
      if (event.key !== ' ' && event.key !== 'Enter') return;
      event.preventDefault(); // no click: the key's release ends the recording
      held = true;
      if (!event.repeat) recordInto(label, button);
    });
    button.addEventListener('keyup', (event) => {
      if (event.key !== ' ' && event.key !== 'Enter') return;
      event.preventDefault();
      stopRecording();
    });
    button.addEventListener('blur', stopRecording);
    button.addEventListener('click', (event) => {
      if (held) {
        held = false;
        return;
      }
      if (event.detail === 0) {
        recordInto(label, button); // activated without a press to hold: one frame
        stopRecording();
      }
    });
    return button;
  }

  // ---- predictions ------------------------------------------------------------------------------

  function showTry(what, url) {
    const drop = $('try-drop');
    drop.dataset.showing = what;
    $('webcam').hidden = what !== 'webcam';
    $('try-image').hidden = what !== 'photo';
    if (what === 'photo') {
      if ($('try-image').src.startsWith('blob:')) URL.revokeObjectURL($('try-image').src);
      $('try-image').src = url;
    }
    $('try-pick').querySelector('.try-pick-main').textContent =
      what === 'photo' ? 'Choose another photo' : what === 'webcam' ? 'Choose a photo instead' : 'Choose a photo';
    $('try-pick-hint').hidden = what !== 'nothing';
    $('try-pick-hint').textContent = TOUCH
      ? 'to see what the classifier makes of it'
      : 'or drop one here, to see what the classifier makes of it';
  }

  async function classify(file) {
    if (state.webcam) stopWebcam();
    try {
      const embedding = await state.extractor.embed(file);
      state.current = { embedding, source: 'photo' };
      showTry('photo', URL.createObjectURL(file));
      await serial(refreshNow);
      const box = $('prediction');
      if (box.dataset.state !== 'empty') {
        announce(
          box.dataset.state === 'unknown'
            ? `Unknown: not like any of your examples; the nearest is ${quote(box.dataset.label)}.`
            : `Prediction: ${box.dataset.label}, ${$('prediction-confidence').textContent}.`,
        );
      }
    } catch (error) {
      note('try-notes', {
        text: `Cannot classify ${file.name || 'this photo'}: ${await reasonFor(file, error)}.`,
        kind: 'error',
      });
    }
  }

  /** Shows the prediction for the photo in "Try it"; call inside serial(). */
  async function refreshNow() {
    const box = $('prediction');
    const labels = state.classifier ? state.classifier.labels : [];
    if (!state.current || !labels.length) {
      box.dataset.state = 'empty';
      delete box.dataset.label;
      $('prediction-empty').textContent = !labels.length
        ? 'Predictions appear here once labels have examples.'
        : TOUCH
          ? 'Choose a photo (or start the webcam) to see a prediction.'
          : 'Choose or drop a photo above (or start the webcam) to see a prediction.';
      $('prediction-main').hidden = true;
      $('prediction-explain').hidden = true;
      $('prediction-empty').hidden = false;
      $('scores').replaceChildren();
      return;
    }
    const result = await state.classifier.predictEmbedding(state.current.embedding);
    box.dataset.state = result.unknown ? 'unknown' : 'known';
    box.dataset.label = result.label;
    $('prediction-empty').hidden = true;
    $('prediction-main').hidden = false;
    $('prediction-label').textContent = result.unknown ? 'Unknown' : result.label;
    $('prediction-label').title = result.label;
    $('prediction-confidence').textContent = result.unknown
      ? `closest: ${result.label}`
      : `${Math.round(result.confidence * 100)}%`;
    $('prediction-unknown').hidden = !result.unknown;
    const explain = $('prediction-explain');
    explain.hidden = !result.unknown;
    explain.textContent = result.unknown
      ? `Not like any of your examples: the nearest is ${quote(result.label)}, and it is still far. If this photo belongs to a label, add photos like it to that label. The grey bars only say how the classifier would split it if it had to choose.`
      : '';
    // Scores by the classifier's own labels, read as own properties: any label works, '__proto__' too.
    const score = (name) => {
      const own = Object.getOwnPropertyDescriptor(result.scores, name);
      return own ? own.value : 0;
    };
    const rows = labels
      .map((name) => [name, score(name)])
      .sort((a, b) => b[1] - a[1])
      .map(([name, p]) => {
        const li = document.createElement('li');
        li.className = name === result.label ? 'best' : '';
        const title = document.createElement('span');
        title.className = 'score-name';
        title.textContent = name;
        title.title = name;
        const bar = document.createElement('span');
        bar.className = 'score-bar';
        bar.setAttribute('aria-hidden', 'true');
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

  // ---- training and the held-out check --------------------------------------------------------

  function labelsWithExamples() {
    return state.labels.filter((l) => l.examples.length > 0);
  }

  /** Why Train cannot run now, or null. */
  function whyNoTraining() {
    if (document.body.dataset.state !== 'ready') return 'Train is available once the model has loaded.';
    if (state.training) return 'Training…';
    if (state.busy) return 'Train is available once the photos being added are in.';
    const ready = labelsWithExamples();
    if (ready.length >= 2) return null;
    if (!state.labels.length) return 'To train, add two labels and photos to each.';
    const empty = state.labels.filter((l) => !l.examples.length).map((l) => quote(l.name));
    if (state.labels.length === 1) return `To train, add a second label: a classifier needs two to choose between.`;
    return `To train, add photos to at least two labels (no photos yet: ${empty.join(', ')}).`;
  }

  function fewExamplesWarning() {
    const few = labelsWithExamples().filter((l) => l.examples.length < FEW_EXAMPLES);
    if (!few.length) return '';
    const list = few.map((l) => `${quote(l.name)} has ${l.examples.length}`).join(', ');
    return `Few examples: ${list}. Training works, but ${FEW_EXAMPLES} or more photos per label give steadier results.`;
  }

  function isTrained() {
    return state.trainedVersion === state.version && state.classifier && state.classifier.trained;
  }

  async function train({ quiet = false, restoring = false } = {}) {
    const why = restoring ? (labelsWithExamples().length >= 2 ? null : 'fewer than two labels') : whyNoTraining();
    if (why) {
      if (!quiet && !state.training) note('file-notes', { text: why, kind: 'warn', key: 'train' });
      return;
    }
    state.training = true;
    state.busy++;
    render();
    setProgress($('train-bar'), null);
    $('train-result').textContent = 'Training…';
    try {
      await serial(async () => {
        const version = state.version;
        const examples = state.labels.reduce((s, l) => s + l.examples.length, 0);
        const matrix = await heldOutEvaluation();
        const result = await state.classifier.train({
          onProgress: ({ step, loss }) => {
            $('train-result').textContent = `Training… step ${step}, loss ${loss.toFixed(3)}`;
          },
        });
        state.trainedVersion = version;
        state.lastTrain = { result, matrix, examples };
        await refreshNow();
      });
      setProgress($('train-bar'), 1);
      const { result, matrix } = state.lastTrain;
      if (!quiet) {
        announce(
          `Trained in ${Math.round(result.ms)} ms.${matrix ? ` Held-out check: ${(matrix.accuracy * 100).toFixed(0)}% of ${matrix.count} photos right.` : ''}`,
        );
      }
    } catch (error) {
      setProgress($('train-bar'), 0);
      note('file-notes', { text: `Training failed: ${explain(error)}`, kind: 'error', key: 'train' });
    } finally {
      state.training = false;
      state.busy--;
      persistSoon();
      render();
    }
  }

  /**
   * Trains a throwaway classifier on 3 of every 4 examples of each label and evaluates it on the
   * 4th: an honest estimate, on photos the classifier did not see. Loaded examples count too.
   */
  async function heldOutEvaluation() {
    const usable = state.labels.filter((l) => l.examples.length >= 4);
    if (usable.length < 2) return null;
    const probe = imprint.createClassifier(state.extractor);
    try {
      const heldOut = [];
      for (const label of state.labels) {
        for (let i = 0; i < label.examples.length; i++) {
          const embedding = label.examples[i].embedding;
          if (label.examples.length >= 4 && i % 4 === 3) heldOut.push({ label: label.name, embedding });
          else await probe.addEmbedding(embedding, label.name);
        }
      }
      await probe.train();
      // Labels with fewer than 4 examples have no held-out photo; evaluate only what is held out.
      return await probe.evaluate(heldOut);
    } finally {
      probe.dispose();
    }
  }

  function renderTraining() {
    const trained = isTrained();
    const hasExamples = labelsWithExamples().length > 0;
    const stale = state.lastTrain && !trained;
    const badge = $('trained-state');
    badge.textContent = trained
      ? 'trained'
      : stale && hasExamples
        ? 'out of date'
        : hasExamples
          ? 'not trained yet'
          : 'no examples';
    badge.dataset.trained = trained ? 'yes' : 'no';
    const why = whyNoTraining();
    const train = $('train');
    train.setAttribute('aria-disabled', String(Boolean(why)));
    $('train-why').textContent = state.training ? '' : why || fewExamplesWarning();
    $('train-why').dataset.kind = why ? 'why' : 'warn';
    const result = $('train-result');
    const box = $('confusion');
    if (state.training) return;
    setProgress($('train-bar'), trained ? 1 : 0);
    if (!state.lastTrain) {
      result.textContent = '';
      box.replaceChildren();
      return;
    }
    const { result: r, matrix, examples } = state.lastTrain;
    if (stale) {
      result.textContent = hasExamples
        ? `The examples changed after the last training (on ${plural(examples, 'example')}): train again to update the classifier and the check.`
        : '';
      box.replaceChildren();
      return;
    }
    result.textContent = r
      ? `Trained in ${Math.round(r.ms)} ms · ${r.steps} steps · ${plural(examples, 'example')} · training accuracy ${(r.trainAccuracy * 100).toFixed(0)}%`
      : `Trained (loaded from a file) · ${plural(examples, 'example')}`;
    renderConfusion(matrix);
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
    const corner = document.createElement('td');
    head.append(corner);
    for (const l of labels) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = l;
      th.title = l;
      head.append(th);
    }
    table.append(head);
    matrix.forEach((row, r) => {
      const total = row.reduce((a, b) => a + b, 0);
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = labels[r];
      th.title = labels[r];
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

  // ---- save, load, start over ------------------------------------------------------------------

  function exampleTotal() {
    return state.labels.reduce((s, l) => s + l.examples.length, 0);
  }

  function unsaved() {
    return exampleTotal() > 0 && state.savedVersion !== state.version;
  }

  /** Asks before the project is replaced; resolves true to go on. */
  async function confirmReplace(what, go) {
    if (!unsaved()) return true;
    const dialog = $('confirm');
    $('confirm-title').textContent = `${what}?`;
    $('confirm-text').textContent =
      `Your project (${plural(state.labels.length, 'label')}, ${plural(exampleTotal(), 'example')}) has changes that are not saved to a file. ${what} replaces it in this browser.`;
    $('confirm-go').textContent = go;
    const choice = await new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue || 'cancel'), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
    });
    if (choice === 'save') return save();
    return choice === 'go';
  }

  async function save() {
    if (!state.classifier || !state.classifier.labels.length) {
      note('file-notes', {
        text: 'Add photos to a label before saving: there is nothing to save yet.',
        kind: 'warn',
        key: 'save',
      });
      return false;
    }
    try {
      const version = state.version;
      const bytes = await serial(() => state.classifier.save());
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = SAVED_NAME;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      state.savedVersion = version;
      persistSoon();
      showExport(SAVED_NAME);
      note('file-notes', {
        text: `Saved ${plural(state.classifier.labels.length, 'label')} as ${SAVED_NAME} (${(bytes.length / 1024).toFixed(0)} KB, in your downloads). The file holds numbers only, no photos; how to use it is below.`,
        key: 'save',
      });
      render();
      return true;
    } catch (error) {
      note('file-notes', { text: `Cannot save: ${explain(error)}`, kind: 'error', key: 'save' });
      return false;
    }
  }

  function showExport(fileName) {
    $('export-file-1').textContent = fileName;
    $('export-page').textContent = [
      '<script src="lib/imprint.js"></script>',
      '<script>',
      '(async () => {',
      '  const extractor = await imprint.createExtractor({ worker: true });',
      `  const file = await fetch('${fileName}');`,
      '  const classifier = await imprint.loadClassifier(extractor, new Uint8Array(await file.arrayBuffer()));',
      "  const { label, confidence, unknown } = await classifier.predict(document.querySelector('img'));",
      '})();',
      '</script>',
    ].join('\n');
    $('export-node').textContent = [
      "const fs = require('node:fs');",
      "const { createExtractor, loadClassifier } = require('imprint');",
      '',
      '(async () => {',
      '  const extractor = await createExtractor();',
      `  const classifier = await loadClassifier(extractor, fs.readFileSync('${fileName}'));`,
      "  console.log(await classifier.predict('photo.jpg')); // { label, confidence, scores, unknown }",
      '})();',
    ].join('\n');
    $('export-cli').textContent = `npx imprint predict ${fileName} photo.jpg`;
    $('export').hidden = false;
  }

  /** Copies a code block; where the clipboard is refused, selects it for Ctrl+C instead. */
  async function copy(button) {
    const code = $(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(code.textContent);
      note('export-notes', { text: 'Copied.', key: 'copy', timeout: 4000 });
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      note('export-notes', { text: 'Selected: press Ctrl+C (or ⌘C) to copy.', key: 'copy' });
    }
  }

  /** Replaces the page's project: labels [{ name, examples: [{ embedding, thumb, source }] }]. */
  function replaceProject(labels) {
    for (const label of state.labels) {
      label.removed = true;
      label.examples.forEach(revoke);
    }
    state.labels = labels.map(({ name, examples }) => ({
      id: `l${TAB}-${state.nextId++}`,
      name,
      removed: false,
      examples: examples.map((e) => ({ id: `e${TAB}-${state.nextSeq}`, seq: state.nextSeq++, url: null, ...e })),
    }));
    state.version++;
    state.lastTrain = null;
    state.expanded.clear();
    document.querySelectorAll('.note[data-key="restored"], .note[data-key="removed"]').forEach((n) => n.remove());
    $('labels')
      .querySelectorAll('.label-card')
      .forEach((card) => card.remove());
  }

  async function load(file) {
    if (!(await confirmReplace('Load another classifier', 'Load and replace'))) return;
    state.busy++;
    render();
    setStatus(`Loading ${file.name}…`, null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      // Read before the library may take the bytes; its own checks decide whether the file is good.
      let contents = null;
      try {
        contents = DemoProject.readClassifierFile(bytes);
      } catch {
        /* the library says what is wrong with it */
      }
      const loaded = await imprint.loadClassifier(state.extractor, bytes);
      if (!contents) {
        loaded.dispose();
        throw Object.assign(new Error('not readable'), { code: 'HEAD_CORRUPT' });
      }
      await serial(async () => {
        if (state.classifier) state.classifier.dispose();
        state.classifier = loaded;
        replaceProject(
          contents.labels.map((name, index) => ({
            name,
            examples: contents.examples
              .filter((e) => e.label === index)
              .map((e) => ({ embedding: e.embedding, thumb: null, source: e.summary ? 'summary' : 'file' })),
          })),
        );
        state.savedVersion = state.version;
        state.trainedVersion = loaded.trained ? state.version : -1;
        state.lastTrain = loaded.trained
          ? { result: null, matrix: await heldOutEvaluation(), examples: exampleTotal() }
          : null;
        await refreshNow();
      });
      persistAll();
      const summaries = contents.examples.filter((e) => e.summary).length;
      note('file-notes', {
        text: `Loaded ${file.name}: ${plural(state.labels.length, 'label')}, ${plural(contents.examples.length - summaries, 'example')}${summaries ? ` (${plural(summaries, 'label')} saved without examples: each keeps one summary example)` : ''}. A classifier file holds no photos, so its examples show as numbered tiles.`,
        key: 'load',
      });
    } catch (error) {
      note('file-notes', {
        text:
          error && error.code === 'MODEL_MISMATCH'
            ? `${file.name} was made with another model; it cannot be used here.`
            : error && error.code === 'HEAD_CORRUPT'
              ? `${file.name} is not an imprint classifier file, or it is damaged.`
              : `Cannot load ${file.name}: ${explain(error)}`,
        kind: 'error',
        key: 'load',
      });
    } finally {
      state.busy--;
      setStatus('Ready', 1);
      render();
    }
  }

  async function startOver() {
    if (!state.labels.length) return;
    if (!(await confirmReplace('Start over', 'Start over'))) return;
    await serial(async () => {
      await state.classifier.clear();
      replaceProject([]);
      state.savedVersion = state.version;
      state.trainedVersion = -1;
      await refreshNow();
    });
    persistAll();
    render();
    $('label-name').focus();
    announce('Started over: no labels.');
  }

  // ---- keeping the project in this browser ------------------------------------------------------

  const persist = { store: null, put: new Map(), remove: [], clear: false, timer: 0, writing: null, failed: false };
  // Other tabs of this page keep the same project: each tells the others when it wrote.
  const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('imprint-demo-project') : null;
  if (tabs) {
    tabs.onmessage = () =>
      note('labels-notes', {
        text: 'Another tab or window of this page just changed the project kept in this browser. Work in one of them: reload this one to see those changes (what this tab has not saved to a file is replaced).',
        kind: 'warn',
        key: 'other-tab',
        timeout: 0,
        actions: [{ text: 'Reload', label: 'Reload this page', run: () => location.reload() }],
      });
  }

  function projectRecord() {
    return {
      format: 1,
      modelHash: state.extractor.info.modelHash,
      labels: state.labels.map((l) => ({ id: l.id, name: l.name })),
      trained: isTrained(),
      saved: state.savedVersion === state.version,
    };
  }

  function exampleRecord(label, example) {
    const { id, seq, embedding, thumb, source } = example;
    return { id, labelId: label.id, seq, embedding, thumb, source };
  }

  function persistExample(label, example) {
    persist.put.set(example.id, exampleRecord(label, example));
    persistSoon();
  }

  /** Writes the whole project again (after a load or start over). */
  function persistAll() {
    persist.clear = true;
    persist.remove = [];
    persist.put.clear();
    for (const label of state.labels) for (const e of label.examples) persist.put.set(e.id, exampleRecord(label, e));
    persistSoon();
  }

  function persistSoon() {
    if (!persist.store || !state.extractor) return;
    // At most one write per 150 ms, also during a long batch (a debounce would wait for its end).
    if (!persist.timer) persist.timer = setTimeout(flush, 150);
  }

  async function flush() {
    persist.timer = 0;
    if (persist.writing) await persist.writing;
    if (persist.timer) return; // a newer flush is scheduled
    const write = {
      project: projectRecord(),
      put: [...persist.put.values()],
      remove: persist.remove,
      clear: persist.clear,
    };
    persist.put = new Map();
    persist.remove = [];
    persist.clear = false;
    persist.writing = persist.store
      .write(write)
      .then(() => {
        persist.failed = false;
        if (tabs) tabs.postMessage('written');
      })
      .catch((error) => {
        if (!persist.failed)
          note('file-notes', {
            text: `This browser did not keep your project (${error && error.name ? error.name : error}): save it to a file before you leave.`,
            kind: 'error',
            timeout: 0,
            key: 'persist',
          });
        persist.failed = true;
      })
      .finally(() => (persist.writing = null));
    await persist.writing;
  }

  function writesPending() {
    return Boolean(persist.timer || persist.writing || persist.put.size || persist.remove.length || persist.clear);
  }

  /** Restores the project this browser kept, if it was made with this model. */
  async function restore() {
    persist.store = await DemoProject.openStore();
    if (!persist.store) {
      note('file-notes', {
        text: 'This browser keeps nothing for this page (private window?): save your classifier to a file before you leave.',
        kind: 'warn',
        timeout: 0,
      });
      return;
    }
    let kept;
    try {
      kept = await persist.store.read();
    } catch {
      kept = null;
    }
    if (!kept || !kept.project.labels.length) return;
    const { project, examples } = kept;
    if (project.format !== 1 || project.modelHash !== state.extractor.info.modelHash) {
      note('labels-notes', {
        text: 'The project kept in this browser was made with another model (or another version of this page), so its examples cannot be used: it will be replaced.',
        kind: 'warn',
      });
      return;
    }
    setStatus('Restoring your project…', null);
    const byLabel = new Map(project.labels.map((l) => [l.id, { ...l, examples: [], removed: false }]));
    examples.sort((a, b) => a.seq - b.seq);
    for (const e of examples) {
      const label = byLabel.get(e.labelId);
      if (!label)
        persist.remove.push(e.id); // left by a label another tab removed
      else
        label.examples.push({
          id: e.id,
          seq: e.seq,
          embedding: e.embedding,
          thumb: e.thumb,
          url: null,
          source: e.source,
        });
    }
    state.labels = [...byLabel.values()];
    state.nextSeq = 1 + Math.max(0, ...examples.map((e) => e.seq));
    await serial(rebuildClassifier);
    state.version = 1;
    state.savedVersion = project.saved ? 1 : 0;
    render();
    if (project.trained) await train({ quiet: true, restoring: true });
    const total = exampleTotal();
    note('labels-notes', {
      text: `Restored your project from this browser: ${plural(state.labels.length, 'label')}, ${plural(total, 'example')}.`,
      key: 'restored',
    });
  }

  // ---- rendering ----------------------------------------------------------------------------------

  /** A button that opens a hidden file input (photos, or a whole folder) and hands over its images. */
  function filePicker(text, name, folder, onFiles) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `button small ${folder ? 'add-folder' : 'add-photos'}`;
    button.textContent = text;
    button.setAttribute('aria-label', `${text} to ${name}`);
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.hidden = true;
    input.tabIndex = -1;
    if (folder) input.webkitdirectory = true;
    else input.accept = 'image/*,.heic,.heif,.tif,.tiff';
    input.addEventListener('change', () => {
      onFiles(Array.from(input.files).filter(isImage));
      input.value = '';
    });
    button.addEventListener('click', () => input.click());
    return [button, input];
  }

  const cards = new Map(); // label id → card element

  function cardOf(label) {
    let card = cards.get(label.id);
    if (!card) {
      card = labelCard(label);
      cards.set(label.id, card);
    }
    return card;
  }

  function labelCard(label) {
    const card = document.createElement('article');
    card.className = 'label-card';
    card.dataset.drop = 'label';
    card.dataset.label = label.name;
    card.setAttribute('aria-label', `Label ${label.name}`);
    const head = document.createElement('div');
    head.className = 'label-head';
    const title = document.createElement('h3');
    title.textContent = label.name;
    title.title = label.name;
    const count = document.createElement('span');
    count.className = 'count';
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'icon-button remove-label';
    remove.title = `Remove ${quote(label.name)}`;
    remove.setAttribute('aria-label', `Remove label ${label.name}`);
    remove.textContent = '×';
    remove.addEventListener('click', () => removeLabel(label));
    head.append(title, count, remove);
    const thumbs = document.createElement('ul');
    thumbs.className = 'thumbs';
    thumbs.setAttribute('aria-label', `Examples of ${label.name}`);
    const progress = document.createElement('div');
    progress.className = 'card-progress';
    const hint = document.createElement('p');
    hint.className = 'drop-hint';
    const actions = document.createElement('div');
    actions.className = 'label-actions';
    // Real buttons (keyboards and screen readers reach them) that open hidden file inputs.
    const [pick, input] = filePicker('Add photos', label.name, false, (files) => addToLabel(label, files));
    const [pickFolder, folderInput] = filePicker('Add a folder', label.name, true, (files) => addToLabel(label, files));
    const record = recordButton(label);
    actions.append(pick, input, pickFolder, folderInput, record);
    const notes = document.createElement('div');
    notes.className = 'notes';
    card.append(head, thumbs, progress, hint, actions, notes);
    return card;
  }

  function exampleTile(label, example, index) {
    const li = document.createElement('li');
    li.className = 'example';
    if (example.thumb) {
      if (!example.url) example.url = URL.createObjectURL(example.thumb);
      const img = document.createElement('img');
      img.src = example.url;
      img.alt = '';
      li.append(img);
    } else {
      const tile = document.createElement('span');
      tile.className = 'no-thumb';
      tile.textContent = example.source === 'summary' ? 'mean' : `#${index + 1}`;
      tile.title =
        example.source === 'summary'
          ? 'A summary of examples that were not saved'
          : 'From a classifier file (no photo)';
      li.append(tile);
    }
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove-example';
    remove.setAttribute('aria-label', `Remove example ${index + 1} of ${label.name}`);
    remove.title = 'Remove this example';
    remove.textContent = '×';
    remove.addEventListener('click', () => removeExample(label, example));
    li.append(remove);
    return li;
  }

  function renderLabel(label) {
    if (label.removed) return;
    const card = cardOf(label);
    if (!card.isConnected) $('labels').append(card);
    const n = label.examples.length;
    card.querySelector('.count').textContent = plural(n, 'example');
    card.dataset.count = String(n);
    const record = card.querySelector('.record');
    record.hidden = !state.webcam;
    record.textContent = TOUCH ? 'Hold to record' : 'Hold to record (webcam)';
    record.setAttribute('aria-label', `Hold to record webcam frames into ${label.name}`);
    const thumbs = card.querySelector('.thumbs');
    const expanded = state.expanded.has(label.id);
    const first = expanded ? 0 : Math.max(0, n - THUMBS_SHOWN);
    const tiles = [];
    for (let i = first; i < n; i++) tiles.push(exampleTile(label, label.examples[i], i));
    if (n > THUMBS_SHOWN) {
      const li = document.createElement('li');
      const more = document.createElement('button');
      more.type = 'button';
      more.className = 'more';
      more.textContent = expanded ? 'Show fewer' : `+${n - THUMBS_SHOWN}`;
      more.setAttribute(
        'aria-label',
        expanded ? `Show fewer examples of ${label.name}` : `Show all ${n} examples of ${label.name}`,
      );
      more.setAttribute('aria-expanded', String(expanded));
      more.addEventListener('click', () => {
        if (expanded) state.expanded.delete(label.id);
        else state.expanded.add(label.id);
        renderLabel(label);
        cardOf(label).querySelector('.more').focus();
      });
      li.append(more);
      tiles.unshift(li);
    }
    thumbs.replaceChildren(...tiles);
    card.classList.toggle('empty-label', n === 0);
    card.querySelector('.drop-hint').textContent = TOUCH
      ? n === 0
        ? 'Add photos to teach this label.'
        : 'Add more photos for steadier results.'
      : n === 0
        ? 'Drop photos or folders here, or use the buttons, to teach this label.'
        : 'Drop more photos here.';
  }

  function render() {
    for (const [id, card] of cards) {
      if (!state.labels.some((l) => l.id === id)) {
        card.remove();
        cards.delete(id);
      }
    }
    state.labels.forEach(renderLabel);
    $('labels-empty').hidden = state.labels.length > 0;
    const total = exampleTotal();
    $('totals').textContent = state.labels.length
      ? `${plural(state.labels.length, 'label')} · ${plural(total, 'example')}`
      : '';
    const ready = document.body.dataset.state === 'ready';
    document.body.classList.toggle('busy', state.busy > 0);
    $('save').setAttribute('aria-disabled', String(!ready || !state.classifier || !state.classifier.labels.length));
    $('webcam-toggle').disabled = !ready;
    renderTraining();
  }

  // ---- drag and drop -------------------------------------------------------------------------------

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
    if (target.dataset.drop === 'try') {
      const groups = await droppedGroups(event.dataTransfer, () => {});
      const file = groups.flatMap((g) => g.files)[0];
      if (file) await classify(file);
      else note('try-notes', { text: 'Drop an image file to classify it.', kind: 'warn' });
      return;
    }
    // Feedback from the first moment: reading a folder of thousands of files takes seconds.
    const label = target.dataset.drop === 'label' ? state.labels.find((l) => cardOf(l) === target) : null;
    const host = label ? target.querySelector('.card-progress') : $('labels-notes');
    const progress = progressIn(host, 'Reading what was dropped…');
    const groups = await droppedGroups(event.dataTransfer, (found) =>
      progress.set(0, 0, `Reading what was dropped: ${plural(found, 'file')} found…`),
    );
    if (label) {
      await addFiles([{ label, files: groups.flatMap((g) => g.files) }], {
        progress,
        notes: target.querySelector('.notes'),
      });
      return;
    }
    // Dropped on the labels area: one label per folder; loose photos need a label first.
    const folders = groups.filter((g) => g.folder);
    if (groups.some((g) => !g.folder)) {
      note('labels-notes', {
        text: 'Loose photos need a label: drop them onto a label card (or drop folders here: one label per folder).',
        kind: 'warn',
      });
    }
    if (!folders.length) {
      progress.finish();
      return;
    }
    const jobs = folders.map((g) => ({
      label: findLabel(cleanName(g.folder)) || newLabel(cleanName(g.folder)),
      files: g.files,
    }));
    await addFiles(jobs, { progress, notes: $('labels-notes') });
  });

  // ---- start -----------------------------------------------------------------------------------

  function wire() {
    document.body.classList.toggle('touch', TOUCH);
    $('labels-empty-hint').textContent = TOUCH
      ? 'Add two or more labels, then add photos to each one with its Add photos button.'
      : 'Add two or more labels, then drag photos (or whole folders) onto each one, or use its Add photos button. Dropping folders here makes one label per folder.';
    $('message-close').addEventListener('click', () => ($('message').hidden = true));
    $('add-label').addEventListener('submit', (event) => {
      event.preventDefault();
      addLabelFromForm();
    });
    $('label-name').addEventListener('input', () => (state.pendingDuplicate = null));
    $('try-pick').addEventListener('click', () => $('try-file').click());
    $('try-file').addEventListener('change', () => {
      const file = $('try-file').files[0];
      $('try-file').value = '';
      if (file) classify(file);
    });
    $('train').addEventListener('click', () => train());
    $('save').addEventListener('click', () => {
      if ($('save').getAttribute('aria-disabled') === 'true')
        note('file-notes', {
          text: 'Add photos to a label before saving: there is nothing to save yet.',
          kind: 'warn',
          key: 'save',
        });
      else save();
    });
    $('load-pick').addEventListener('click', () => $('load').click());
    $('load').addEventListener('change', () => {
      const file = $('load').files[0];
      $('load').value = '';
      if (file) load(file);
    });
    $('new-project').addEventListener('click', startOver);
    for (const button of document.querySelectorAll('[data-copy]')) button.addEventListener('click', () => copy(button));
    $('webcam-toggle').addEventListener('click', () => (state.webcam ? stopWebcam() : startWebcam()));
    window.addEventListener('beforeunload', (event) => {
      // The project is kept in IndexedDB: only work not written yet (or a browser that keeps nothing) is at risk.
      const atRisk = state.busy > 0 || writesPending() || ((!persist.store || persist.failed) && unsaved());
      if (atRisk) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  async function start() {
    wire();
    showTry('nothing');
    render();
    if (typeof imprint === 'undefined') {
      document.body.dataset.state = 'error';
      setStatus('Could not load imprint.js', 1);
      showFatal(
        'The imprint library did not load. Build it first (scripts/build.sh) and serve this page with node demo/serve.js.',
      );
      return;
    }
    try {
      state.extractor = await imprint.createExtractor({
        worker: typeof Worker === 'function',
        limits: LIMITS,
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
    } catch (error) {
      document.body.dataset.state = 'error';
      setStatus('The model could not be loaded', 1);
      showFatal(`The model could not be loaded: ${explain(error)}. Reload the page to try again.`);
      return;
    }
    document.body.dataset.state = 'ready';
    state.busy++; // restoring: Train waits, and tests wait for it
    render();
    try {
      await restore();
    } catch (error) {
      note('labels-notes', {
        text: `Your project could not be restored: ${explain(error)}`,
        kind: 'error',
        timeout: 0,
      });
    } finally {
      state.busy--;
    }
    setStatus('Ready', 1);
    render();
    if (!state.labels.length && !TOUCH) $('label-name').focus(); // on a phone this would open the keyboard
  }

  start();
})();
