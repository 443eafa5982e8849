// How each tracker is installed with a script tag on the benchmark page, pointed at the local
// server, with its automatic extras (page views, autocapture, recordings, remote config, feature
// flags, surveys) switched off so every tracker does the same work: one custom event per call.
//
// Each entry gives:
// * `files`: what the page loads with its script tag, as URL paths on the local server;
// * `setup(origin)`: the page's inline JS, run before the script tag is added (snippet stubs);
// * `snippet`: a file whose text is inlined instead of the script tag (a loader snippet); then
//   `start` runs right after it rather than at `onload`;
// * `start`: the inline JS run by the script's `onload`; it must define
//   `window.__track(props, sendNow)` and then call `window.__started()`; `sendNow` asks for
//   the tracker's own way of sending at once (used for the first event only);
// * `events`: the path of the tracker's event requests (everything else is config or files);
// * `config`: the configuration in words, for the report.
// `ORIGIN` in the inline JS is replaced by the server's origin.

export const PEERS = 'target/bench/peers/node_modules';

export const TRACKERS = {
  wasmtrack: {
    files: ['/dist/wasmtrack.js'],
    attributes: { 'data-collector': 'ORIGIN', 'data-site': 'bench', 'data-auto-page-view': 'false' },
    setup: `window._wtq = window._wtq || [];`,
    // The script tag starts itself from its data attributes; its queue runs each push at once.
    start: `
      window.__track = function (props, sendNow) {
        _wtq.push(['trackCustomBehavioralEvent', { name: 'trial_started', properties: props }]);
        if (sendNow) _wtq.push(['flush']);
      };
      _wtq.push(function () { window.__started(); });`,
    events: /^\/v1\/collect/,
    config: '`<script async src=wasmtrack.js data-collector=… data-site=bench data-auto-page-view=false>`; calls through `_wtq.push([\'trackCustomBehavioralEvent\', …])`; first event followed by `flush`; otherwise defaults (batches of 20, every 2 s, queue of 1,000 in localStorage).',
  },
  posthog: {
    files: [`/peers/posthog-js/dist/array.js`],
    setup: ``,
    start: `
      posthog.init('phc_bench', {
        api_host: 'ORIGIN', persistence: 'localStorage', autocapture: false,
        capture_pageview: false, capture_pageleave: false, disable_session_recording: true,
        advanced_disable_flags: true, advanced_disable_decide: true, disable_surveys: true,
        disable_external_dependency_loading: true, capture_performance: false,
        capture_exceptions: false, capture_dead_clicks: false, rageclick: false,
        enable_heatmaps: false, disable_web_experiments: true, disable_product_tours: true,
        // Otherwise HeadlessChrome's user agent is dropped as a bot.
        opt_out_useragent_filter: true,
        // Otherwise all but ~100 of a burst of calls are dropped by its client-side rate limit.
        rate_limiting: { events_per_second: 1000000, events_burst_limit: 1000000 },
        loaded: function () {
          window.__track = function (props, sendNow) {
            posthog.capture('trial_started', props, sendNow ? { send_instantly: true } : undefined);
          };
          window.__started();
        },
      });`,
    events: /^\/(i\/v0\/)?(e|batch)\b/,
    config: '`dist/array.js`, `posthog.init(key, {api_host: local, persistence: localStorage, autocapture, capture_pageview, capture_pageleave, session recording, flags/decide, surveys, external dependency loading, performance, exceptions, dead clicks, rageclick, heatmaps, web experiments, product tours: all off; opt_out_useragent_filter: true, since HeadlessChrome is filtered as a bot; rate_limiting raised so no call is dropped})`; `posthog.capture(name, props)`; first event `{send_instantly: true}`; otherwise default batching.',
  },
  mixpanel: {
    files: [`/peers/mixpanel-browser/dist/mixpanel.min.js`],
    // Mixpanel's script-tag install is its snippet (a stub that loads the library).
    setup: `window.MIXPANEL_CUSTOM_LIB_URL = 'ORIGIN/peers/mixpanel-browser/dist/mixpanel.min.js';`,
    snippet: `${PEERS}/mixpanel-browser/dist/mixpanel-jslib-snippet.min.js`,
    start: `
      mixpanel.init('bench-token', {
        api_host: 'ORIGIN', persistence: 'localStorage', track_pageview: false, autocapture: false,
        record_sessions_percent: 0, ip: false, flags: false,
        loaded: function () {
          window.__track = function (props, sendNow) {
            mixpanel.track('trial_started', props, sendNow ? { send_immediately: true } : undefined);
          };
          window.__started();
        },
      });`,
    events: /^\/track\b/,
    config: 'the official snippet loading `dist/mixpanel.min.js`, `mixpanel.init(token, {api_host: local, persistence: localStorage, track_pageview: false, autocapture: false, record_sessions_percent: 0, ip: false, flags: false})`; `mixpanel.track(name, props)`; first event `{send_immediately: true}`; otherwise default batching.',
  },
  segment: {
    files: [`/peers/@segment/analytics-next/dist/umd/standalone.js`],
    // The snippet's essentials: a buffering stub with the write key and the CDN (the local
    // server answers the settings request and serves the lazy chunks from `dist/umd/`).
    setup: `
      var a = window.analytics = [];
      a._writeKey = 'bench-write-key'; a._cdn = 'ORIGIN';
      ['track', 'ready', 'page', 'identify'].forEach(function (m) {
        a[m] = function () { var args = Array.prototype.slice.call(arguments); args.unshift(m); a.push(args); return a; };
      });`,
    start: `
      analytics.ready(function () {
        window.__track = function (props) { window.analytics.track('trial_started', props); };
        window.__started();
      });`,
    events: /^\/v1\/(t|batch)\b/,
    settings: (origin) => ({
      integrations: { 'Segment.io': { apiKey: 'bench-write-key', apiHost: `${origin.replace(/^https?:\/\//, '')}/v1`, protocol: 'http', unbundledIntegrations: [], addBundledMetadata: true } },
      plan: { track: { __default: { enabled: true, integrations: {} } } },
      edgeFunction: {}, analyticsNextEnabled: true, middlewareSettings: {}, enabledMiddleware: {},
      metrics: { sampleRate: 0 }, legacyVideoPluginsEnabled: false, remotePlugins: [],
    }),
    config: 'the snippet\'s stub (`_writeKey`, `_cdn` = local) then `dist/umd/standalone.js`; settings answered locally: only the Segment.io destination, `apiHost` local, metrics `sampleRate: 0`, no remote plugins; `analytics.track(name, props)`; default delivery (one request per event).',
  },
  snowplow: {
    files: [`/peers/@snowplow/browser-tracker/dist/index.umd.min.js`],
    setup: ``,
    start: `
      snowplowBrowserTracking.newTracker('sp', 'ORIGIN', {
        appId: 'bench', platform: 'web', eventMethod: 'post', stateStorageStrategy: 'localStorage',
        contexts: { webPage: true, session: false, browser: false }, anonymousTracking: false,
      });
      window.__track = function (props) {
        snowplowBrowserTracking.trackSelfDescribingEvent({ event: { schema: 'iglu:com.example/trial_started/jsonschema/1-0-0', data: props } });
      };
      window.__started();`,
    events: /^\/com\.snowplowanalytics\.snowplow\/tp2|^\/i\?/,
    config: '`dist/index.umd.min.js`, `newTracker(\'sp\', local, {eventMethod: post, stateStorageStrategy: localStorage, contexts: {webPage: true}})`; `trackSelfDescribingEvent({event: {schema, data: props}})`; default delivery (bufferSize 1: one POST per event); no activity tracking or page views.',
  },
  rudderstack: {
    // The CDN's `rsa.min.js` is not in the npm package: its UMD build with the plugins bundled
    // (no CDN to fetch them from here), minified by the suite with esbuild.
    files: [`/min/rudderstack.min.js`],
    setup: ``,
    start: `
      var ra = new rudderanalytics.RudderAnalytics();
      ra.load('bench-write-key', 'ORIGIN', {
        configUrl: 'ORIGIN', logLevel: 'ERROR', polyfillIfRequired: false,
        sessions: { autoTrack: false }, consentManagement: { enabled: false },
        storage: { type: 'localStorage' }, onLoaded: function () {
          window.__track = function (props) { ra.track('trial_started', props); };
          window.__started();
        },
      });`,
    events: /^\/v1\/(track|batch)\b/,
    sourceConfig: {
      isHosted: false,
      source: { config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } }, id: 'bench-source', name: 'bench', writeKey: 'bench-write-key', enabled: true, workspaceId: 'bench-ws', destinations: [] },
    },
    config: '`@rudderstack/analytics-js` `dist/npm/modern/bundled/umd/index.js` minified with esbuild (the CDN\'s `rsa.min.js` is not on npm and its plugins come from the CDN), `load(writeKey, local, {configUrl: local (a source with no destinations, stats off), sessions.autoTrack: false, consent off, polyfill off, storage: localStorage})`; `track(name, props)`; default delivery (XHR queue).',
  },
};
