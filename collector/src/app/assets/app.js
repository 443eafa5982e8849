// The analyst app's few enhancements; every page works without them. Served as a file (the
// Content-Security-Policy allows no inline script).
'use strict';

// Chart tooltips: the bar's own `<title>` shows on hover after the browser's delay; this shows
// it at once, and also for keyboard focus.
document.addEventListener('DOMContentLoaded', () => {
  for (const figure of document.querySelectorAll('figure.chart')) {
    const tip = document.createElement('div');
    tip.className = 'tip';
    tip.hidden = true;
    tip.setAttribute('aria-hidden', 'true');
    figure.appendChild(tip);
    const show = (bar) => {
      tip.textContent = bar.getAttribute('data-tip');
      const box = bar.getBoundingClientRect();
      const frame = figure.getBoundingClientRect();
      tip.style.left = Math.max(0, box.left - frame.left) + 'px';
      tip.style.top = '0px';
      tip.hidden = false;
    };
    for (const bar of figure.querySelectorAll('.bar')) {
      bar.addEventListener('mouseenter', () => show(bar));
      bar.addEventListener('focus', () => show(bar));
      bar.addEventListener('mouseleave', () => { tip.hidden = true; });
      bar.addEventListener('blur', () => { tip.hidden = true; });
    }
  }
});

// The create-event form: the internal name follows the label until it is edited, and the
// collector's verdict on it (the API's own rules and messages) shows as it changes.
document.addEventListener('DOMContentLoaded', () => {
  const name = document.querySelector('input[data-check]');
  const label = document.getElementById('label');
  if (!name || !label) return;
  const verdict = document.getElementById('name-check');
  let edited = name.value !== '';
  let timer = 0;
  const check = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = new URLSearchParams({ label: label.value });
      if (edited) query.set('name', name.value);
      try {
        const answer = await (await fetch(name.getAttribute('data-check') + '?' + query, { credentials: 'same-origin' })).json();
        if (!edited) name.value = answer.name;
        verdict.textContent = answer.problem || '';
        if (answer.problem) name.setAttribute('aria-invalid', 'true'); else name.removeAttribute('aria-invalid');
      } catch (e) { /* the form is still checked when it is sent */ }
    }, 150);
  };
  label.addEventListener('input', check);
  name.addEventListener('input', () => { edited = name.value !== ''; check(); });
});

// Copy buttons of code snippets: hidden in the page (they would do nothing without this),
// shown here; a click copies the snippet and says so on the button and to screen readers.
document.addEventListener('DOMContentLoaded', () => {
  const buttons = document.querySelectorAll('button.copy[data-copy]');
  if (!buttons.length) return;
  const status = document.createElement('div');
  status.className = 'sr-only';
  status.setAttribute('role', 'status');
  document.body.appendChild(status);
  const copy = async (text) => {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    // Plain http on another host than localhost: no clipboard API, the old way.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    if (!done) throw new Error('copy refused');
  };
  for (const button of buttons) {
    const code = document.getElementById(button.getAttribute('data-copy'));
    if (!code) continue;
    const label = button.textContent;
    let timer;
    button.hidden = false;
    button.addEventListener('click', async () => {
      clearTimeout(timer);
      try {
        await copy(code.textContent);
        button.textContent = 'Copied';
        status.textContent = 'Copied to the clipboard.';
      } catch {
        button.textContent = 'Select the code and copy it';
        status.textContent = 'The browser did not let the page copy; select the code and copy it.';
      }
      timer = setTimeout(() => {
        button.textContent = label;
        status.textContent = '';
      }, 4000);
    });
  }
});

// An import's page while it runs: the progress bar and counts follow the import (the page
// without this shows them as they were when loaded); when it ends, the page is loaded again
// for its outcome.
document.addEventListener('DOMContentLoaded', () => {
  const box = document.querySelector('[data-status]');
  if (!box) return;
  const url = box.getAttribute('data-status');
  const bar = box.querySelector('progress');
  const tick = async () => {
    try {
      const s = await (await fetch(url, { credentials: 'same-origin' })).json();
      bar.value = s.percent;
      bar.textContent = s.percent + ' %';
      for (const el of box.querySelectorAll('[data-field]')) {
        const key = el.getAttribute('data-field');
        const value = key === 'state' ? s.stateLabel : s[key];
        el.textContent = value === null || value === undefined ? '–' : value;
      }
      if (s.state !== 'running') {
        window.location.reload();
        return;
      }
    } catch (e) { /* try again at the next tick */ }
    setTimeout(tick, 500);
  };
  setTimeout(tick, 500);
});

// The workflow editor's problem summary: a link to a field also puts the cursor in it (a
// fragment link alone only scrolls there).
document.addEventListener('DOMContentLoaded', () => {
  for (const link of document.querySelectorAll('.error-summary a[href^="#"]')) {
    link.addEventListener('click', (event) => {
      const target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: 'center' });
      target.focus();
    });
  }
});
