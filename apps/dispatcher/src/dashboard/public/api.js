// The dashboard's calls: every one carries the operator token from sessionStorage as a bearer
// token. A 401 means the token is missing or wrong: the page forgets it and asks again.

const KEY = 'vowchat.dashboard.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/** The API refused the token (401). */
export class Unauthorized extends Error {}

/** GET a JSON answer; throws Unauthorized on 401 and an Error naming the status otherwise. */
export async function get(path) {
  const headers = { accept: 'application/json' };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  const response = await fetch(path, { headers, cache: 'no-store' });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status === 401) throw new Unauthorized(body?.message ?? 'unauthorized');
  if (!response.ok) {
    throw new Error(
      `${path.split('?')[0]} answered ${response.status}: ${body?.message ?? text.slice(0, 200)}`,
    );
  }
  return body;
}
