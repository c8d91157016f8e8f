// The signed-in session: the hub's bearer token in sessionStorage, and fetch calls that use it.
// Rule kept here: a 401 sends the user back to /login (the token expired or was never there).

const KEY = "stockpulse.session";
export const ALLOWED_ROLES = ["manager", "supervisor", "admin"];

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status; this.title = title;
  }
}

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (!s || !s.access_token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(tokenReply) {
  sessionStorage.setItem(KEY, JSON.stringify(tokenReply));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** The session, or a redirect to /login when there is none. */
export function requireSession() {
  const s = loadSession();
  if (!s) { toLogin(); throw new Error("not signed in"); }
  return s;
}

async function problem(resp) {
  try {
    const body = await resp.json();
    return new ApiError(resp.status, body.title, typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  } catch {
    return new ApiError(resp.status, resp.statusText, "");
  }
}

/** GET/POST JSON with the bearer token; throws ApiError; 401 goes to /login. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const s = loadSession();
  const headers = { Accept: "application/json" };
  if (s) headers.Authorization = `Bearer ${s.access_token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401) { clearSession(); toLogin(); throw await problem(resp); }
  if (!resp.ok) throw await problem(resp);
  return resp.status === 204 ? null : resp.json();
}

export async function signIn(username, password) {
  const resp = await fetch("/api/v1/auth/token", {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!resp.ok) throw await problem(resp);
  const reply = await resp.json();
  const roles = reply.roles || [];
  if (!roles.some((r) => ALLOWED_ROLES.includes(r))) {
    throw new ApiError(403, "Not allowed", "the map and dashboard are for managers and supervisors");
  }
  saveSession(reply);
  return reply;
}

/** The live feed's WebSocket URL, opened with a fresh single-use ticket bought with the token
 *  (POST /api/v1/live/tickets): the token itself never goes into a URL, which servers log. */
export async function liveUrl({ warehouse, ...params }) {
  const bought = await api("/api/v1/live/tickets", { method: "POST", body: { warehouse } });
  const q = new URLSearchParams({ ...params, ticket: bought.ticket });
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/live?${q}`;
}

/** Fill the header's user box and wire its sign-out link. */
export function showUser(session) {
  const who = document.getElementById("who");
  if (who) who.textContent = `${session.username || ""} (${(session.roles || []).join(", ")})`;
  const out = document.getElementById("signout");
  if (out) out.addEventListener("click", (e) => { e.preventDefault(); clearSession(); location.assign("/login"); });
}
