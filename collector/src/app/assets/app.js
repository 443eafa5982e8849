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
