// Worker entry when the service runs from its TypeScript sources (vitest, tsx): registers tsx's
// loader in this thread, then loads liveDecodeWorker.ts. The built service uses dist/.../liveDecodeWorker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./liveDecodeWorker.ts');
