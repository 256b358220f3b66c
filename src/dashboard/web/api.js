// The page's calls to its daemon: same origin, the session cookie goes along by itself.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/dashboard/api${path}`, init);
  let data;
  try {
    data = await res.json();
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? 'http_error', e.message ?? `HTTP ${res.status}`);
  }
  return data;
}

export const api = {
  session: () => call('GET', '/session'),
  login: (key) => call('POST', '/login', { key }),
  logout: () => call('POST', '/logout', {}),
  live: () => call('GET', '/live'),
  usage: (days) => call('GET', `/usage?days=${days}`),
  turns: (q) => call('GET', `/turns?${new URLSearchParams(q)}`),
  endSession: (id) => call('POST', `/sessions/${encodeURIComponent(id)}/end`, {}),
  settings: () => call('GET', '/settings'),
  saveSettings: (patch) => call('POST', '/settings', patch),
  keys: () => call('GET', '/keys'),
  createKey: (body) => call('POST', '/keys', body),
  revokeKey: (name) => call('POST', `/keys/${encodeURIComponent(name)}/revoke`, {}),
};
