// The facts behind the default properties, and the address bar (page.rs). One function for
// the string-valued reads: each import returning a string costs its own marshalling shim.
// Fields are separated by U+0001, a `utm_` name from its value by U+0002: neither survives in
// a URL, a title or a language tag (`URL` percent-encodes control characters).

// `PageOp` in protocol.rs.
const PAGE_FACTS = 0;
const PAGE_HREF = 1;
const PAGE_URL_FACTS = 2;
const PAGE_TAKE_PARAM = 3;

function url_facts(href) {
  try {
    const u = new URL(href);
    const utm = [...u.searchParams].filter(([k]) => k.startsWith('utm_')).map(([k, v]) => k + '\u0002' + v);
    return [u.pathname, ...utm].join('\u0001');
  } catch (e) {
    return '/';
  }
}
// A page may redefine any of these getters, and one that throws must not throw through the
// tracker (which would leave it mid-change): every read is caught.
export function page_read(op, arg) {
  try {
    const href = location.href;
    switch (op) {
      case PAGE_FACTS: {
        const d = document, s = window.screen || {};
        return [href, d.referrer, d.title, s.width || 0, s.height || 0, navigator.language || '', url_facts(href)].join('\u0001');
      }
      case PAGE_HREF: return href;
      case PAGE_URL_FACTS: return url_facts(arg);
      case PAGE_TAKE_PARAM: {
        const u = new URL(href), v = u.searchParams.get(arg);
        if (v !== null) { u.searchParams.delete(arg); history.replaceState(history.state, '', u); }
        return v;
      }
    }
  } catch (e) {}
  return null;
}
export function page_online() { try { return navigator.onLine !== false; } catch (e) { return true; } }
export function page_no_track() { try { return navigator.doNotTrack === '1' || navigator.globalPrivacyControl === true; } catch (e) { return false; } }
