import posthog from 'posthog-js';

posthog.init('phc_bench', { api_host: 'https://eu.i.posthog.com', autocapture: false, capture_pageview: false });
posthog.capture('trial_started', { plan: 'pro', seats: 12 });
