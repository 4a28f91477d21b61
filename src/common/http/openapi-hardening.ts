import type { OpenAPIObject } from '@nestjs/swagger';
import { getSchemaPath } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

type Json = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
/** A UUID as the server writes and accepts it (8-4-4-4-12 hex). */
const UUID_LENGTH = 36;
/** `Date.toISOString()` is 24 characters (27 for years past 9999). */
const DATE_TIME_MAX_LENGTH = 30;
/** Longest Retry-After the server sends: the 15-minute login-failure window. */
const RETRY_AFTER_MAX_SECONDS = 15 * 60;

const HEADERS: Json = {
  'RateLimit-Policy': {
    description:
      'The general request budget (draft-ietf-httpapi-ratelimit-headers): `q` requests per `w` ' +
      'seconds per user (per client IP before sign-in), all /api routes together. Absent when the ' +
      'server runs with RATE_LIMIT_REQUESTS=0.',
    schema: { type: 'string', maxLength: 64, pattern: '^"default";q=\\d+;w=\\d+$' },
    example: '"default";q=600;w=60',
  },
  RateLimit: {
    description:
      'What is left of the budget: `r` requests remaining, `t` seconds until the window resets. ' +
      'Absent when the budget is off.',
    schema: { type: 'string', maxLength: 64, pattern: '^"default";r=\\d+;t=\\d+$' },
    example: '"default";r=599;t=42',
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: RETRY_AFTER_MAX_SECONDS },
    example: 30,
  },
};

const CORS_HEADER: Json = {
  description:
    "CORS: the request's `Origin` when CORS_ORIGINS allows it (every origin by default); absent " +
    'when the request has no Origin or it is not allowed.',
  schema: { type: 'string', maxLength: 2048 },
  example: 'https://chat.example.com',
};

function headerRef(name: string): Json {
  return { $ref: `#/components/headers/${name}` };
}

function errorResponse(code: string, description: string, retryAfter: boolean): Json {
  return {
    description: `${code}: ${description}`,
    headers: retryAfter ? { 'Retry-After': headerRef('Retry-After') } : {},
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorResponseDto) },
        example: { success: false, error: { code, message: description } },
      },
    },
  };
}

/** Walks every schema object (nested properties, items, allOf/oneOf/anyOf) once. */
function eachSchema(node: unknown, visit: (schema: Json) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item) => eachSchema(item, visit));
    return;
  }
  if (!node || typeof node !== 'object') {
    return;
  }
  const schema = node as Json;
  if (typeof schema.type === 'string' || schema.format !== undefined) {
    visit(schema);
  }
  for (const value of Object.values(schema)) {
    eachSchema(value, visit);
  }
}

/** UUIDs and timestamps have a fixed size: say so wherever the document leaves it open. */
function boundFixedFormats(schema: Json): void {
  if (schema.type !== 'string' || schema.maxLength !== undefined || schema.enum !== undefined) {
    return;
  }
  if (schema.format === 'uuid') {
    schema.maxLength = UUID_LENGTH;
  } else if (schema.format === 'date-time') {
    schema.maxLength = DATE_TIME_MAX_LENGTH;
  }
}

/**
 * `{nullable: true, allOf: [{$ref}]}` (what `@ApiProperty({type: X, nullable: true})` gives) does not
 * accept null in OpenAPI 3.0: `nullable` does not reach into the referenced object schema, so a
 * validator rejects `group: null`. Inline the referenced schema instead, where `nullable` applies.
 */
function inlineNullableRefs(node: unknown, schemas: Record<string, unknown>): void {
  eachSchema(node, (schema) => {
    const allOf = schema.allOf as Json[] | undefined;
    if (schema.nullable !== true || allOf?.length !== 1 || typeof allOf[0].$ref !== 'string') {
      return;
    }
    const name = allOf[0].$ref.replace('#/components/schemas/', '');
    const target = schemas[name] as Json | undefined;
    if (!target) {
      return;
    }
    delete schema.allOf;
    Object.assign(schema, structuredClone(target), { nullable: true });
  });
}

/**
 * What the decorators cannot say once per route, applied to the whole document:
 * - every /api response carries the RateLimit headers of the general request budget;
 * - every /api route documents 429 (with Retry-After) and 503 (UNAVAILABLE, with Retry-After), and
 *   every route that needs a token documents 401;
 * - path ids are UUIDs (every controller and service rejects anything else with 400);
 * - UUID and date-time strings are bounded; nullable references accept null;
 * - CORS: Access-Control-Allow-Origin is declared (sent when the request's Origin is allowed).
 */
export function hardenOpenApiDocument(document: OpenAPIObject, apiPrefix: string): OpenAPIObject {
  const components = (document.components ??= {}) as Json;
  components.headers = {
    ...(components.headers ?? {}),
    ...HEADERS,
    'Access-Control-Allow-Origin': CORS_HEADER,
  };
  for (const [path, item] of Object.entries(document.paths)) {
    const onApi = path === apiPrefix || path.startsWith(`${apiPrefix}/`);
    for (const method of HTTP_METHODS) {
      const operation = (item as Json)[method] as Json | undefined;
      if (!operation) {
        continue;
      }
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
        const schema = parameter.schema as Json | undefined;
        if (parameter.in === 'path' && /ID$/.test(String(parameter.name)) && schema) {
          schema.format = 'uuid';
        }
      }
      if (!onApi) {
        continue;
      }
      const responses = operation.responses as Json;
      const secured = Array.isArray(operation.security) && operation.security.length > 0;
      if (secured && !responses['401']) {
        responses['401'] = errorResponse(
          'UNAUTHORIZED',
          'Missing, invalid or expired access token',
          false,
        );
      }
      responses['429'] = errorResponse(
        'RATE_LIMITED',
        'Too many requests (the request budget or a route limit); see Retry-After',
        true,
      );
      responses['503'] ??= errorResponse(
        'UNAVAILABLE',
        'The database or Redis is unreachable, or the instance shed load; retry after Retry-After',
        true,
      );
      const unavailable = responses['503'] as Json;
      unavailable.headers = {
        ...(unavailable.headers ?? {}),
        'Retry-After': headerRef('Retry-After'),
      };
      for (const response of Object.values(responses) as Json[]) {
        response.headers = {
          ...(response.headers ?? {}),
          'RateLimit-Policy': headerRef('RateLimit-Policy'),
          RateLimit: headerRef('RateLimit'),
          'Access-Control-Allow-Origin': headerRef('Access-Control-Allow-Origin'),
        };
      }
    }
  }
  // Relative: whichever deployment serves the document (x-internal false: meant for client teams).
  document.servers = [
    {
      url: '/',
      description:
        'This deployment, local, staging or production alike (the one serving /docs-json)',
      'x-internal': false,
    } as NonNullable<OpenAPIObject['servers']>[number],
  ];
  // Declare every tag the operations use, in order of first use (Spectral: operation-tag-defined).
  const declared = new Set((document.tags ?? []).map((tag) => tag.name));
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      for (const tag of ((item as Json)[method] as { tags?: string[] } | undefined)?.tags ?? []) {
        if (!declared.has(tag)) {
          declared.add(tag);
          (document.tags ??= []).push({ name: tag });
        }
      }
    }
  }
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  inlineNullableRefs(document.paths, schemas);
  inlineNullableRefs(schemas, schemas);
  eachSchema(document.paths, boundFixedFormats);
  eachSchema(components.schemas, boundFixedFormats);
  return document;
}
