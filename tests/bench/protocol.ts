// Section 1: the Signal protocol layer (crypto/signal.ts on its native primitives, in-memory ProtocolState)
// side by side, in one run, with two anchors doing the same work: @signalapp/libsignal-client (Signal's Rust
// library; records kept serialized, PQXDH) and Parley's same code on the pure-JS curve and platform WebCrypto
// the protocol library ships with (tests/crypto/primitives.ts). Every row states Parley ÷ anchor.
import { FingerprintGenerator } from '@privacyresearch/libsignal-protocol-typescript';
import { safetyNumber } from '../../crypto/signal.ts';
import { encodePayload } from '../../electron/core/payload.ts';
import { makeDevice, type TestDevice } from '../crypto/memory-state.ts';
import { usePrimitives, type Primitives } from '../crypto/primitives.ts';
import { LibsignalDevice, libsignalSafetyNumber, PREKEY, WHISPER } from './libsignal-anchor.ts';
import { ms, now, summarize, type Goal, type SectionResult, type Summary, type Table } from './stats.ts';

const FINGERPRINT_ITERATIONS = 5200;

/** A realistic text payload as the client sends it (JSON, padded to a multiple of 160 bytes). */
function payload(i: number): Uint8Array<ArrayBuffer> {
  const text = `msg ${String(i).padStart(4, '0')}: the quarterly numbers are in the shared folder, please review before Friday`;
  return encodePayload({ v: 1, kind: 'text', messageId: `bench${String(i).padStart(17, '0')}`, sentAt: 1_700_000_000_000 + i, text }) as Uint8Array<ArrayBuffer>;
}

interface MsgTimes { enc: number[]; dec: number[]; total: number[] }
const empty = (): MsgTimes => ({ enc: [], dec: [], total: [] });

/** Two devices with a session (X3DH and one reply, so both send plain Whisper messages from then on). */
interface Duo { message(dir: 0 | 1, i: number, t?: MsgTimes): Promise<void> }

interface Impl {
  label: string;
  counts: { warmup: number; n: number; setup: number; safety: number };
  duo(tag: string): Promise<Duo>;
  /** X3DH from a bundle plus the first PreKey message encrypted and decrypted, on fresh devices; ms. */
  setup(i: number): Promise<number>;
  /** One safety number for one identity key per side; ms. */
  safety(): Promise<number>;
}

function check(type: number, expect: number, plain: Uint8Array, back: Uint8Array): void {
  if (type !== expect) throw new Error(`expected message type ${expect}, got ${type}`);
  if (!Buffer.from(back).equals(Buffer.from(plain))) throw new Error('decrypted payload differs');
}

function timed(t: MsgTimes | undefined, t0: number, t1: number, t2: number): void {
  if (t) { t.enc.push(t1 - t0); t.dec.push(t2 - t1); t.total.push(t2 - t0); }
}

function parley(primitives: Primitives): Impl {
  const fast = primitives === 'native';
  return {
    label: fast ? 'Parley' : 'pure-JS curve',
    counts: fast ? { warmup: 50, n: 500, setup: 40, safety: 20 } : { warmup: 10, n: 100, setup: 8, safety: 5 },
    async duo(tag) {
      const a = await makeDevice(`u_${tag}alice`.padEnd(25, 'a'), 1, 2);
      const b = await makeDevice(`u_${tag}bob`.padEnd(25, 'b'), 1, 2);
      await a.party.startSession(b.address, b.bundle());
      const one = async (from: TestDevice, to: TestDevice, i: number, t?: MsgTimes, expect = 1) => {
        const plain = payload(i);
        const t0 = now();
        const ct = await from.party.encrypt(to.address, plain);
        const t1 = now();
        const back = await to.party.decrypt(from.address, ct.type, ct.body);
        timed(t, t0, t1, now());
        check(ct.type, expect, plain, back);
      };
      await one(a, b, 0, undefined, 3);
      await one(b, a, 0);
      return { message: (dir, i, t) => (dir === 0 ? one(a, b, i, t) : one(b, a, i, t)) };
    },
    async setup(i) {
      const a = await makeDevice(`u_setupalice${String(i).padStart(13, '0')}`, 1, 1);
      const b = await makeDevice(`u_setupbob${String(i).padStart(15, '0')}`, 1, 1);
      const bundle = b.bundle();
      const plain = payload(i);
      const t0 = now();
      await a.party.startSession(b.address, bundle);
      const ct = await a.party.encrypt(b.address, plain);
      const back = await b.party.decrypt(a.address, ct.type, ct.body);
      const dt = now() - t0;
      check(ct.type, 3, plain, back);
      return dt;
    },
    async safety() {
      const t0 = now();
      if (fast) await safetyNumber('u_safetyaliceaaaaaaaaaaaa', [KEY_A], 'u_safetybobbbbbbbbbbbbbbb', [KEY_B]);
      else await new FingerprintGenerator(FINGERPRINT_ITERATIONS).createFor('u_safetyaliceaaaaaaaaaaaa', KEY_A.slice().buffer, 'u_safetybobbbbbbbbbbbbbbb', KEY_B.slice().buffer);
      return now() - t0;
    },
  };
}

