// A WebSocket that reconnects with exponential backoff and jitter, notices a dead
// network (browser offline event, missed pong) and lets the page resume on open.

import { backoffDelay } from './message-log.js';

// Backoff 0.5 s doubling to 15 s: quick after a blip, gentle on a server that
// restarts with many clients. Jitter spreads the reconnect herd.
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;
// A ping every 20 s keeps proxies from idling the socket out (60 s is common);
// no answer within 10 s means the connection is dead even if the OS has not noticed.
const PING_EVERY_MS = 20000;
const PONG_TIMEOUT_MS = 10000;

export class ReconnectingSocket {
  /**
   * @param {string} path e.g. '/ws/patient'
   * @param {{onOpen?: Function, onFrame: Function, onState?: Function,
   *          shouldReconnect?: (code:number) => boolean}} handlers
   */
  constructor(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.later = new Set(); // timers of sendLater()
    window.addEventListener('offline', () => this.drop());
    window.addEventListener('online', () => this.reconnectNow());
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    if (this.ws) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    this.ws = ws;
    this.state('connecting');
    ws.addEventListener('open', () => {
      this.attempt = 0;
      this.state('open');
      this.startPing();
      if (this.handlers.onOpen) this.handlers.onOpen();
    });
    ws.addEventListener('message', (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame.type === 'pong') {
        clearTimeout(this.pongTimer);
        return;
      }
      this.handlers.onFrame(frame);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      const again = this.handlers.shouldReconnect ? this.handlers.shouldReconnect(ev.code) : true;
      if (this.stopped || !again) {
        this.state('closed', ev.code);
        return;
      }
      this.state('reconnecting', ev.code);
      this.schedule();
    });
  }

  schedule() {
    clearTimeout(this.timer);
    const delay = backoffDelay(this.attempt, BACKOFF_START_MS, BACKOFF_MAX_MS, Math.random());
    this.attempt += 1;
    this.timer = setTimeout(() => {
      if (!navigator.onLine) {
        this.state('offline');
        this.schedule();
        return;
      }
      this.connect();
    }, delay);
  }

  /** Drop the connection now (offline, dead); it will reconnect. */
  drop() {
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      this.stopPing();
      ws.close();
      this.state('offline');
      if (!this.stopped) this.schedule();
    }
  }

  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.connect();
  }

  /** Send a frame; false when not connected (the caller keeps it pending). */
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Send `frame` after `delayMs` on the connection open now, if `wanted()`
   * still says so then. A connection that closes meanwhile drops it: the
   * page's resume after the reconnect (hello / welcome) resends what is due.
   */
  sendLater(frame, delayMs, wanted = () => true) {
    const ws = this.ws;
    if (!ws) return;
    const timer = setTimeout(() => {
      this.later.delete(timer);
      if (this.ws === ws && this.open && wanted()) ws.send(JSON.stringify(frame));
    }, delayMs);
    this.later.add(timer);
  }

  stop() {
    this.stopped = true;
    for (const timer of this.later) clearTimeout(timer);
    this.later.clear();
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.drop(), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  state(name, code) {
    if (this.handlers.onState) this.handlers.onState(name, code);
  }
}
