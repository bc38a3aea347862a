// Worker entry when the service runs from its TypeScript sources (vitest, tsx): registers tsx's
// loader in this thread, then loads worker.ts. The built service uses dist/.../worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