const KEY_A = new Uint8Array([5, ...Array.from({ length: 32 }, (_, i) => i * 7 + 1)]);
const KEY_B = new Uint8Array([5, ...Array.from({ length: 32 }, (_, i) => i * 11 + 3)]);

const libsignal: Impl = {
  label: 'libsignal-client',
  counts: { warmup: 50, n: 500, setup: 40, safety: 20 },
  async duo(tag) {
    const a = await LibsignalDevice.create(`${tag}-alice`);
    const b = await LibsignalDevice.create(`${tag}-bob`);
    await a.startSession(b);
    const one = async (from: LibsignalDevice, to: LibsignalDevice, i: number, t?: MsgTimes, expect = WHISPER) => {
      const plain = payload(i);
      const t0 = now();
      const ct = await from.encrypt(to, plain);
      const t1 = now();
      const back = await to.decrypt(from, ct.type, ct.body);
      timed(t, t0, t1, now());
      check(ct.type, expect, plain, back);
    };
    await one(a, b, 0, undefined, PREKEY);
    await one(b, a, 0);
    return { message: (dir, i, t) => (dir === 0 ? one(a, b, i, t) : one(b, a, i, t)) };
  },
  async setup(i) {
    const a = await LibsignalDevice.create(`setup-alice-${i}`);
    const b = await LibsignalDevice.create(`setup-bob-${i}`);
    const plain = payload(i);
    const t0 = now();
    await a.startSession(b);
    const ct = await a.encrypt(b, plain);
    const back = await b.decrypt(a, ct.type, ct.body);
    const dt = now() - t0;
    check(ct.type, PREKEY, plain, back);
    return dt;
  },
  async safety() {
    const t0 = now();
    libsignalSafetyNumber(FINGERPRINT_ITERATIONS, 'u_safetyaliceaaaaaaaaaaaa', KEY_A, 'u_safetybobbbbbbbbbbbbbbb', KEY_B);
    return now() - t0;
  },
};

interface Figures { oneWay: MsgTimes; pingPong: MsgTimes; setup: number[]; safety: number[] }

async function measure(impl: Impl, log: (line: string) => void): Promise<Figures> {
  const { warmup, n } = impl.counts;
  log(`protocol: ${impl.label}: one-way and ping-pong (${warmup} warm-up + ${n} each), ${impl.counts.setup} session setups, ${impl.counts.safety} safety numbers`);
  const ow = await impl.duo('ow');
  for (let i = 0; i < warmup; i++) await ow.message(0, i);
  const oneWay = empty();
  for (let i = 0; i < n; i++) await ow.message(0, i, oneWay);
  const pp = await impl.duo('pp');
  for (let i = 0; i < warmup; i++) await pp.message((i % 2) as 0 | 1, i);
  const pingPong = empty();
  for (let i = 0; i < n; i++) await pp.message((i % 2) as 0 | 1, i, pingPong);
  const setup: number[] = [];
  for (let i = 0; i < impl.counts.setup + 3; i++) {
    const dt = await impl.setup(i);
    if (i >= 3) setup.push(dt);
  }
  const safety: number[] = [];
  for (let i = 0; i < impl.counts.safety + 2; i++) {
    const dt = await impl.safety();
    if (i >= 2) safety.push(dt);
  }
  return { oneWay, pingPong, setup, safety };
}

