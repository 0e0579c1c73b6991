// window.parley for the browser shell: the same typed API the Electron preload exposes, carried over the
// loopback bridge. The per-run token arrives in the URL fragment (never sent to the server in a URL) and
// is kept in sessionStorage for reloads.
(() => {
  'use strict';
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('parley-token', fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = fromHash || sessionStorage.getItem('parley-token') || '';
  const headers = { 'content-type': 'application/json', 'x-parley-token': token };
  const listeners = new Set();

  async function call(method, input) {
    if (typeof method !== 'string') throw new TypeError('method must be a string');
    const res = await fetch('/api/call', { method: 'POST', headers, body: JSON.stringify({ method, input: input ?? {} }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(typeof body.message === 'string' ? body.message : `request failed (HTTP ${res.status})`);
    return body.result;
  }

  async function pumpEvents() {
    for (;;) {
      try {
        const res = await fetch('/api/events', { headers });
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
      } catch { /* the shell restarted or the network blinked: retry below */ }
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
