// LiveFeed: the hub's WebSocket /api/v1/live, reconnecting with backoff; urlFn may be async
// (each connection needs a new single-use ticket).
// Rule kept here: every (re)connect is reported so the page can reload its snapshot and never
// show a state with a gap in it.

export class LiveFeed {
  constructor(urlFn, { onMessage, onOpen, onState }) {
    this.urlFn = urlFn; this.onMessage = onMessage; this.onOpen = onOpen; this.onState = onState;
    this.ws = null; this.delay = 500; this.stopped = false; this.timer = null;
  }

  start() {
    this.stopped = false;
    this._connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }

  async _connect() {
    this.onState?.("connecting");
    let ws;
    try {
      ws = new WebSocket(await this.urlFn()); // a URL with a fresh single-use ticket each time
    } catch (err) {
      if (err?.status === 401 || err?.status === 403) { // no ticket for this user: stop
        this.stopped = true;
        this.onState?.("unauthorised");
        return;
      }
      this._retry();
      return;
    }
    if (this.stopped) { ws.close(); return; }
    this.ws = ws;
    ws.onopen = () => { this.delay = 500; this.onState?.("live"); this.onOpen?.(); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; } // not ours: ignore, never crash
      if (msg && typeof msg === "object") this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      if (ev.code === 4401 || ev.code === 4403) { // the token expired or the role may not read
        this.stopped = true;
        this.onState?.("unauthorised");
        return;
      }
      this.onState?.("offline");
      if (!this.stopped) this._retry();
    };
  }

  _retry() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), this.delay);
    this.delay = Math.min(10000, this.delay * 2);
  }
}
