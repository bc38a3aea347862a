/**
 * What a reader of the OpenAPI document (or Swagger UI's "Try it out") would miss: walks a served
 * document and names each gap, so a test can show them all at once.
 */
interface JsonSchema {
  type?: string;
  format?: string;
  default?: unknown;
  description?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface Parameter { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function operations(doc: OpenApiDocument): { name: string; op: Operation; keyed: boolean }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op, keyed: (op.security ?? doc.security ?? []).length > 0 })));
}

/** Properties that are required and yet carry a default (a default never applies to what must be sent). */
function requiredWithDefault(schema: JsonSchema | undefined, at: string): string[] {
  if (!schema) return [];
  const own = (schema.required ?? []).filter((p) => schema.properties?.[p]?.default !== undefined).map((p) => `${at}.${p}`);
  const nested = [
    ...Object.entries(schema.properties ?? {}).map(([p, s]) => requiredWithDefault(s, `${at}.${p}`)),
    requiredWithDefault(schema.items, `${at}[]`),
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].map((s) => requiredWithDefault(s, at)),
  ];
  return [...own, ...nested.flat()];
}

export function openApiGaps(doc: OpenApiDocument): string[] {
  const gaps: string[] = [];
  for (const { name, op, keyed } of operations(doc)) {
    for (const status of ['401', '403', '429']) {
      const answer = op.responses[status];
      if (keyed && !answer?.content?.['application/problem+json']?.schema) gaps.push(`${name}: no ${status} problem+json response`);
    }
    if (!keyed && op.responses['401']) gaps.push(`${name}: needs no key, yet documents 401`);
    for (const p of op.parameters ?? []) {
      if (!p.description?.trim()) gaps.push(`${name}: ${p.in} parameter ${p.name} has no description`);
      if (p.required && p.schema?.default !== undefined) gaps.push(`${name}: ${p.in} parameter ${p.name} is required but has a default`);
    }
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
      for (const field of requiredWithDefault(media.schema, 'body')) gaps.push(`${name}: ${type} ${field} is required but has a default`);
    }
  }
  return gaps;
}
