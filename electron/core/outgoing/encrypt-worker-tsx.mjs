// Under tsx (tests, `npm start`) the encrypt worker starts here: tsx's loader is not inherited by worker
// threads on Node 20 (`--import tsx` in a worker's execArgv is not applied), so it is registered in the
// worker first, then the TypeScript entry loads. The compiled CLI and the Electron bundle start the built
// worker directly (outgoing/encrypt-pool.ts workerEntry).
import { register } from 'tsx/esm/api';

register();
await import('./encrypt-worker.ts');