const x = (a: number, b: number) => `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`;
const ratios = (p: Summary, a: Summary) => `**${x(p.p50, a.p50)}** · ${x(p.mean, a.mean)}`;

export async function runProtocol(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const size = payload(0).length;
  usePrimitives('native');
  const P = await measure(parley('native'), log);
  const L = await measure(libsignal, log);
  usePrimitives('pure-js');
  let J: Figures;
  try {
    J = await measure(parley('pure-js'), log);
  } finally {
    usePrimitives('native');
  }
  // Three devices per side: Parley only (the anchors' safety numbers take one key).
  const keys3 = [KEY_A, KEY_B, new Uint8Array([5, ...Array.from({ length: 32 }, (_, i) => i * 13 + 5)])];
  const three: number[] = [];
  for (let i = 0; i < 22; i++) {
    const t0 = now();
    await safetyNumber('u_a', keys3, 'u_b', [...keys3].reverse());
    if (i >= 2) three.push(now() - t0);
  }

  const rows: [string, (f: Figures) => number[]][] = [
    ['**one-way: encrypt + decrypt** (symmetric chain step)', (f) => f.oneWay.total],
    ['**ping-pong: encrypt + decrypt** (every decrypt a DH ratchet step)', (f) => f.pingPong.total],
    ['**X3DH session setup** + first PreKey message encrypted and decrypted', (f) => f.setup],
    ['**safety number**, one key per side (2 × 5,200 SHA-512)', (f) => f.safety],
  ];
  const S = rows.map(([label, get]) => ({ label, p: summarize(get(P)), l: summarize(get(L)), j: summarize(get(J)) }));
  const side: Table = {
    title: `Parley against libsignal-client and against the pure-JS curve (${size}-byte payload, in-memory state, ms; ratios p50 · mean)`,
    columns: ['', 'Parley p50', 'Parley mean', 'Parley p99', 'libsignal-client p50', 'mean', 'Parley ÷ libsignal-client', 'pure-JS curve p50', 'mean', 'Parley ÷ pure-JS curve'],
    rows: S.map(({ label, p, l, j }) => [label, ms(p.p50), ms(p.mean), ms(p.p99), ms(l.p50), ms(l.mean), ratios(p, l), ms(j.p50), ms(j.mean), ratios(p, j)]),
    notes: [
      `Counts: Parley and libsignal-client ${P.oneWay.total.length} messages per flow (after ${parley('native').counts.warmup} warm-up), ${P.setup.length} setups, ${P.safety.length} safety numbers; pure-JS curve ${J.oneWay.total.length} messages, ${J.setup.length} setups, ${J.safety.length} safety numbers (it is slow).`,
      'libsignal-client sets sessions up with PQXDH (an extra Kyber-1024 encapsulation) and its ratchet adds the post-quantum SPQR step; Parley\'s protocol library does classic X3DH and Double Ratchet. So the anchor does a little more work per session and per message than Parley.',
    ],
  };
  const split = (label: string, t: MsgTimes) => {
    const e = summarize(t.enc), d = summarize(t.dec);
    return [[`${label}: encrypt`, String(e.n), ms(e.mean), ms(e.p50), ms(e.p99)], [`${label}: decrypt`, String(d.n), ms(d.mean), ms(d.p50), ms(d.p99)]];
  };
  const s3 = summarize(three);
  const detail: Table = {
    title: 'Parley in detail (native primitives)',
    columns: ['', 'n', 'mean ms', 'p50 ms', 'p99 ms'],
    rows: [...split('one-way', P.oneWay), ...split('ping-pong', P.pingPong), ['safety number, 3 devices each side', String(s3.n), ms(s3.mean), ms(s3.p50), ms(s3.p99)]],
    notes: [
      `One-way throughput on one core (encrypt + decrypt): ${(1000 / S[0]!.p.mean).toFixed(0)} messages/s; ping-pong ${(1000 / S[1]!.p.mean).toFixed(0)} messages/s.`,
      'Under the library (crypto/native.ts): X25519 on node:crypto with KeyObjects cached per key (imported as JWK: OpenSSL 3 decodes DER ~10× slower), XEdDSA verify as an Ed25519 verify on node:crypto after the Montgomery → Edwards conversion, XEdDSA sign with @noble/curves (only signed prekeys are signed), HMAC-SHA256, AES-256-CBC and SHA-512 synchronous on node:crypto through setWebCrypto (the library awaits each call; Node\'s WebCrypto sent each one to the thread pool), the safety number on one-shot native SHA-512 (the library\'s generator hashes with its bundled pure-JS msrcrypto). Session records are parsed once and kept (crypto/session-records.ts; the stored string stays the truth) and pruned of the chains the library means to drop but never does (its record grew by one chain per DH ratchet step: 22 KB after 400 alternating messages, parsed and rewritten on every message).',
    ],
  };
  const [ow, pp, st, sn] = S as [typeof S[0], typeof S[0], typeof S[0], typeof S[0]];
  const within3 = (what: string, r: typeof ow): Goal => ({
    goal: `${what} within 3× of libsignal-client`,
    measured: `${x(r.p.p50, r.l.p50)} at p50 (${ms(r.p.p50)} vs ${ms(r.l.p50)} ms); ${x(r.p.mean, r.l.mean)} on the mean`,
    met: r.p.p50 <= 3 * r.l.p50,
  });
  return {
    tables: [side, detail],
    goals: [
      within3('One-way message', ow),
      within3('Ping-pong message', pp),
      { goal: 'X3DH session setup < 3 ms', measured: `p50 ${ms(st.p.p50)} ms, mean ${ms(st.p.mean)} ms, p99 ${ms(st.p.p99)} ms`, met: st.p.p50 < 3 },
      { goal: 'Safety number < 20 ms', measured: `p50 ${ms(sn.p.p50)} ms, p99 ${ms(sn.p.p99)} ms`, met: sn.p.p50 < 20 },
    ],
    anchors: [
      `Protocol against libsignal-client (p50): one-way ${ms(ow.p.p50)} vs ${ms(ow.l.p50)} ms (${x(ow.p.p50, ow.l.p50)}), ping-pong ${ms(pp.p.p50)} vs ${ms(pp.l.p50)} ms (${x(pp.p.p50, pp.l.p50)}), session setup ${ms(st.p.p50)} vs ${ms(st.l.p50)} ms (${x(st.p.p50, st.l.p50)}), safety number ${ms(sn.p.p50)} vs ${ms(sn.l.p50)} ms (${x(sn.p.p50, sn.l.p50)}).`,
      `Protocol against the pure-JS curve and WebCrypto the library ships with (same Parley code, p50): one-way ${x(ow.p.p50, ow.j.p50)}, ping-pong ${x(pp.p.p50, pp.j.p50)}, session setup ${x(st.p.p50, st.j.p50)}, safety number ${x(sn.p.p50, sn.j.p50)}.`,
    ],
    method: [
      `Protocol: each implementation runs the same flows one after the other in this process. Parley: two devices made with tests/crypto/memory-state.ts (in-memory ProtocolState holding session records as strings), session set up by X3DH and one reply so every timed message is a Whisper message; each message: A encrypts (timed), B decrypts at once (timed), plaintext and type checked outside the timed part. One-way: A→B only. Ping-pong: alternating, so every decrypt steps the DH ratchet. Session setup: fresh device pairs (key generation untimed), timing startSession + first encrypt + its decrypt; 3 untimed first. Safety number: crypto/signal.ts safetyNumber (5,200 SHA-512 iterations per side); 2 untimed first.`,
      'Protocol anchors: libsignal-client 0.103 (tests/bench/libsignal-anchor.ts) with stores that keep session records serialized (deserialized and serialized again on every message, as Parley\'s store keeps strings), PreKey bundles with a one-time prekey and a Kyber prekey, Fingerprint.new for the safety number; the pure-JS anchor is Parley\'s own code with the library\'s default primitives put back (the emscripten curve25519, Node WebCrypto, and for the safety number the library\'s FingerprintGenerator, which hashes with its bundled msrcrypto).',
    ],
  };
}
