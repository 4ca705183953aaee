// The camera's fields, grouped as technicians think of them; used by the page and the form.

/** Field kinds: text, textarea, number, date, bool (yes/no/unknown), enum, tags, url, secret. */
export const GROUPS = [
  {
    key: 'location',
    fields: [
      { name: 'name', kind: 'text', required: true, max: 200 },
      { name: 'address', kind: 'text', max: 300 },
      { name: 'lat', kind: 'number', required: true, step: 'any' },
      { name: 'lon', kind: 'number', required: true, step: 'any' },
      { name: 'ward_code', kind: 'text', max: 32 },
    ],
  },
  {
    key: 'owner',
    personal: true,
    fields: [
      { name: 'owner_kind', kind: 'enum', options: ['person', 'business', 'residents_group'] },
      { name: 'owner_name', kind: 'text', max: 200, personal: true },
      { name: 'owner_phone', kind: 'tel', max: 32, personal: true },
      { name: 'owner_email', kind: 'email', max: 254, personal: true },
    ],
  },
  {
    key: 'consent',
    fields: [
      { name: 'consent', kind: 'bool' },
      { name: 'consent_since', kind: 'date' },
      { name: 'live_access', kind: 'bool' },
    ],
  },
  {
    key: 'funding',
    fields: [
      { name: 'funding', kind: 'enum', options: ['social', 'state', 'private'] },
      { name: 'funder', kind: 'text', max: 200 },
      { name: 'programme', kind: 'text', max: 200 },
      { name: 'installed_on', kind: 'date' },
      { name: 'cost_vnd', kind: 'number', step: '1', min: 0 },
    ],
  },
  {
    key: 'device',
    fields: [
      { name: 'make', kind: 'text', max: 100 },
      { name: 'model', kind: 'text', max: 100 },
      { name: 'serial', kind: 'text', max: 100 },
    ],
  },
  {
    key: 'streams',
    fields: [
      { name: 'stream_url', kind: 'url', max: 500 },
      { name: 'sub_stream_url', kind: 'url', max: 500 },
      { name: 'expected_width', kind: 'number', step: '1', min: 16, max: 16384 },
      { name: 'expected_height', kind: 'number', step: '1', min: 16, max: 16384 },
      { name: 'expected_fps', kind: 'number', step: 'any', min: 0.5, max: 120 },
      { name: 'stream_username', kind: 'secret', formOnly: true, autocomplete: 'off' },
      { name: 'stream_password', kind: 'secret', formOnly: true, autocomplete: 'new-password' },
    ],
  },
  {
    key: 'fov',
    fields: [
      { name: 'heading_deg', kind: 'number', step: 'any', min: 0, max: 359.999 },
      { name: 'fov_deg', kind: 'number', step: 'any', min: 0.1, max: 360 },
      { name: 'range_m', kind: 'number', step: 'any', min: 0.1, max: 2000 },
    ],
  },
  {
    key: 'other',
    fields: [
      { name: 'tags', kind: 'tags' },
      { name: 'notes', kind: 'textarea', max: 4000 },
    ],
  },
];

/** Every field name the form knows, plus the create-only code. */
export const FORM_FIELDS = new Set(['code', ...GROUPS.flatMap((g) => g.fields.map((f) => f.name))]);
