// How the CNI proxy turns errors into HTTP: request problems are 4xx with a JSON error naming the
// field, plugin failures 502 carrying the CNI error object, anything else 500.
import { isVirtnetError, VirtnetError } from '../../errors/virtnet-error.js';

/** HTTP status for an error raised while serving a request. */
export function httpStatusOf(err: unknown): number {
  if (!isVirtnetError(err)) return 500;
  switch (err.code) {
    case 'PROXY_BAD_REQUEST':
    case 'PROXY_BAD_MAC':
    case 'PROXY_BAD_IFNAME':
      return 400;
    case 'CNI_NETWORK_NOT_FOUND':
    case 'PROXY_INTERFACE_NOT_FOUND':
    case 'PROXY_ROUTE_NOT_FOUND':
      return 404;
    case 'PROXY_IFNAME_IN_USE':
    case 'PROXY_POD_NOT_READY':
      return 409;
    case 'PROXY_MAC_UNSUPPORTED':
      return 422;
    case 'CNI_PLUGIN_ERROR':
    case 'CNI_PLUGIN_NOT_FOUND':
    case 'CNI_PLUGIN_TIMEOUT':
    case 'CNI_PLUGIN_CRASHED':
    case 'CNI_BAD_OUTPUT':
      return 502;
    default:
      return 500;
  }
}

/** The JSON body of an error response. */
export function errorBody(err: unknown): { error: Record<string, unknown> } {
  if (isVirtnetError(err)) {
    const { errors: _nested, ...rest } = err.toJSON();
    return { error: rest };
  }
  return { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } };
}

/** A 4xx request error. */
export function badRequest(code: string, message: string, field?: string): VirtnetError {
  return new VirtnetError(code, message, field ? { field } : {});
}
