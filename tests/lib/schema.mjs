// A small JSON Schema (2020-12 subset) checker for the schemas in docs/openapi.json: type, const, enum,
// properties, required, additionalProperties, unevaluatedProperties (for allOf), items, minItems/maxItems,
// uniqueItems, minimum/maximum, minLength/maxLength, pattern, allOf/oneOf/anyOf and local $ref.
// Formats are not checked. Returns a list of "path: problem" strings (empty when the value fits).

export function makeChecker(doc) {
  const resolve = (ref) => ref.slice(2).split('/').reduce((n, k) => n[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);

  const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  const typeOk = (t, v) => {
    const actual = typeOf(v);
    return t === actual || (t === 'number' && actual === 'integer');
  };

  // Properties a schema (with its allOf/$ref parts) declares, for unevaluatedProperties.
  function declared(schema, out = new Set()) {
    if (schema.$ref) return declared(resolve(schema.$ref), out);
    for (const k of Object.keys(schema.properties || {})) out.add(k);
    for (const s of schema.allOf || []) declared(s, out);
    return out;
  }

  function check(schema, v, path = '', errs = []) {
    if (schema === true || schema === undefined) return errs;
    if (schema.$ref) return check(resolve(schema.$ref), v, path, errs);
    const at = path || '/';
    if (schema.type) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.some((t) => typeOk(t, v))) {
        errs.push(`${at}: expected ${types.join('|')}, got ${typeOf(v)}`);
        return errs;
      }
    }
    if ('const' in schema && v !== schema.const) errs.push(`${at}: expected ${JSON.stringify(schema.const)}`);
    if (schema.enum && !schema.enum.includes(v)) errs.push(`${at}: ${JSON.stringify(v)} not in enum`);
    if (typeof v === 'number') {
      if (schema.minimum !== undefined && v < schema.minimum) errs.push(`${at}: below ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) errs.push(`${at}: above ${schema.maximum}`);
    }
    if (typeof v === 'string') {
      const n = [...v].length;
      if (schema.minLength !== undefined && n < schema.minLength) errs.push(`${at}: shorter than ${schema.minLength}`);
      if (schema.maxLength !== undefined && n > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(v)) errs.push(`${at}: does not match ${schema.pattern}`);
    }
    if (Array.isArray(v)) {
      if (schema.minItems !== undefined && v.length < schema.minItems) errs.push(`${at}: fewer than ${schema.minItems} items`);
      if (schema.maxItems !== undefined && v.length > schema.maxItems) errs.push(`${at}: more than ${schema.maxItems} items`);
      if (schema.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errs.push(`${at}: items not unique`);
      if (schema.items) v.forEach((x, i) => check(schema.items, x, `${path}/${i}`, errs));
    }
    if (typeOf(v) === 'object') {
      for (const k of schema.required || []) if (!(k in v)) errs.push(`${at}: missing ${k}`);
      for (const [k, s] of Object.entries(schema.properties || {})) if (k in v) check(s, v[k], `${path}/${k}`, errs);
      if (schema.additionalProperties === false) {
        for (const k of Object.keys(v)) if (!(k in (schema.properties || {}))) errs.push(`${at}: unexpected property ${k}`);
      }
      if (schema.unevaluatedProperties === false) {
        const known = declared(schema);
        for (const k of Object.keys(v)) if (!known.has(k)) errs.push(`${at}: unexpected property ${k}`);
      }
    }
    for (const s of schema.allOf || []) check(s, v, path, errs);
    if (schema.oneOf) {
      const fits = schema.oneOf.filter((s) => check(s, v, path, []).length === 0).length;
      if (fits !== 1) errs.push(`${at}: fits ${fits} of the oneOf schemas, not exactly one`);
    }
    if (schema.anyOf && !schema.anyOf.some((s) => check(s, v, path, []).length === 0)) errs.push(`${at}: fits no anyOf schema`);
    return errs;
  }

  return { check, resolve };
}
