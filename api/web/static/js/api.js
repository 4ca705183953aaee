// The one place that talks to /api/v1: JSON in and out, problem JSON errors, the CSRF header.
import { t } from './i18n.js';

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An HTTP error carrying the problem JSON ({type,title,status,detail,errors}). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || t('error.generic', { status }));
    this.status = status;
    this.problem = problem;
  }

  /** Per-field problems: [{field, message, line?}]. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Return a URL under /api/v1 with query parameters (empty values left out, lists repeated). */
export function apiUrl(path, params = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  return url.pathname + url.search;
}

async function readBody(response) {
  const type = response.headers.get('Content-Type') || '';
  if (response.status === 204) return null;
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return response.text();
}

function fallbackProblem(status, body) {
  const titles = { 403: t('error.forbidden'), 404: t('error.not_found') };
  return {
    status,
    title: titles[status] || t('error.generic', { status }),
    detail: typeof body === 'string' && body.length < 300 ? body : undefined,
  };
}

/**
 * Send one request; resolve to {data, etag, status}, reject with ApiError.
 * options: params (query), json (body), form (FormData), ifMatch (ETag), quiet401,
 * headers (extra request headers such as X-Case-Number).
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json', ...options.headers };
  if (UNSAFE.has(method)) headers['X-Requested-With'] = 'camreg';
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  } else if (options.form) {
    init.body = options.form;
  }
  let response;
  try {
    response = await fetch(apiUrl(path, options.params), init);
  } catch {
    throw new ApiError(0, { status: 0, title: t('error.network') });
  }
  const body = await readBody(response);
  if (!response.ok) {
    const problem = body && typeof body === 'object' ? body : fallbackProblem(response.status, body);
    if (response.status === 401 && !options.quiet401) {
      window.dispatchEvent(new CustomEvent('camreg:unauthenticated'));
    }
    throw new ApiError(response.status, problem);
  }
  return { data: body, etag: response.headers.get('ETag'), status: response.status };
}

/** GET and return the body. */
export async function getJson(path, params = {}) {
  return (await request('GET', path, { params })).data;
}
