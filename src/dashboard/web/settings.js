// The settings form, built from what the daemon sends: each editable key with its JSON
// Schema (the one the settings file is validated with) and its value in effect. The
// daemon validates again and applies the change the way the tray does.
import { ApiError, api } from './api.js';
import { $, el } from './format.js';

let onPortMoved = () => undefined;
let onSaved = () => undefined;

function numberInput(schema, value, percent) {
  const scale = percent ? 100 : 1;
  const input = el('input', {
    type: 'number',
    min: schema.minimum !== undefined ? String(schema.minimum * scale) : undefined,
    max: schema.maximum !== undefined ? String(schema.maximum * scale) : undefined,
    step: schema.type === 'integer' && !percent ? '1' : 'any',
    value: typeof value === 'number' ? String(Math.round(value * scale * 1000) / 1000) : '',
  });
  input.read = () => (input.value === '' ? undefined : Number(input.value) / scale);
  return input;
}

/** An input for one schema; `read()` gives the value back in the setting's own units. */
function inputFor(schema, value, field, name) {
  if (schema.enum) {
    const s = el('select', { name }, ...schema.enum.map((v) => el('option', { value: String(v), text: String(v), selected: v === value })));
    s.read = () => schema.enum.find((v) => String(v) === s.value);
    return s;
  }
  if (schema.type === 'boolean') {
    const c = el('input', { type: 'checkbox', name, checked: value === true });
    c.read = () => c.checked;
    return c;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const i = numberInput(schema, value, field.percent);
    i.name = name;
    return i;
  }
  if (schema.type === 'object' && schema.properties) {
    const parts = Object.entries(schema.properties).map(([k, sub]) => {
      const i = inputFor(sub, value?.[k], field, `${name}.${k}`);
      return { k, i, label: el('label', {}, `${field.propertyLabels?.[k] ?? k} `, i, field.percent ? ' %' : '') };
    });
    const box = el('span', { class: 'inputs' }, ...parts.map((p) => p.label));
    box.read = () => Object.fromEntries(parts.map((p) => [p.k, p.i.read()]));
    return box;
  }
  if (schema.type === 'object' && schema.additionalProperties) return mapInput(schema.additionalProperties, value ?? {}, field, name);
  const t = el('input', { type: 'text', name, value: typeof value === 'string' ? value : JSON.stringify(value ?? '') });
  t.read = () => t.value;
  return t;
}

/** A name → value map (client budgets): one row per entry, add and remove rows. */
function mapInput(valueSchema, value, field, name) {
  const rows = el('div', { class: 'map-rows' });
  const addRow = (k = '', v) => {
    const key = el('input', {
      type: 'text',
      placeholder: field.mapKeyLabel ?? 'name',
      value: k,
      'aria-label': field.mapKeyLabel ?? 'name',
      name: `${name}.key`,
    });
    const val = inputFor(valueSchema, v, {}, `${name}.value`);
    val.setAttribute('aria-label', field.mapValueLabel ?? 'value');
    const row = el(
      'div',
      { class: 'map-row' },
      key,
      val,
      el('button', { type: 'button', class: 'secondary', text: '✕', title: 'Remove', onclick: () => row.remove() }),
    );
    row.read = () => [key.value.trim(), val.read()];
    rows.append(row);
  };
  for (const [k, v] of Object.entries(value)) addRow(k, v);
  const box = el(
    'div',
    { class: 'inputs map' },
    rows,
    el('button', { type: 'button', class: 'secondary', text: `Add ${(field.mapKeyLabel ?? 'entry').toLowerCase()}`, onclick: () => addRow() }),
  );
  box.read = () => Object.fromEntries([...rows.children].map((r) => r.read()).filter(([k]) => k !== ''));
  return box;
}

function fieldRow(f) {
  const input = inputFor(f.schema, f.value, f, f.key);
  const msg = el('p', { class: 'msg', role: 'status' });
  const save = el('button', { type: 'button', text: 'Save', 'data-save': f.key });
  save.addEventListener('click', async () => {
    save.disabled = true;
    msg.className = 'msg muted';
    msg.textContent = 'Saving…';
    try {
      const r = await api.saveSettings({ [f.key]: input.read() });
      msg.className = 'msg ok';
      msg.textContent = r.changed.length ? 'Saved.' : 'Unchanged.';
      if (r.changed.includes('port')) return onPortMoved(r.port);
      renderSettings(r.fields, msg.textContent, f.key);
      if (r.changed.length) onSaved(r.changed);
    } catch (e) {
      msg.className = 'msg error';
      msg.textContent = e instanceof ApiError ? e.message : String(e);
    } finally {
      save.disabled = false;
    }
  });
  return el(
    'div',
    { class: 'setting', 'data-setting': f.key },
    el('span', { class: 'label', text: f.label }),
    el('div', { class: 'inputs' }, input),
    save,
    el('p', { class: 'help muted', text: f.help }),
    msg,
  );
}

export function renderSettings(fields, note, noteKey) {
  const box = $('settings');
  box.replaceChildren(...fields.map(fieldRow));
  if (note && noteKey) {
    const m = box.querySelector(`[data-setting="${noteKey}"] .msg`);
    if (m) {
      m.className = 'msg ok';
      m.textContent = note;
    }
  }
}

export async function loadSettings(portMoved, saved) {
  onPortMoved = portMoved;
  onSaved = saved;
  const r = await api.settings();
  renderSettings(r.fields);
}
