// Labels in Vietnamese (default) and English; the choice is remembered in localStorage.
import vi from '../i18n/vi.js';
import en from '../i18n/en.js';

const DICTIONARIES = { vi, en };
const STORAGE_KEY = 'camreg.language';
const listeners = new Set();
let language = 'vi';

/** Return the label for a key with {placeholders} filled in. */
export function t(key, vars = {}) {
  // English needs a singular form ("1 camera"); Vietnamese nouns do not change with number.
  const singular = Number(vars.count) === 1 ? DICTIONARIES[language][`${key}_one`] : undefined;
  const text = singular ?? DICTIONARIES[language][key] ?? DICTIONARIES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** Return true when a label exists for the key. */
export function has(key) {
  return key in DICTIONARIES[language] || key in DICTIONARIES.vi;
}

/** Return the language in use ('vi' or 'en'). */
export function currentLanguage() {
  return language;
}

/** Return the BCP 47 locale for number and date formatting. */
export function locale() {
  return language === 'vi' ? 'vi-VN' : 'en-GB';
}

/** Return the remembered language, or null when the user never chose one. */
export function rememberedLanguage() {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value in DICTIONARIES ? value : null;
  } catch {
    return null;
  }
}

/** Switch language; `remember` stores the choice for the next visit. */
export function setLanguage(next, { remember = false } = {}) {
  if (!(next in DICTIONARIES)) return;
  language = next;
  document.documentElement.lang = next;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private browsing may refuse storage; the switch still applies to this visit.
    }
  }
  translateStatic(document);
  for (const listener of listeners) listener(next);
}

/** Call `listener(language)` after every switch. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** Fill elements marked data-i18n (text) and data-i18n-label (aria-label) under root. */
export function translateStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
}

/** Return the label of an enumerated value such as status.active, or the raw value. */
export function enumLabel(kind, value) {
  if (value === null || value === undefined || value === '') return t('value.none');
  const key = `${kind}.${value}`;
  return has(key) ? t(key) : String(value);
}
