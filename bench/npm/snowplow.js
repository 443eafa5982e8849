import { newTracker, trackSelfDescribingEvent } from '@snowplow/browser-tracker';

newTracker('sp', 'https://collector.example.com', { appId: 'bench' });
trackSelfDescribingEvent({ event: { schema: 'iglu:com.example/trial_started/jsonschema/1-0-0', data: { plan: 'pro', seats: 12 } } });
