/**
 * HTTP, host-independent: route contracts, the request pipeline (size, type, JSON,
 * zod) and the route table. Must not import @azure/functions; src/functions adapts.
 */
export { executeRoute, problemResponse, serializeResponse } from './route-contract';
export type {
  AccessRefusal,
  ExecuteOptions,
  HttpMethod,
  KernelRequest,
  KernelResponse,
  RouteContract,
  RouteInput,
  SerializedResponse,
} from './route-contract';
export { assertDeclaredLength, parseJsonBody, payloadTooLarge } from './request-body';
export { RouteTable } from './route-table';
export { compileRoute, compareRoutePrecedence, RouteTemplateError } from './route-template';
export type { CompiledRoute } from './route-template';
