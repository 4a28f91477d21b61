import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import { AppError } from '../errors/app-error';

/** Argument kinds that consume the body (the raw request counts: that handler reads it itself). */
const BODY_READERS = new Set<number>([
  RouteParamtypes.BODY,
  RouteParamtypes.RAW_BODY,
  RouteParamtypes.REQUEST,
]);
const QUERY_READERS = new Set<number>([RouteParamtypes.QUERY, RouteParamtypes.REQUEST]);

function declaredKinds(context: ExecutionContext): Set<number> {
  const args = (Reflect.getMetadata(
    ROUTE_ARGS_METADATA,
    context.getClass(),
    context.getHandler().name,
  ) ?? {}) as Record<string, unknown>;
  // Keys are `<paramtype>:<index>` (custom decorators use another prefix and are ignored).
  return new Set(Object.keys(args).map((key) => Number(key.split(':')[0])));
}

function hasContent(value: unknown): boolean {
  if (value === undefined || value === null) {
    return false;
  }
  if (typeof value !== 'object') {
    return true;
  }
  return Object.keys(value).length > 0;
}

function unexpected(kind: 'body' | 'query', keys: string[]): AppError {
  const fields = keys.length ? keys.slice(0, 10).map((key) => key.slice(0, 64)) : [kind];
  const message =
    kind === 'body' ? 'This route takes no request body' : 'This route takes no query parameters';
  return AppError.validation(
    message,
    fields.map((field) => ({ field, message: `${field} is not accepted by this route` })),
  );
}

/**
 * Routes that declare no `@Body()` (or `@Query()`) have no DTO to reject unknown fields, so without
 * this any body or query parameter sent to them would be silently ignored. Runs after the
 * authentication guard (a caller without a token still gets 401). `/api` routes only: `/health` and
 * `/metrics` stay tolerant of the cache-busting parameters probes add.
 */
@Injectable()
export class UndeclaredInputGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.path.startsWith('/api/')) {
      return true;
    }
    const kinds = declaredKinds(context);
    const body: unknown = request.body;
    if (hasContent(body) && ![...kinds].some((kind) => BODY_READERS.has(kind))) {
      throw unexpected('body', typeof body === 'object' && body ? Object.keys(body) : []);
    }
    const query: unknown = request.query;
    if (hasContent(query) && ![...kinds].some((kind) => QUERY_READERS.has(kind))) {
      throw unexpected('query', Object.keys(query as object));
    }
    return true;
  }
}
