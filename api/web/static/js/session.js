// Who is logged in, what their role may do, and the settings the server gave the page.
import { getJson, request } from './api.js';

const GRANTS = {
  admin: [
    'camera:read',
    'camera:write',
    'owner:read',
    'area:read',
    'area:write',
    'history:read',
    'account:admin',
    'audit:read',
  ],
  technician: ['camera:read', 'camera:write', 'owner:read', 'area:read', 'history:read'],
  investigator: ['camera:read', 'owner:read', 'area:read', 'history:read'],
  integration: ['camera:read', 'area:read'],
  auditor: ['camera:read', 'area:read', 'audit:read', 'history:read'],
};

/** The page's state: settings from the server and the logged-in user (or null). */
export const session = { config: null, me: null };

/** Load /web-config.json once. */
export async function loadConfig() {
  const response = await fetch('/web-config.json', { credentials: 'same-origin' });
  session.config = await response.json();
  return session.config;
}

/** Ask the server who is logged in; null when nobody is. */
export async function loadMe() {
  try {
    session.me = (await request('GET', '/auth/me', { quiet401: true })).data;
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) throw error;
    session.me = null;
  }
  return session.me;
}

/** Log in; resolve to the user, reject with ApiError on failure. */
export async function logIn(username, password) {
  await request('POST', '/auth/login', { json: { username, password }, quiet401: true });
  return loadMe();
}

/** Log out (the server drops the session cookie). */
export async function logOut() {
  try {
    await request('POST', '/auth/logout', { quiet401: true });
  } finally {
    session.me = null;
  }
}

/** Return the user's name to show. */
export function displayName() {
  const me = session.me || {};
  // The API names people as the logs do ("user:nguyen.an"); show the plain user name.
  return me.display_name || me.username || String(me.name || '').replace(/^user:/, '');
}

/** Return the user's role ('technician', …). */
export function role() {
  return session.me ? session.me.role : null;
}

/** Return true when the logged-in user's role grants a permission such as 'camera:write'. */
export function can(permission) {
  if (!session.me) return false;
  const granted = Array.isArray(session.me.permissions)
    ? session.me.permissions
    : GRANTS[session.me.role] || [];
  return granted.includes(permission);
}

/** Return the areas list (cached), for ward pickers. */
let areasPromise = null;
export function loadAreas() {
  if (!areasPromise) {
    areasPromise = getJson('/areas').catch((error) => {
      areasPromise = null;
      throw error;
    });
  }
  return areasPromise;
}
