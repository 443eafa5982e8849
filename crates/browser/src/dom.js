// Click matching, script loading and handing text to a loader's function (dom.rs).
export function click_match(target, selector, names) {
  try {
    let el = target instanceof Element ? target : target && target.parentElement;
    el = el && el.closest(selector);
    if (!el) return null;
    // As a person reads it: `textContent` keeps the markup's indentation. Longer than any
    // property value may be, so that a huge element costs no huge copy.
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 2048);
    return [text].concat(names ? names.split(' ').map((n) => el.getAttribute(n)) : []);
  } catch (e) {
    // A selector the browser cannot parse matches nothing.
    return null;
  }
}

export function add_script(src, token, collector, site) {
  try {
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    Object.assign(s.dataset, { token, collector, site });
    document.documentElement.appendChild(s);
    return true;
  } catch (e) {
    return false;
  }
}

export function hand(to, text) {
  try { to(text); } catch (e) {}
}
