// electron-vite: three bundles into out/ — main (ESM, electron/main/main.ts), preload (CommonJS, because a
// sandboxed preload cannot be an ES module), renderer (renderer/, Svelte). Dependencies of main stay
// external (node_modules at run time); @signalapp/sqlcipher is native and must never be bundled.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: { include: ['@signalapp/sqlcipher'] },
      rolldownOptions: {
        // The client core's encrypt worker thread: out/main/encrypt-worker.js, found beside the bundle (encrypt-pool.ts workerEntry).
        input: { main: resolve(root, 'electron/main/main.ts'), 'encrypt-worker': resolve(root, 'electron/core/outgoing/encrypt-worker.ts') },
        external: ['@signalapp/sqlcipher', /^@signalapp\/sqlcipher\//],
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rolldownOptions: {
        input: { preload: resolve(root, 'electron/main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      target: 'es2022',
      // Same as renderer/vite.config.ts: everything in files, since the CSP forbids inline scripts and styles.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      sourcemap: false,
      rolldownOptions: {
        input: resolve(root, 'renderer/index.html'),
      },
    },
  },
});
