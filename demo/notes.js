'use strict';
// How the demo page tells what happens, where it happens: dismissable messages that time out, a
// live region announced once per finished action, and progress bars (role=progressbar) placed next
// to the work. Loaded before app.js, as the global DemoNotes.

(function () {
  const $ = (id) => document.getElementById(id);

  function setProgress(bar, fraction) {
    const wrap = bar.parentElement;
    if (fraction === null || fraction === undefined) {
      wrap.classList.add('indeterminate');
      wrap.removeAttribute('aria-valuenow');
    } else {
      const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
      wrap.classList.remove('indeterminate');
      bar.style.setProperty('width', `${percent}%`);
      wrap.setAttribute('aria-valuenow', String(percent));
    }
  }

  /** The live region: one sentence per finished action. */
  function announce(text) {
    const region = $('announce');
    region.textContent = '';
    setTimeout(() => (region.textContent = text), 50);
  }

  /**
   * A dismissable message shown where the action happened. kind: info | warn | error. `groups`
   * ([{ reason, files }]) lists skipped files by reason; `actions` are [{ text, run }] buttons.
   * Messages time out (later for warnings and errors), but not while the pointer or focus is on them.
   */
  function note(slot, { text, kind = 'info', groups = null, actions = [], key = null, timeout }) {
    const box = typeof slot === 'string' ? $(slot) : slot;
    if (key) box.querySelectorAll(`.note[data-key="${key}"]`).forEach((n) => n.remove());
    const el = document.createElement('div');
    el.className = 'note';
    el.dataset.kind = kind;
    if (key) el.dataset.key = key;
    const body = document.createElement('div');
    body.className = 'note-body';
    const p = document.createElement('p');
    p.textContent = text;
    body.append(p);
    if (groups && groups.length) {
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      const count = groups.reduce((s, g) => s + g.files.length, 0);
      summary.textContent = count === 1 ? 'Which file, and why' : `Which ${count} files, and why`;
      const list = document.createElement('ul');
      for (const group of groups) {
        const li = document.createElement('li');
        const files = document.createElement('strong');
        files.textContent = group.files.slice(0, 50).join(', ') + (group.files.length > 50 ? ', …' : '');
        li.append(files, group.files.length > 1 ? ` (${group.files.length}): ${group.reason}` : `: ${group.reason}`);
        list.append(li);
      }
      details.append(summary, list);
      body.append(details);
    }
    if (actions.length) {
      const row = document.createElement('div');
      row.className = 'note-actions';
      for (const action of actions) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'button small';
        button.textContent = action.text;
        if (action.label) button.setAttribute('aria-label', action.label);
        button.addEventListener('click', () => {
          el.remove();
          action.run();
        });
        row.append(button);
      }
      body.append(row);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'icon-button note-close';
    close.setAttribute('aria-label', 'Dismiss this message');
    close.textContent = '×';
    close.addEventListener('click', () => el.remove());
    el.append(body, close);
    box.append(el);
    const ms = timeout !== undefined ? timeout : kind === 'info' ? 10000 : 30000;
    if (ms) {
      let left = ms;
      let started = Date.now();
      let timer = setTimeout(() => el.remove(), left);
      const pause = () => {
        clearTimeout(timer);
        left -= Date.now() - started;
      };
      const resume = () => {
        if (el.matches(':hover') || el.contains(document.activeElement)) return;
        started = Date.now();
        timer = setTimeout(() => el.remove(), Math.max(left, 3000));
      };
      el.addEventListener('pointerenter', pause);
      el.addEventListener('focusin', pause);
      el.addEventListener('pointerleave', resume);
      el.addEventListener('focusout', () => setTimeout(resume, 0));
    }
    // Seen where the action happened: scrolled into view once the page has laid out what follows.
    requestAnimationFrame(() => {
      if (el.isConnected && !isInView(el)) el.scrollIntoView({ block: 'nearest' });
    });
    announce(text);
    return el;
  }

  function isInView(el) {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }

  function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
  }

  const quote = (name) => `“${name}”`;

  /** A progress bar with its line of text, appended to `host`; set(done, total, line), finish(). */
  function progressIn(host, label) {
    const wrap = document.createElement('div');
    wrap.className = 'job';
    const text = document.createElement('p');
    text.className = 'job-text small';
    text.id = `job-${Math.random().toString(36).slice(2)}`;
    text.textContent = label;
    const bar = document.createElement('div');
    bar.className = 'bar indeterminate';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-labelledby', text.id);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    const fill = document.createElement('div');
    fill.className = 'fill';
    bar.append(fill);
    wrap.append(text, bar);
    host.append(wrap);
    return {
      set(done, total, line) {
        text.textContent = line;
        setProgress(fill, total ? done / total : null);
        if (total) bar.setAttribute('aria-valuetext', `${done} of ${total}`);
      },
      finish: () => wrap.remove(),
    };
  }

  window.DemoNotes = { setProgress, announce, note, progressIn, plural, quote };
})();
