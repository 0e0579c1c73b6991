// Preload of the main window (sandboxed, context-isolated; bundled to CommonJS by electron-vite). Exposes
// exactly the typed API of common/app-api/contract.ts as `window.parley`: two functions, frozen. ipcRenderer
// itself never reaches the page; the page cannot pick the channel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppEvent, ParleyApi } from '../../common/app-api/contract.ts';

const CALL_CHANNEL = 'parley:call';
const EVENT_CHANNEL = 'parley:event';

const api = Object.freeze({
  call(method: unknown, input: unknown): Promise<unknown> {
    if (typeof method !== 'string' || method.length === 0 || method.length > 64) {
      return Promise.reject(new TypeError('parley.call: method must be a method name'));
    }
    return ipcRenderer.invoke(CALL_CHANNEL, method, input);
  },
  onEvent(listener: unknown): () => void {
    if (typeof listener !== 'function') throw new TypeError('parley.onEvent: listener must be a function');
    const forward = (_event: IpcRendererEvent, appEvent: AppEvent): void => {
      (listener as (e: AppEvent) => void)(appEvent);
    };
    ipcRenderer.on(EVENT_CHANNEL, forward);
    let subscribed = true;
    return Object.freeze(() => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    });
  },
}) as unknown as ParleyApi;

contextBridge.exposeInMainWorld('parley', api);
