import mixpanel from 'mixpanel-browser';

mixpanel.init('bench-token', { track_pageview: false, autocapture: false });
mixpanel.track('trial_started', { plan: 'pro', seats: 12 });
