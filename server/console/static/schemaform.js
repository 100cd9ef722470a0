// schemaform.js — a form generated from a tool's JSON Schema: enums become
// selects (or checkboxes for arrays of enums), numbers get their bounds, dates a
// date picker, objects a nested fieldset. Empty fields are left out so the
// server's defaults apply.

import { h } from './ui.js';

/** schemaForm returns {el, values()} for an object schema. */
export function schemaForm(schema) {
  const props = Object.entries(schema?.properties || {});
  const required = new Set(schema?.required || []);
  const inputs = props.map(([name, prop]) => control(name, prop, required.has(name)));
  const el = h('div', { class: 'schema-form' },
    inputs.length ? inputs.map((c) => c.el) : h('p', { class: 'muted' }, 'This tool takes no arguments.'));
  return {
    el,
    values() {
      const out = {};
      for (const c of inputs) {
        const v = c.value();
        if (v !== undefined) out[c.name] = v;
      }
      return out;
    },
  };
}

function control(name, prop, required) {
  const make = kindOf(prop);
  const c = make(name, prop);
  const label = h('span', { class: 'label' }, name, required ? h('span', { class: 'req', title: 'required' }, ' *') : null);
  const def = prop.default !== undefined ? `default ${JSON.stringify(prop.default)}` : '';
  const hint = [prop.description, def].filter(Boolean).join(' — ');
  c.el = h(c.block ? 'fieldset' : 'label', { class: 'field', 'data-arg': name },
    c.block ? h('legend', {}, label) : label, c.el, hint ? h('small', { class: 'muted' }, hint) : null);
  c.name = name;
  return c;
}

function kindOf(prop) {
  if (prop.enum) return enumSelect;
  switch (prop.type) {
    case 'integer': case 'number': return numberInput;
    case 'boolean': return boolSelect;
    case 'array': return prop.items?.enum ? enumChecks : listInput;
    case 'object': return prop.properties ? objectFields : jsonInput;
    default: return prop.format === 'date' ? dateInput : textInput;
  }
}

function enumSelect(name, prop) {
  const el = h('select', { name },
    h('option', { value: '' }, prop.default !== undefined ? `(default: ${prop.default})` : '(any)'),
    prop.enum.map((v) => h('option', { value: JSON.stringify(v) }, String(v))));
  return { el, value: () => (el.value === '' ? undefined : JSON.parse(el.value)) };
}

function numberInput(name, prop) {
  const el = h('input', { name, type: 'number', min: prop.minimum, max: prop.maximum,
    step: prop.type === 'integer' ? 1 : 'any', placeholder: prop.default ?? '' });
  return { el, value: () => (el.value === '' ? undefined : Number(el.value)) };
}

function boolSelect(name, prop) {
  const el = h('select', { name }, h('option', { value: '' }, `(default: ${prop.default ?? 'false'})`),
    h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  return { el, value: () => (el.value === '' ? undefined : el.value === 'true') };
}

function enumChecks(name, prop) {
  const boxes = prop.items.enum.map((v) => h('input', { type: 'checkbox', value: JSON.stringify(v) }));
  const el = h('div', { class: 'checks' }, boxes.map((b, i) => h('label', { class: 'check' }, b, String(prop.items.enum[i]))));
  return {
    el, block: true,
    value() {
      const picked = boxes.filter((b) => b.checked).map((b) => JSON.parse(b.value));
      return picked.length ? picked : undefined;
    },
  };
}

function listInput(name, prop) {
  const numeric = ['number', 'integer'].includes(prop.items?.type);
  const el = h('input', { name, type: 'text', placeholder: 'comma-separated' });
  return {
    el,
    value() {
      const items = el.value.split(',').map((v) => v.trim()).filter(Boolean);
      if (!items.length) return undefined;
      return numeric ? items.map(Number) : items;
    },
  };
}

function objectFields(name, prop) {
  const sub = schemaForm(prop);
  return {
    el: sub.el, block: true,
    value() {
      const v = sub.values();
      return Object.keys(v).length ? v : undefined;
    },
  };
}

function jsonInput(name) {
  const el = h('textarea', { name, rows: 2, placeholder: '{ JSON }' });
  return { el, value: () => (el.value.trim() ? JSON.parse(el.value) : undefined) };
}

function dateInput(name, prop) {
  const el = h('input', { name, type: 'date', min: prop.formatMinimum, max: prop.formatMaximum });
  return { el, value: () => el.value || undefined };
}

function textInput(name, prop) {
  const el = h('input', { name, type: 'text', maxlength: prop.maxLength });
  return { el, value: () => el.value || undefined };
}
