// window.parley for the browser shell: the same typed API the Electron preload exposes, carried over the
// loopback bridge. The page is opened with a one-time link (#code=… in the fragment, never sent in a
// request line); the code is redeemed once for the session token, which stays in sessionStorage (this
// origin and port only) so that reloads keep working while the link itself is spent.
(() => {
  'use strict';
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code !== null) history.replaceState(null, '', location.pathname + location.search);
  let failure = null;
  const ready = code === null ? Promise.resolve() : redeem(code);
  const listeners = new Set();

  async function redeem(oneTimeCode) {
    try {
      const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: oneTimeCode }) });
      const body = await res.json().catch(() => ({}));
      if (res.ok && typeof body.token === 'string') sessionStorage.setItem('parley-token', body.token);
      else failure = typeof body.message === 'string' ? body.message : `This link did not open Parley (HTTP ${res.status}).`;
    } catch {
      failure = 'Parley is not running at this address any more.';
    }
  }

  /** Headers with the session token, or an Error saying how to get one. */
  async function headers() {
    await ready;
    const token = sessionStorage.getItem('parley-token');
    if (!token) throw new Error(failure ?? 'This page has no Parley session: open the link that npm start or parley-app printed.');
    return { 'content-type': 'application/json', 'x-parley-token': token };
  }

  async function call(method, input) {
    if (typeof method !== 'string') throw new TypeError('method must be a string');
    // A file upload has its own endpoint (a larger body limit for that one method only).
    const path = method === 'attachments.upload' ? '/api/upload' : '/api/call';
    const res = await fetch(path, { method: 'POST', headers: await headers(), body: JSON.stringify({ method, input: input ?? {} }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(typeof body.message === 'string' ? body.message : `request failed (HTTP ${res.status})`);
    return body.result;
  }

  async function pumpEvents() {
    for (;;) {
      try {
        const res = await fetch('/api/events', { headers: await headers() });
        if (res.status === 401) return; // no session: calls say why; polling would not change that
        if (res.ok && res.body) {
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          let buffered = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffered += decoder.decode(value, { stream: true });
            let nl;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (!line) continue;
              const event = JSON.parse(line);
              for (const l of listeners) { try { l(event); } catch (err) { console.error(err); } }
            }
          }
        }
      } catch (err) {
        if (!sessionStorage.getItem('parley-token')) return; // never had a session (see headers())
        /* the shell restarted or the network blinked: retry below */
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  void pumpEvents();

  window.parleyShell = 'browser';
  window.parley = Object.freeze({
    call,
    onEvent(listener) { listeners.add(listener); return () => listeners.delete(listener); },
  });
})();
