import { Injectable, NestInterceptor, RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ConflictRetryInterceptor } from './conflict-retry.interceptor';

const WRITE_FREE = new Set([RequestMethod.GET, RequestMethod.HEAD]);

/**
 * ConflictRetryInterceptor on every route that may write (any method but GET and HEAD), as if each carried
 * `@UseInterceptors(ConflictRetryInterceptor)`: module authors write nothing for it. A global interceptor
 * (APP_INTERCEPTOR) would also put every GET through Nest's interceptor chain (rxjs and an async scope per
 * request, about 7 % of a cached GET's CPU) for a retry a GET never makes. Nest reads a route's interceptors when
 * app.init() builds its routes; this binds them earlier, while the app's providers are created.
 */
@Injectable()
export class WriteRouteRetries {
  /** `Controller.method` of each route bound. */
  readonly routes: string[] = [];

  constructor(discovery: DiscoveryService, scanner: MetadataScanner, retry: ConflictRetryInterceptor) {
    for (const { metatype } of discovery.getControllers()) {
      const prototype = (metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      if (!metatype || !prototype) continue;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined || WRITE_FREE.has(method)) continue;
        const own = ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as NestInterceptor[]).filter(
          // Another app of this process (a test's) bound its own: the handler function is shared.
          (interceptor) => !(interceptor instanceof ConflictRetryInterceptor),
        );
        Reflect.defineMetadata(INTERCEPTORS_METADATA, [retry, ...own], handler);
        this.routes.push(`${metatype.name}.${name}`);
      }
    }
  }
}
