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

// Copy buttons: `<button data-copy="id">` copies the text of the element with that id and
// says so (the page still shows the text to select by hand without JS or clipboard access).
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const source = document.getElementById(button.getAttribute('data-copy'));
  if (!source) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(source.textContent);
    button.textContent = 'Copied';
  } catch (e) {
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
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
