// The stub snippet a site pastes inline before the async script tag (see README). It queues
// calls until the tracker has loaded, and if the page is left before that, it keeps them for
// the next page of the site, which sends them (a visitor who clicks and leaves quickly is
// exactly the one other trackers lose).
window._wtq = window._wtq || [];
addEventListener('pagehide', function () {
  var q = window._wtq;
  if (q.wasmtrack || !q.length) return;
  try {
    if (localStorage.getItem('wasmtrack:v1:consent') === 'out') return;
    var saved = JSON.parse(localStorage.getItem('wasmtrack:v1:stub') || '[]');
    saved.push({ t: Date.now(), u: location.href, r: document.referrer, ti: document.title, c: q.slice(0, 200) });
    localStorage.setItem('wasmtrack:v1:stub', JSON.stringify(saved.slice(-20)));
  } catch (e) {}
});
