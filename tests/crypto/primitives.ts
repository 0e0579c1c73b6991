// Switches what sits under the protocol library for tests and the bench: the native path (crypto/native.ts,
// what Parley runs) or the pure-JS curve and platform WebCrypto the library ships with. The hooks are
// global to the library, so a switch holds until the next one: await each protocol call before switching.
import { setCurve, setWebCrypto } from '@privacyresearch/libsignal-protocol-typescript';
import { AsyncCurve25519Wrapper } from '@privacyresearch/curve25519-typescript';
import { createNativeWebCrypto, useNativePrimitives } from '../../crypto/native.ts';

export type Primitives = 'native' | 'pure-js';

export function usePrimitives(kind: Primitives): void {
  if (kind === 'native') useNativePrimitives();
  else {
    setCurve(new AsyncCurve25519Wrapper());
    setWebCrypto(globalThis.crypto);
  }
}

/** Runs `fn` on the given primitives, then puts the native ones back. */
export async function withPrimitives<T>(kind: Primitives, fn: () => Promise<T>): Promise<T> {
  usePrimitives(kind);
  try {
    return await fn();
  } finally {
    useNativePrimitives();
  }
}

/**
 * Native primitives whose random bytes come from `queue` (the recorded sessions fix every generated key).
 * Any random request the queue does not answer fails the test.
 */
export function useScriptedRandom(queue: Uint8Array[]): void {
  useNativePrimitives();
  setWebCrypto(createNativeWebCrypto((out) => {
    const next = queue.shift();
    if (!next || next.length !== out.length) throw new Error(`unexpected request for ${out.length} random bytes`);
    out.set(next);
  }));
}
