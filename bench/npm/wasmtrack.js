import { init, trackCustomBehavioralEvent } from 'wasmtrack';

init({ collector: 'https://collect.example.com', site: 'my-site', autoPageView: false });
trackCustomBehavioralEvent({ name: 'trial_started', properties: { plan: 'pro', seats: 12 } });
