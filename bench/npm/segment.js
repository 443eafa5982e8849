import { AnalyticsBrowser } from '@segment/analytics-next';

const analytics = AnalyticsBrowser.load({ writeKey: 'bench-write-key' });
analytics.track('trial_started', { plan: 'pro', seats: 12 });
