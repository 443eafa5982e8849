import { RudderAnalytics } from '@rudderstack/analytics-js';

const analytics = new RudderAnalytics();
analytics.load('bench-write-key', 'https://dataplane.example.com');
analytics.track('trial_started', { plan: 'pro', seats: 12 });
